#include "escalatord/escalator.h"

#include <spdlog/logger.h>

#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <unordered_set>

#include "adapters/clock/stopwatch.h"
#include "adapters/codec/command.h"
#include "adapters/codec/messages.h"
#include "adapters/codec/wire.h"
#include "base/check.h"

namespace opel::escalatord {
namespace {

// A random, non-zero publisher epoch (Publication.epoch).
std::uint64_t new_epoch() {
    std::random_device random;
    std::uint64_t epoch = 0;
    while (epoch == 0) {
        epoch = (std::uint64_t{random()} << 32) | random();
    }
    return epoch;
}

// What a person reads in the reply to an accepted command.
std::string command_message(const engine::Acknowledgement& ack,
                            const engine::SubmitOutcome& outcome, const engine::Engine& engine) {
    std::string text = ack.transition_id + " acknowledged by " + ack.by;
    if (outcome.results.empty()) {  // not the node's current transition
        const auto ref = engine::parse_transition_id(ack.transition_id);
        const auto node = ref ? engine.model().find_node(ref->node_id) : std::nullopt;
        if (node) {
            text += "; " + ref->node_id + " has moved on since: its current transition is " +
                    ref->node_id + "#" + std::to_string(engine.result(*node).transition_number);
        }
    }
    return text;
}

std::string command_message(const engine::Declaration& d, const engine::SubmitOutcome& outcome) {
    if (d.level == 0) {
        return "standing declaration for " + d.site_id + " withdrawn by " + d.by;
    }
    std::string text = "OPEL " + std::to_string(d.level) + " declared for " + d.site_id + " by " +
                       d.by + (d.until ? " until " + format_london(*d.until) : std::string());
    if (!outcome.results.empty()) {
        const engine::Status held = outcome.results.front().status;
        text += "; computed: " + std::string(engine::to_string(held));
    }
    return text;
}

std::string command_message(const engine::Unacknowledged& r) {
    return r.transition_id + " reported unacknowledged by " + r.by + ": " +
           engine::follow_up_text(r);
}

// A command read from its request body: its idempotency key, the node it concerns, and how
// it is applied, answered and told apart from another command under the same key.
struct Command {
    const char* kind = "";  // the commands table's kind
    std::string key;
    std::string node_id;
    std::function<engine::SubmitOutcome(engine::Engine&, TimePoint)> apply;
    std::function<std::string(const engine::SubmitOutcome&, const engine::Engine&)> message;
    // The refusal when the key was first used for other content (the stored request body);
    // none: a repeat is a duplicate, whoever sends it.
    std::function<std::optional<engine::FieldError>(std::string_view first)> conflict;
};

Result<Command, codec::CommandErrors> decode_command(const codec::RequestBody& body) {
    switch (body.kind) {
        case codec::RequestKind::acknowledgement: {
            auto ack = codec::decode_acknowledgement(body.bytes);
            if (!ack) {
                return unexpected(std::move(ack).error());
            }
            const auto ref = engine::parse_transition_id(ack->transition_id);
            return Command{
                "acknowledgement",
                engine::command_key(*ack),
                ref ? ref->node_id : std::string(),
                [a = *ack](engine::Engine& e, TimePoint now) { return e.acknowledge(a, now); },
                [a = *ack](const engine::SubmitOutcome& out, const engine::Engine& e) {
                    return command_message(a, out, e);
                },
                nullptr};
        }
        case codec::RequestKind::declaration: {
            auto d = codec::decode_declaration(body.bytes);
            if (!d) {
                return unexpected(std::move(d).error());
            }
            return Command{
                "declaration",
                engine::command_key(d->declaration, d->declaration_id),
                d->declaration.site_id,
                [d = d->declaration](engine::Engine& e, TimePoint now) {
                    return e.declare(d, now);
                },
                [d = d->declaration](const engine::SubmitOutcome& out, const engine::Engine&) {
                    return command_message(d, out);
                },
                [d = *d](std::string_view first) -> std::optional<engine::FieldError> {
                    const auto before = codec::decode_declaration(first);
                    if (before && before->declaration == d.declaration) {
                        return std::nullopt;
                    }
                    return engine::FieldError{
                        "declaration_id", "idempotency_conflict",
                        "declaration_id '" + d.declaration_id +
                            "' was already used for another declaration; nothing was changed. "
                            "Send a new declaration_id (opel declare makes one per invocation)"};
                }};
        }
        case codec::RequestKind::unacknowledged: {
            auto r = codec::decode_unacknowledged(body.bytes);
            if (!r) {
                return unexpected(std::move(r).error());
            }
            const auto ref = engine::parse_transition_id(r->transition_id);
            return Command{"unacknowledged",
                           engine::command_key(*r),
                           ref ? ref->node_id : std::string(),
                           [r = *r](engine::Engine& e, TimePoint now) {
                               return e.report_unacknowledged(r, now);
                           },
                           [r = *r](const engine::SubmitOutcome&, const engine::Engine&) {
                               return command_message(r);
                           },
                           nullptr};
        }
        case codec::RequestKind::sitrep:
            break;
    }
    return unexpected(codec::CommandErrors{{"", "unsupported_request", "a sitrep is no command"}});
}

// The submission id (or command key) a request names, explicitly or by default, or "" when
// it cannot be read.
std::string submission_id_of(std::string_view payload) {
    const auto body = codec::request_body(payload);
    if (!body) {
        return {};
    }
    if (body->kind != codec::RequestKind::sitrep) {
        const auto command = decode_command(*body);
        return command ? command->key : std::string();
    }
    const codec::SitrepResult sitrep = codec::decode_sitrep(body->bytes);
    return sitrep ? sitrep->effective_submission_id() : std::string();
}

// Whether two cards score a sitrep alike: the same parameters (expression, direction,
// thresholds, weight), bands, floors, hysteresis and staleness. Actions and texts do not
// change a score.
bool same_scoring(const engine::ActionCard& a, const engine::ActionCard& b) {
    const auto same_parameter = [](const engine::Parameter& x, const engine::Parameter& y) {
        return x.id == y.id && x.expression.kind == y.expression.kind &&
               x.expression.numerator == y.expression.numerator &&
               x.expression.denominator == y.expression.denominator && x.direction == y.direction &&
               x.thresholds == y.thresholds && x.weight == y.weight;
    };
    const auto same_floor = [](const engine::FloorRule& x, const engine::FloorRule& y) {
        return x.parameter == y.parameter && x.min_score == y.min_score &&
               x.min_level == y.min_level;
    };
    return a.id == b.id &&
           std::equal(a.parameters.begin(), a.parameters.end(), b.parameters.begin(),
                      b.parameters.end(), same_parameter) &&
           a.bands.cutoffs == b.bands.cutoffs &&
           std::equal(a.floors.begin(), a.floors.end(), b.floors.begin(), b.floors.end(),
                      same_floor) &&
           a.hysteresis.deescalation_margin == b.hysteresis.deescalation_margin &&
           a.hysteresis.deescalate_after == b.hysteresis.deescalate_after &&
           a.hysteresis.escalate_after == b.hysteresis.escalate_after &&
           a.reporting_interval == b.reporting_interval && a.grace == b.grace &&
           a.missing == b.missing && a.max_age == b.max_age;
}

}  // namespace

Escalator::Escalator(engine::EngineConfig config, config::EscalatordSettings settings,
                     store::Store& reads, const Clock& clock, spdlog::logger& log)
    : settings_(std::move(settings)),
      reads_(reads),
      clock_(clock),
      log_(log),
      engine_(std::make_unique<engine::Engine>(std::move(config), engine::EngineOptions{false})),
      epoch_(new_epoch()) {}

Escalator::~Escalator() = default;

store::StoreResult<store::Done> Escalator::restore() {
    auto states = reads_.node_states();
    if (!states) {
        return unexpected(std::move(states).error());
    }
    std::size_t restored = 0;
    for (const store::StoredState& stored : *states) {
        const auto index = engine_->model().find_node(stored.node_id);
        if (!index) {
            log_.warn("stored state for node '{}' ignored: not in the current tree",
                      stored.node_id);
            continue;
        }
        std::optional<engine::NodeSnapshot> state = codec::decode_node_state(stored.state);
        if (!state) {
            log_.warn("stored state for node '{}' ignored: undecodable", stored.node_id);
            continue;
        }
        if (stored.result_sequence) {
            // The state was stored without its result: that is its last published one.
            auto result = stored.result ? codec::result_of_publication(*stored.result)
                                        : std::optional<engine::NodeResult>();
            if (!result) {
                log_.warn(
                    "stored state for node '{}': its result (sequence {}) is missing or "
                    "undecodable; restored without it until the node's next result",
                    stored.node_id, *stored.result_sequence);
            } else {
                state->result = std::move(*result);
            }
        }
        engine_->restore(*index, *state);
        ++restored;
    }
    auto sequence = reads_.last_sequence();
    if (!sequence) {
        return unexpected(std::move(sequence).error());
    }
    sequence_ = *sequence;
    staged_ = *sequence;
    log_.info("restored {} node states, sequence {}", restored, sequence_);
    return store::Done{};
}

BatchPtr Escalator::new_batch() {
    auto batch = std::make_unique<Batch>();
    batch->sequence = staged_;
    batch->generation = generation_;
    ++in_flight_;
    return batch;
}

std::optional<Escalator::SiteResult> Escalator::stage(Batch& p,
                                                      const engine::SubmitOutcome& outcome,
                                                      std::string_view site_id,
                                                      TimePoint now) const {
    std::optional<SiteResult> site;
    for (const engine::NodeResult& r : outcome.results) {
        ++p.sequence;
        std::string result = codec::encode_result(r);  // protobuf's bytes, no message built
        std::string payload = codec::status_publication(p.sequence, result, epoch_);
        if (r.node_id == site_id) {
            // The last one (a staleness tick may come first); its bytes go into the reply.
            site = SiteResult{p.sequence, std::move(result)};
        }
        p.results.push_back({p.sequence, r.node_id, r.as_at.value_or(now),
                             engine::to_string(r.status), p.publications.size()});
        p.publications.push_back({"status/" + r.path, std::move(payload)});
        if (const auto index = engine_->model().find_node(r.node_id)) {
            p.changed[*index] = p.sequence;
        }
    }
    for (const engine::Event& e : outcome.events) {
        ++p.sequence;
        p.events.push_back(
            {p.sequence, e.node_id, e.at, engine::to_string(e.kind), p.publications.size()});
        p.publications.push_back(
            {"alert/" + e.path, codec::alert_publication(p.sequence, epoch_, e, encode_block_)});
    }
    return site;
}

void Escalator::stage_states(Batch& p) const {
    p.states.reserve(p.changed.size());
    for (const auto& [i, result_sequence] : p.changed) {
        p.states.push_back({i, engine_->model().node(i).config.id,
                            codec::encode_node_state(engine_->snapshot(i, false), encode_block_),
                            result_sequence});
    }
}

bool Escalator::rebuild(engine::EngineConfig config) {
    engine_ = std::make_unique<engine::Engine>(std::move(config), engine::EngineOptions{false});
    ++generation_;
    in_flight_replies_.clear();
    in_flight_commands_.clear();
    if (auto r = restore(); !r) {
        // The last committed state cannot be read back yet: every request is answered
        // UNAVAILABLE, and every batch tries again, until it can.
        if (!unrestored_) {
            log_.error(
                "cannot reload the last committed state: {}; answering UNAVAILABLE and "
                "retrying with every request until it can be read",
                describe(r.error()));
        }
        unrestored_ = describe(r.error());
        return false;
    }
    if (unrestored_) {
        log_.info("state reloaded from the last commit (sequence {}); serving again", sequence_);
    }
    unrestored_.reset();
    return true;
}

Escalator::Reloaded Escalator::reload(engine::EngineConfig config, std::string config_hash) {
    OPEL_CHECK(in_flight_ == 0, "a reload is applied between batches");
    // The old engine is kept until the new one is restored, to compare the trees and cards.
    const std::unique_ptr<engine::Engine> old = std::move(engine_);
    const bool restored = rebuild(std::move(config));
    config_hash_ = std::move(config_hash);
    Reloaded out;
    const engine::Model& now = engine_->model();
    for (engine::NodeIndex i = 0; i < now.node_count(); ++i) {
        const engine::ModelNode& n = now.node(i);
        const auto before = old->model().find_node(n.config.id);
        if (!before) {
            ++out.added;
            continue;
        }
        ++out.kept;
        const engine::ModelNode& was = old->model().node(*before);
        if (n.config.kind == engine::NodeKind::site &&
            (was.config.kind != engine::NodeKind::site || !same_scoring(*was.card, *n.card))) {
            ++out.changed_sites;
        }
    }
    out.removed = old->model().node_count() - out.kept;
    log_.info(
        "configuration {} in effect: {} nodes kept, {} new (UNKNOWN until their first result), "
        "{} removed (stored state ignored); {} sites on changed cards are re-scored at their "
        "next sitrep",
        config_hash_, out.kept, out.added, out.removed, out.changed_sites);
    if (restored) {
        out.event = config_event(clock_.now());
    }
    return out;
}

BatchPtr Escalator::config_event(TimePoint now) {
    BatchPtr batch = new_batch();
    Batch& p = *batch;
    const engine::ModelNode& root = engine_->model().node(engine_->model().root());
    engine::Event e;
    e.kind = engine::EventKind::config_reloaded;
    e.node_id = root.config.id;
    e.path = root.path;
    e.at = now;
    e.config_hash = config_hash_;
    e.result = engine_->result(engine_->model().root());
    ++p.sequence;
    p.events.push_back(
        {p.sequence, e.node_id, e.at, engine::to_string(e.kind), p.publications.size()});
    p.publications.push_back(
        {"alert/" + e.path, codec::alert_publication(p.sequence, epoch_, e, encode_block_)});
    staged_ = p.sequence;
    return batch;
}

BatchPtr Escalator::prepare(const std::vector<std::string_view>& payloads,
                            const std::vector<Sender>& senders) {
    BatchPtr batch = new_batch();
    Batch& p = *batch;
    p.replies.resize(payloads.size());
    p.kinds.assign(payloads.size(), Kind::unanswered);
    p.durable.assign(payloads.size(), false);
    p.submission_ids.resize(payloads.size());
    const TimePoint now = clock_.now();
    Stopwatch watch;
    // The engine is not at the last commit while unrestored_: nothing may be computed on it,
    // and finishing this failed batch rebuilds it (a new attempt to read the state back).
    // Otherwise one read transaction for the batch's duplicate lookups; a batch that commits
    // while it is open is still in in_flight_replies_ (it is finished on this thread, later).
    if (unrestored_) {
        p.fail(*unrestored_, false);
    } else if (auto began = reads_.begin_read(); !began) {
        p.fail(describe(began.error()), true);
    }
    for (std::size_t i = 0; i < payloads.size() && !p.failed(); ++i) {
        watch.lap();
        prepare_request(p, i, payloads[i], i < senders.size() ? senders[i] : Sender{}, now, watch);
    }
    reads_.end_read();
    // Requests left unread after a failure are answered UNAVAILABLE in finish(): each reply
    // still names the submission it answers.
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        if (p.kinds[i] == Kind::unanswered && p.submission_ids[i].empty()) {
            p.submission_ids[i] = submission_id_of(payloads[i]);
        }
    }
    stage_states(p);
    counters_.encode_ns += watch.lap();
    staged_ = p.sequence;
    return batch;
}

void Escalator::prepare_request(Batch& p, std::size_t i, std::string_view payload,
                                const Sender& sender, TimePoint now, Stopwatch& watch) {
    if (payload.size() > settings_.max_message_bytes) {
        p.replies[i] =
            codec::rejected_reply("oversize", "request of " + std::to_string(payload.size()) +
                                                  " bytes is larger than the limit of " +
                                                  std::to_string(settings_.max_message_bytes));
        p.kinds[i] = Kind::rejected;
        return;
    }
    // Decoded straight into the engine's sitrep by the strict wire decoder: anything it
    // cannot read exactly is REJECTED naming the field (or byte offset).
    const auto body = codec::request_body(payload);
    if (body && body->kind != codec::RequestKind::sitrep) {
        prepare_command(p, i, *body, sender, now);
        counters_.engine_ns += watch.lap();
        return;
    }
    const auto sent =
        body ? Result<std::string_view, engine::FieldError>(body->bytes) : unexpected(body.error());
    codec::SitrepResult sitrep =
        sent ? codec::decode_sitrep(*sent, static_cast<std::size_t>(sent->data() - payload.data()))
             : codec::SitrepResult(unexpected(std::vector<engine::FieldError>{sent.error()}));
    if (!sitrep) {
        engine::SubmitOutcome bad;
        bad.errors = std::move(sitrep).error();
        p.replies[i] = codec::outcome_reply(bad, {}, 0);
        p.kinds[i] = Kind::rejected;
        return;
    }
    // Before the duplicate check: a key learns nothing of another site's submissions.
    if (auto refused = submit_refusal(sender, engine_->model(), sitrep->site_id)) {
        engine::SubmitOutcome bad;
        bad.errors.push_back(std::move(*refused));
        p.replies[i] = codec::outcome_reply(bad, sitrep->site_id, 0);
        p.kinds[i] = Kind::rejected;
        return;
    }
    const std::string sid = sitrep->effective_submission_id();
    p.submission_ids[i] = sid;
    // The engine would compute the default id again (a digest of every measure): it
    // is handed over, and the stored sitrep keeps the bytes as sent.
    sitrep->submission_id = sid;
    counters_.decode_ns += watch.lap();
    auto earlier = earlier_reply(sid, *sitrep);
    counters_.dedupe_ns += watch.lap();
    if (!earlier) {
        p.fail(describe(earlier.error()), true);
        return;
    }
    if (*earlier) {
        p.replies[i] = std::move((*earlier)->reply);
        p.kinds[i] = (*earlier)->kind;
        p.durable[i] = (*earlier)->in_flight;  // the original is only real once it commits
        return;
    }
    const engine::SubmitOutcome outcome = engine_->submit(*sitrep, now, settings_.max_clock_skew);
    counters_.engine_ns += watch.lap();
    if (outcome.status == engine::SubmitStatus::rejected) {
        p.replies[i] = codec::outcome_reply(outcome, sitrep->site_id, 0);
        p.kinds[i] = Kind::rejected;
        return;
    }
    stage_submission(p, i, *sitrep, *sent, outcome, now);
    counters_.encode_ns += watch.lap();
}

void Escalator::stage_submission(Batch& p, std::size_t i, const engine::Sitrep& sitrep,
                                 std::string_view sent, const engine::SubmitOutcome& outcome,
                                 TimePoint now) {
    const std::string& sid = p.submission_ids[i];
    const bool late = outcome.status == engine::SubmitStatus::late;
    const std::optional<SiteResult> site = stage(p, outcome, sitrep.site_id, now);
    // The stored reply leaves out the site result: its results row holds it. The reply
    // sent is the stored one with the result's bytes appended.
    std::string stored_reply = codec::outcome_reply(outcome, sitrep.site_id, p.sequence, false);
    p.replies[i] = stored_reply;
    std::optional<std::uint64_t> result_sequence;
    if (site) {
        codec::append_reply_result(p.replies[i], site->bytes);
        result_sequence = site->sequence;
    }
    p.kinds[i] = late ? Kind::late : Kind::accepted;
    p.durable[i] = true;
    in_flight_replies_.emplace(sid, InFlightReply{p.replies[i], &p, p.sitreps.size()});
    // The sitrep's bytes as the client sent them (the decoder took them exactly).
    p.sitreps.push_back({sid, sitrep.site_id, *sitrep.as_at, now, late ? "late" : "accepted",
                         std::string(sent), std::move(stored_reply), result_sequence});
}

BatchPtr Escalator::prepare_tick() {
    if (unrestored_) {
        return nullptr;  // no deadlines fire on a state that is not the committed one
    }
    const TimePoint now = clock_.now();
    engine::Tick tick = engine_->advance_to(now);
    if (tick.results.empty() && tick.events.empty()) {
        return nullptr;
    }
    BatchPtr batch = new_batch();
    engine::SubmitOutcome as_outcome;
    as_outcome.results = std::move(tick.results);
    as_outcome.events = std::move(tick.events);
    stage(*batch, as_outcome, {}, now);
    stage_states(*batch);
    batch->logged_events = std::move(as_outcome.events);
    staged_ = batch->sequence;
    return batch;
}

store::StoreResult<std::optional<Escalator::Previous>> Escalator::previous(const std::string& key,
                                                                           bool command) {
    const auto& in_flight = command ? in_flight_commands_ : in_flight_replies_;
    if (const auto it = in_flight.find(key); it != in_flight.end()) {
        const InFlightReply& r = it->second;
        return std::optional<Previous>(Previous{
            r.reply, std::nullopt,
            command ? r.batch->commands[r.row].request : r.batch->sitreps[r.row].sitrep, true});
    }
    auto found = command ? reads_.find_command(key) : reads_.find_reply(key);
    if (!found) {
        return unexpected(std::move(found).error());
    }
    if (!*found) {
        return std::optional<Previous>();
    }
    store::StoredReply& stored = **found;
    return std::optional<Previous>(Previous{std::move(stored.reply), std::move(stored.result),
                                            std::move(stored.sitrep), false});
}

store::StoreResult<std::optional<Escalator::Earlier>> Escalator::earlier_reply(
    const std::string& sid, const engine::Sitrep& sitrep) {
    auto before = previous(sid, false);
    if (!before) {
        return unexpected(std::move(before).error());
    }
    if (!*before) {
        return std::optional<Earlier>();
    }
    const Previous& first_reply = **before;
    // The same key stands for the same content (SPEC §4 rule 7): a resend is a DUPLICATE,
    // other content under the same key REJECTED.
    const codec::SitrepResult first = codec::decode_sitrep(first_reply.content);
    if (!first || !first->same_content(sitrep)) {
        engine::SubmitOutcome conflict;
        conflict.errors.push_back(
            engine::idempotency_conflict(sid, sitrep, first ? *first : engine::Sitrep{}));
        return std::optional<Earlier>(
            Earlier{codec::outcome_reply(conflict, sitrep.site_id, 0), Kind::rejected});
    }
    return std::optional<Earlier>(
        Earlier{codec::duplicate_reply(first_reply.reply, first_reply.result_publication),
                Kind::duplicate, first_reply.in_flight});
}

void Escalator::prepare_command(Batch& p, std::size_t i, const codec::RequestBody& body,
                                const Sender& sender, TimePoint now) {
    const auto reject = [&p, i](engine::SubmitOutcome outcome, std::string_view node_id) {
        outcome.status = engine::SubmitStatus::rejected;
        p.replies[i] = codec::outcome_reply(outcome, node_id, 0);
        p.kinds[i] = Kind::rejected;
    };
    auto command = decode_command(body);
    if (!command) {
        engine::SubmitOutcome bad;
        bad.errors = std::move(command).error();
        reject(std::move(bad), {});
        return;
    }
    const std::string& key = command->key;
    const std::string& node_id = command->node_id;
    if (auto refused = command_refusal(sender, engine_->model(), command->kind, node_id)) {
        engine::SubmitOutcome bad;
        bad.errors.push_back(std::move(*refused));
        reject(std::move(bad), node_id);
        return;
    }
    p.submission_ids[i] = key;
    auto before = previous(key, true);
    if (!before) {
        p.fail(describe(before.error()), true);
        return;
    }
    if (*before) {
        const Previous& first = **before;
        if (auto conflict = command->conflict ? command->conflict(first.content) : std::nullopt) {
            engine::SubmitOutcome refused;
            refused.errors.push_back(std::move(*conflict));
            reject(std::move(refused), node_id);
            return;
        }
        p.replies[i] = codec::duplicate_reply(first.reply, first.result_publication);
        p.kinds[i] = Kind::duplicate;
        p.durable[i] = first.in_flight;
        return;
    }
    engine::SubmitOutcome outcome = command->apply(*engine_, now);
    outcome.submission_id = key;
    if (outcome.status == engine::SubmitStatus::rejected) {
        reject(std::move(outcome), node_id);
        return;
    }
    const std::optional<SiteResult> result = stage(p, outcome, node_id, now);
    std::string stored_reply = codec::outcome_reply(outcome, node_id, p.sequence, false);
    codec::append_reply_message(stored_reply, command->message(outcome, *engine_));
    p.replies[i] = stored_reply;
    if (result) {
        codec::append_reply_result(p.replies[i], result->bytes);
    }
    p.kinds[i] = Kind::accepted;
    p.durable[i] = true;
    in_flight_commands_.emplace(key, InFlightReply{p.replies[i], &p, p.commands.size()});
    p.commands.push_back({key, command->kind, node_id, now, std::string(body.bytes),
                          std::move(stored_reply),
                          result ? std::optional(result->sequence) : std::nullopt});
}

Escalator::BatchOutput Escalator::finish(BatchPtr batch) {
    Batch& p = *batch;
    --in_flight_;
    for (const std::string& sid : p.submission_ids) {
        for (auto* in_flight : {&in_flight_replies_, &in_flight_commands_}) {
            const auto it = in_flight->find(sid);
            if (it != in_flight->end() && it->second.batch == &p) {
                in_flight->erase(it);
            }
        }
    }
    counters_.commit_ns += p.commit_ns;
    BatchOutput out;
    if (!p.committed) {
        if (p.reports_failure) {
            ++counters_.commit_failures;
            last_failure_ = p.failure;
            log_.error(
                "storage failed: {}; the batch and every batch computed with it are rolled "
                "back and answered UNAVAILABLE, state reloaded from the last commit",
                p.failure);
        }
        // The first batch of a generation to finish uncommitted rebuilds; the others
        // belong to the old generation and only need answering.
        if (p.generation == generation_) {
            // The config is kept once, in the engine's model (at 10,000 sites a copy is
            // megabytes); this copy replaces it.
            rebuild(engine_->model().config());
        }
        for (std::size_t i = 0; i < p.replies.size(); ++i) {
            if (p.durable[i] || p.kinds[i] == Kind::unanswered) {
                p.replies[i] = codec::unavailable_reply(p.submission_ids[i],
                                                        "storage unavailable; nothing was changed, "
                                                        "retry later");
                p.kinds[i] = Kind::unanswered;
            }
        }
    } else {
        if (p.ends_transaction) {
            ++counters_.commits;
            last_failure_.reset();
        }
        for (const engine::Event& e : p.logged_events) {
            log_.info("{} {} {} -> {}", e.transition_id, engine::to_string(e.kind),
                      engine::to_string(e.from), engine::to_string(e.to));
        }
        sequence_ = p.sequence;
        counters_.published += p.publications.size();
        out.publications = std::move(p.publications);
    }
    // By Kind: unanswered requests of a failed batch were answered UNAVAILABLE.
    std::uint64_t* const counted[] = {&counters_.unavailable, &counters_.rejected,
                                      &counters_.duplicate, &counters_.accepted, &counters_.late};
    for (const Kind k : p.kinds) {
        ++*counted[static_cast<std::size_t>(k)];
    }
    out.replies = std::move(p.replies);
    return out;
}

std::optional<std::string> Escalator::unavailable() const {
    if (unrestored_) {
        return "the last committed state cannot be read back: " + *unrestored_;
    }
    if (auto unwritable = reads_.unwritable()) {
        return "the database is not writable: " + unwritable->message;
    }
    if (last_failure_) {
        return "the last transaction failed: " + *last_failure_;
    }
    return std::nullopt;
}

std::string Escalator::framing_error(std::size_t payload_frames) {
    ++counters_.rejected;
    log_.warn("submit: request with {} payload frames (expected 1) rejected", payload_frames);
    return codec::rejected_reply(
        "malformed", "expected exactly one payload frame, got " + std::to_string(payload_frames));
}

Publication Escalator::heartbeat() const {
    return {"heartbeat", codec::heartbeat_publication(sequence_, epoch_, clock_.now())};
}

std::string Escalator::snapshot_framing_error(std::size_t payload_frames) const {
    return codec::snapshot_error(
        sequence_, epoch_,
        "expected exactly one payload frame, got " + std::to_string(payload_frames));
}

std::string Escalator::snapshot(std::string_view request, const Sender& sender) const {
    if (unrestored_) {
        return codec::snapshot_error(
            sequence_, epoch_,
            "state unavailable: cannot read the last commit back (" + *unrestored_ + ")");
    }
    const auto subtree = codec::snapshot_subtree(request);
    if (!subtree) {
        return codec::snapshot_error(sequence_, epoch_, subtree.error());
    }
    const engine::Model& model = engine_->model();
    std::vector<engine::NodeResult> results;
    for (engine::NodeIndex i = 0; i < model.node_count(); ++i) {
        if (engine::path_matches(model.node(i).path, *subtree) &&
            (!sender.curve ||
             (sender.scope != nullptr && sender.scope->may_read(model.node(i).path)))) {
            results.push_back(engine_->result(i));
        }
    }
    return codec::snapshot_reply(sequence_, epoch_, results, config_hash_);
}

}  // namespace opel::escalatord

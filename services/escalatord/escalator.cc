#include "escalatord/escalator.h"

#include <google/protobuf/arena.h>
#include <spdlog/logger.h>

#include <algorithm>
#include <map>
#include <random>
#include <unordered_set>

#include "common/clock/stopwatch.h"
#include "common/codec/codec.h"
#include "opel/v1/feed.pb.h"
#include "opel/v1/request.pb.h"

namespace opel::escalatord {
namespace {

std::string serialize(const google::protobuf::Message& m) { return m.SerializeAsString(); }

std::string rejected_reply(const std::string& code, const std::string& message) {
    v1::SubmitReply reply;
    reply.set_status(v1::SUBMIT_STATUS_REJECTED);
    reply.set_message(message);
    v1::SubmitError* e = reply.add_errors();
    e->set_code(code);
    e->set_message(message);
    return serialize(reply);
}

std::string unavailable_reply(const std::string& submission_id, const std::string& why) {
    v1::SubmitReply reply;
    reply.set_status(v1::SUBMIT_STATUS_UNAVAILABLE);
    reply.set_submission_id(submission_id);
    reply.set_message(why);
    return serialize(reply);
}

// The original reply of a stored submission: the stored reply with its site result put back.
v1::SubmitReply stored_reply(const store::StoredReply& stored) {
    v1::SubmitReply reply;
    reply.ParseFromString(stored.reply);
    v1::Publication publication;
    if (stored.result && publication.ParseFromString(*stored.result) && publication.has_status()) {
        *reply.mutable_result() = std::move(*publication.mutable_status());
    }
    return reply;
}

// A random, non-zero publisher epoch (Publication.epoch).
std::uint64_t new_epoch() {
    std::random_device random;
    std::uint64_t epoch = 0;
    while (epoch == 0) {
        epoch = (std::uint64_t{random()} << 32) | random();
    }
    return epoch;
}

// The submission id a request names (explicitly or by default), or "" when it cannot be read.
std::string submission_id_of(std::string_view payload) {
    const auto sent = codec::sitrep_of_request(payload);
    const codec::SitrepResult sitrep =
        sent ? codec::decode_sitrep(*sent)
             : codec::SitrepResult(unexpected(std::vector<engine::FieldError>{}));
    return sitrep ? sitrep->effective_submission_id() : std::string();
}

// A storage error as the log and the failure text say it: "busy: database is locked".
std::string describe(const store::StoreError& e) {
    return std::string(store::to_string(e.code)) + ": " + e.message;
}

}  // namespace

// One batch's staged rows and outputs; applied to the store in one transaction.
struct Batch {
    std::vector<std::string> replies;
    std::vector<Kind> kinds;
    std::vector<bool> durable;  // the reply is only true once the batch commits
    std::vector<std::string> submission_ids;
    std::vector<store::SitrepRow> sitreps;
    // A result or event to store: its bytes are those of publications[publication].
    struct Row {
        std::uint64_t sequence = 0;
        std::string node_id;
        TimePoint at;
        std::string_view kind;  // static text (engine::to_string)
        std::size_t publication = 0;
    };
    std::vector<Row> results;
    std::vector<Row> events;
    struct State {
        engine::NodeIndex node = 0;
        std::string node_id;
        std::string state;                  // serialized opel.v1.NodeState without its result
        std::uint64_t result_sequence = 0;  // the results row holding its result
    };
    std::vector<State> states;
    std::vector<Publication> publications;
    std::vector<engine::Event> logged_events;            // a tick's events, logged once committed
    std::map<engine::NodeIndex, std::uint64_t> changed;  // node -> its last result's sequence
    std::uint64_t sequence = 0;                          // the last sequence the batch numbers
    // Shared by every batch of one generation (see Escalator::generation_failed_).
    std::shared_ptr<std::atomic<bool>> generation_failed;
    bool committed = false;
    bool reports_failure = false;   // the failure is its own (one per failed transaction)
    bool ends_transaction = false;  // the last batch of a transaction with rows (counted once)
    std::string failure;            // why the batch was not committed
    std::uint64_t commit_ns = 0;

    bool has_rows() const { return !sitreps.empty() || !results.empty() || !events.empty(); }
    store::PublishedRow stored(const Row& row) const {
        return {row.sequence, row.node_id, row.at, row.kind, publications[row.publication].payload};
    }
    // Fails the batch and its generation; `report`: this batch logs and counts the failure.
    void fail(std::string why, bool report) {
        if (failure.empty()) {
            failure = std::move(why);
        }
        reports_failure = reports_failure || report;
        generation_failed->store(true);
    }
};

void BatchDeleter::operator()(Batch* batch) const { delete batch; }

Escalator::Escalator(engine::EngineConfig config, config::EscalatordSettings settings,
                     store::Store& store, const Clock& clock, spdlog::logger& log)
    : settings_(std::move(settings)),
      store_(store),
      clock_(clock),
      log_(log),
      engine_(std::make_unique<engine::Engine>(std::move(config), engine::EngineOptions{false})),
      generation_failed_(std::make_shared<std::atomic<bool>>(false)),
      epoch_(new_epoch()) {}

Escalator::~Escalator() = default;

store::StoreResult<store::Done> Escalator::restore() {
    auto states = store_.node_states();
    if (!states) {
        return unexpected(std::move(states).error());
    }
    std::size_t restored = 0;
    for (const store::StoredState& stored : *states) {
        const auto index = engine_->model().find_node(stored.node_id);
        v1::NodeState state;
        if (!index) {
            log_.warn("stored state for node '{}' ignored: not in the current tree",
                      stored.node_id);
            continue;
        }
        if (!state.ParseFromString(stored.state)) {
            log_.warn("stored state for node '{}' ignored: undecodable", stored.node_id);
            continue;
        }
        if (stored.result_sequence) {
            // The state was stored without its result: that is its last published one.
            v1::Publication publication;
            if (!stored.result || !publication.ParseFromString(*stored.result) ||
                !publication.has_status()) {
                log_.warn(
                    "stored state for node '{}': its result (sequence {}) is missing or "
                    "undecodable; restored without it until the node's next result",
                    stored.node_id, *stored.result_sequence);
            } else {
                *state.mutable_result() = std::move(*publication.mutable_status());
            }
        }
        engine_->restore(*index, codec::from_proto(state));
        ++restored;
    }
    auto sequence = store_.last_sequence();
    if (!sequence) {
        return unexpected(std::move(sequence).error());
    }
    sequence_ = *sequence;
    staged_ = *sequence;
    log_.info("restored {} node states, sequence {}", restored, sequence_);
    return store::Done{};
}

BatchPtr Escalator::new_batch() {
    BatchPtr batch(new Batch);
    batch->sequence = staged_;
    batch->generation_failed = generation_failed_;
    ++in_flight_;
    return batch;
}

std::optional<std::uint64_t> Escalator::stage(Batch& p, const engine::SubmitOutcome& outcome,
                                              std::string_view site_id, TimePoint now,
                                              std::string& site_result) const {
    std::optional<std::uint64_t> site_sequence;
    for (const engine::NodeResult& r : outcome.results) {
        ++p.sequence;
        std::string result = codec::encode_result(r);  // protobuf's bytes, no message built
        std::string payload = codec::status_publication(p.sequence, result, epoch_);
        if (r.node_id == site_id) {
            // The last one (a staleness tick may come first); its bytes go into the reply.
            site_sequence = p.sequence;
            site_result = std::move(result);
        }
        p.results.push_back({p.sequence, r.node_id, r.as_at.value_or(now),
                             engine::to_string(r.status), p.publications.size()});
        p.publications.push_back({"status/" + r.path, std::move(payload)});
        if (const auto index = engine_->model().find_node(r.node_id)) {
            p.changed[*index] = p.sequence;
        }
    }
    for (const engine::Event& e : outcome.events) {
        google::protobuf::Arena arena(encode_block_.data(), encode_block_.size());
        auto* pub = google::protobuf::Arena::CreateMessage<v1::Publication>(&arena);
        pub->set_sequence(++p.sequence);
        pub->set_epoch(epoch_);
        codec::to_proto(e, *pub->mutable_alert());
        p.events.push_back(
            {p.sequence, e.node_id, e.at, engine::to_string(e.kind), p.publications.size()});
        p.publications.push_back({"alert/" + e.path, serialize(*pub)});
    }
    return site_sequence;
}

void Escalator::stage_states(Batch& p) const {
    p.states.reserve(p.changed.size());
    for (const auto& [i, result_sequence] : p.changed) {
        google::protobuf::Arena arena(encode_block_.data(), encode_block_.size());
        auto* state = google::protobuf::Arena::CreateMessage<v1::NodeState>(&arena);
        codec::to_proto(engine_->snapshot(i, false), *state);
        p.states.push_back(
            {i, engine_->model().node(i).config.id, serialize(*state), result_sequence});
    }
}

void Escalator::commit(store::Store& store, Batch& batch) {
    Batch* const one[] = {&batch};
    commit(store, one);
}

void Escalator::commit(store::Store& store, std::span<Batch* const> batches) {
    // Batches after a failure of their generation are skipped; the others (all of one
    // generation: a newer one only starts once the older has failed) share one transaction.
    std::vector<Batch*> live;
    for (Batch* b : batches) {
        if (!b->generation_failed->load()) {
            live.push_back(b);
        }
    }
    const bool rows = std::any_of(live.begin(), live.end(), [](Batch* b) { return b->has_rows(); });
    if (!rows) {
        for (Batch* b : live) {
            b->committed = true;
        }
        return;
    }
    Stopwatch watch;
    std::string failure;
    const auto check = [&failure](const store::StoreResult<store::Done>& r) {
        if (!r && failure.empty()) {
            failure = describe(r.error());
        }
        return r.has_value();
    };
    bool ok = check(store.begin());
    std::vector<store::PublishedRow> results;
    for (const Batch* p : live) {
        for (std::size_t i = 0; ok && i < p->sitreps.size(); ++i) {
            ok = check(store.add_sitrep(p->sitreps[i]));
        }
        results.clear();
        for (const Batch::Row& r : p->results) {
            results.push_back(p->stored(r));
        }
        ok = ok && check(store.add_results(results));
        for (std::size_t i = 0; ok && i < p->events.size(); ++i) {
            ok = check(store.add_event(p->stored(p->events[i])));
        }
    }
    // Only a node's newest state in the transaction is written: the latest batch's, so the
    // batches are walked newest first and a node already written is skipped.
    std::unordered_set<engine::NodeIndex> written;
    for (auto p = live.rbegin(); ok && p != live.rend(); ++p) {
        for (std::size_t i = 0; ok && i < (*p)->states.size(); ++i) {
            const Batch::State& s = (*p)->states[i];
            if (written.insert(s.node).second) {
                ok = check(store.put_node_state(s.node_id, s.state, s.result_sequence));
            }
        }
    }
    ok = ok && check(store.commit());
    if (!ok) {
        store.rollback();
    }
    for (Batch* b : live) {
        b->committed = ok;
        if (!ok) {
            b->fail(failure, b == live.back());
        }
    }
    live.back()->ends_transaction = true;
    live.back()->commit_ns = watch.lap();
}

void Escalator::rebuild_after_failure() {
    // The config is kept once, in the engine's model (at 10,000 sites a copy is megabytes).
    engine_ =
        std::make_unique<engine::Engine>(engine_->model().config(), engine::EngineOptions{false});
    generation_failed_ = std::make_shared<std::atomic<bool>>(false);
    in_flight_replies_.clear();
    if (auto r = restore(); !r) {
        // The last committed state cannot even be read back: nothing safe is left to do.
        throw std::runtime_error("cannot reload state after a storage failure: " +
                                 r.error().message);
    }
}

BatchPtr Escalator::prepare(const std::vector<std::string_view>& payloads) {
    BatchPtr batch = new_batch();
    Batch& p = *batch;
    p.replies.resize(payloads.size());
    p.kinds.assign(payloads.size(), Kind::unanswered);
    p.durable.assign(payloads.size(), false);
    p.submission_ids.resize(payloads.size());
    const TimePoint now = clock_.now();
    Stopwatch watch;
    // One read transaction for the batch's duplicate lookups. A batch that commits while it
    // is open is still in in_flight_replies_ (it is finished on this thread, later).
    if (auto began = store_.begin_read(); !began) {
        p.fail(describe(began.error()), true);
    }
    for (std::size_t i = 0; i < payloads.size() && !p.generation_failed->load(); ++i) {
        const std::string_view payload = payloads[i];
        watch.lap();
        if (payload.size() > settings_.max_message_bytes) {
            p.replies[i] =
                rejected_reply("oversize", "request of " + std::to_string(payload.size()) +
                                               " bytes is larger than the limit of " +
                                               std::to_string(settings_.max_message_bytes));
            p.kinds[i] = Kind::rejected;
            continue;
        }
        // Decoded straight into the engine's sitrep by the strict wire decoder: anything it
        // cannot read exactly is REJECTED naming the field (or byte offset).
        const auto sent = codec::sitrep_of_request(payload);
        codec::SitrepResult sitrep =
            sent ? codec::decode_sitrep(*sent,
                                        static_cast<std::size_t>(sent->data() - payload.data()))
                 : codec::SitrepResult(unexpected(std::vector<engine::FieldError>{sent.error()}));
        if (!sitrep) {
            engine::SubmitOutcome bad;
            bad.errors = std::move(sitrep).error();
            p.replies[i] = serialize(codec::to_reply(bad, {}, 0));
            p.kinds[i] = Kind::rejected;
            continue;
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
            break;
        }
        if (*earlier) {
            p.replies[i] = std::move((*earlier)->reply);
            p.kinds[i] = (*earlier)->kind;
            p.durable[i] = (*earlier)->in_flight;  // the original is only real once it commits
            continue;
        }
        const engine::SubmitOutcome outcome =
            engine_->submit(*sitrep, now, settings_.max_clock_skew);
        counters_.engine_ns += watch.lap();
        if (outcome.status == engine::SubmitStatus::rejected) {
            p.replies[i] = serialize(codec::to_reply(outcome, sitrep->site_id, 0));
            p.kinds[i] = Kind::rejected;
            continue;
        }
        const bool late = outcome.status == engine::SubmitStatus::late;
        std::string site_result;
        const std::optional<std::uint64_t> result_sequence =
            stage(p, outcome, sitrep->site_id, now, site_result);
        // The stored reply leaves out the site result: its results row holds it. The reply
        // sent is the stored one with the result's bytes appended.
        std::string stored_reply =
            serialize(codec::to_reply(outcome, sitrep->site_id, p.sequence, false));
        p.replies[i] = stored_reply;
        if (result_sequence) {
            codec::append_field(p.replies[i], v1::SubmitReply::kResultFieldNumber, site_result);
        }
        p.kinds[i] = late ? Kind::late : Kind::accepted;
        p.durable[i] = true;
        in_flight_replies_.emplace(sid, InFlightReply{p.replies[i], &p, p.sitreps.size()});
        // The sitrep's bytes as the client sent them (the decoder took them exactly).
        p.sitreps.push_back({sid, sitrep->site_id, *sitrep->as_at, now, late ? "late" : "accepted",
                             std::string(*sent), std::move(stored_reply), result_sequence});
        counters_.encode_ns += watch.lap();
    }
    store_.end_read();
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

BatchPtr Escalator::prepare_tick() {
    const TimePoint now = clock_.now();
    engine::Tick tick = engine_->advance_to(now);
    if (tick.results.empty() && tick.events.empty()) {
        return nullptr;
    }
    BatchPtr batch = new_batch();
    engine::SubmitOutcome as_outcome;
    as_outcome.results = std::move(tick.results);
    as_outcome.events = std::move(tick.events);
    std::string unused;
    stage(*batch, as_outcome, {}, now, unused);
    stage_states(*batch);
    batch->logged_events = std::move(as_outcome.events);
    staged_ = batch->sequence;
    return batch;
}

store::StoreResult<std::optional<Escalator::Earlier>> Escalator::earlier_reply(
    const std::string& sid, const engine::Sitrep& sitrep) {
    v1::SubmitReply original;
    std::string_view first_bytes;
    bool in_flight = false;
    std::optional<store::StoredReply> stored;
    if (const auto it = in_flight_replies_.find(sid); it != in_flight_replies_.end()) {
        original.ParseFromString(it->second.reply);
        first_bytes = it->second.batch->sitreps[it->second.row].sitrep;
        in_flight = true;
    } else if (auto found = store_.find_reply(sid); !found) {
        return unexpected(std::move(found).error());
    } else if (*found) {
        stored = std::move(**found);
        original = stored_reply(*stored);
        first_bytes = stored->sitrep;
    } else {
        return std::optional<Earlier>();
    }
    // The same key stands for the same content (SPEC §4 rule 7): a resend is a DUPLICATE,
    // other content under the same key REJECTED.
    const codec::SitrepResult first = codec::decode_sitrep(first_bytes);
    if (!first || !first->same_content(sitrep)) {
        engine::SubmitOutcome conflict;
        conflict.errors.push_back(
            engine::idempotency_conflict(sid, sitrep, first ? *first : engine::Sitrep{}));
        return std::optional<Earlier>(
            Earlier{serialize(codec::to_reply(conflict, sitrep.site_id, 0)), Kind::rejected});
    }
    original.set_original_status(original.status());
    original.set_status(v1::SUBMIT_STATUS_DUPLICATE);
    return std::optional<Earlier>(Earlier{serialize(original), Kind::duplicate, in_flight});
}

Escalator::BatchOutput Escalator::finish(BatchPtr batch) {
    Batch& p = *batch;
    --in_flight_;
    for (const std::string& sid : p.submission_ids) {
        const auto it = in_flight_replies_.find(sid);
        if (it != in_flight_replies_.end() && it->second.batch == &p) {
            in_flight_replies_.erase(it);
        }
    }
    counters_.commit_ns += p.commit_ns;
    BatchOutput out;
    if (!p.committed) {
        if (p.reports_failure) {
            ++counters_.commit_failures;
            log_.error(
                "storage failed: {}; the batch and every batch computed with it are rolled "
                "back and answered UNAVAILABLE, state reloaded from the last commit",
                p.failure);
        }
        // The first batch of a generation to finish uncommitted rebuilds; the others
        // belong to the old generation and only need answering.
        if (p.generation_failed == generation_failed_) {
            rebuild_after_failure();
        }
        for (std::size_t i = 0; i < p.replies.size(); ++i) {
            if (p.durable[i] || p.kinds[i] == Kind::unanswered) {
                p.replies[i] = unavailable_reply(p.submission_ids[i],
                                                 "storage unavailable; nothing was changed, "
                                                 "retry later");
                p.kinds[i] = Kind::unanswered;
            }
        }
    } else {
        if (p.ends_transaction) {
            ++counters_.commits;
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

Escalator::BatchOutput Escalator::submit_batch(const std::vector<std::string_view>& payloads) {
    BatchPtr batch = prepare(payloads);
    commit(store_, *batch);
    return finish(std::move(batch));
}

std::string Escalator::framing_error(std::size_t payload_frames) {
    ++counters_.rejected;
    log_.warn("submit: request with {} payload frames (expected 1) rejected", payload_frames);
    return rejected_reply(
        "malformed", "expected exactly one payload frame, got " + std::to_string(payload_frames));
}

std::vector<Publication> Escalator::on_time() {
    BatchPtr batch = prepare_tick();
    if (!batch) {
        return {};
    }
    commit(store_, *batch);
    // On a failure the engine is rebuilt and the deadlines fire again on the next tick.
    return finish(std::move(batch)).publications;
}

Publication Escalator::heartbeat() const {
    v1::Publication pub;
    pub.set_sequence(sequence_);
    pub.set_epoch(epoch_);
    pub.mutable_heartbeat()->set_last_sequence(sequence_);
    pub.mutable_heartbeat()->mutable_at()->set_seconds(clock_.now().time_since_epoch().count());
    return {"heartbeat", serialize(pub)};
}

std::string Escalator::snapshot_framing_error(std::size_t payload_frames) const {
    v1::Snapshot snapshot;
    snapshot.set_sequence(sequence_);
    snapshot.set_epoch(epoch_);
    snapshot.set_error("expected exactly one payload frame, got " + std::to_string(payload_frames));
    return serialize(snapshot);
}

std::string Escalator::snapshot(std::string_view request_bytes) const {
    v1::SnapshotRequest request;
    v1::Snapshot snapshot;
    snapshot.set_sequence(sequence_);
    snapshot.set_epoch(epoch_);
    if (!request.ParseFromArray(request_bytes.data(), static_cast<int>(request_bytes.size()))) {
        snapshot.set_error("not an opel.v1.SnapshotRequest (" +
                           std::to_string(request_bytes.size()) + " bytes)");
        return serialize(snapshot);
    }
    const engine::Model& model = engine_->model();
    for (engine::NodeIndex i = 0; i < model.node_count(); ++i) {
        if (engine::path_matches(model.node(i).path, request.subtree())) {
            *snapshot.add_results() = codec::to_proto(engine_->result(i));
        }
    }
    return serialize(snapshot);
}

}  // namespace opel::escalatord

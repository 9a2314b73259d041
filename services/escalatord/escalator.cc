#include "escalatord/escalator.h"

#include <spdlog/logger.h>

#include <map>
#include <set>

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

}  // namespace

// One batch's staged rows and outputs; applied to the store in one transaction.
struct Escalator::Pending {
    std::vector<std::string> replies;
    std::vector<bool> durable;  // the reply is only true once the batch commits
    std::vector<std::string> submission_ids;
    std::vector<store::SitrepRow> sitreps;
    std::vector<store::PublishedRow> results;
    std::vector<store::PublishedRow> events;
    std::vector<Publication> publications;
    std::set<engine::NodeIndex> changed;
    std::map<std::string, std::string, std::less<>> batch_replies;  // for in-batch duplicates
    std::uint64_t sequence = 0;
    bool failed = false;
    std::string failure;
};

Escalator::Escalator(engine::EngineConfig config, config::EscalatordSettings settings,
                     store::Store& store, const Clock& clock, spdlog::logger& log)
    : config_(std::move(config)),
      settings_(std::move(settings)),
      store_(store),
      clock_(clock),
      log_(log),
      engine_(std::make_unique<engine::Engine>(config_, engine::EngineOptions{false})) {}

Escalator::~Escalator() = default;

store::StoreResult<store::Done> Escalator::restore() {
    auto states = store_.node_states();
    if (!states) {
        return unexpected(std::move(states).error());
    }
    std::size_t restored = 0;
    for (const auto& [node_id, bytes] : *states) {
        const auto index = engine_->model().find_node(node_id);
        v1::NodeState state;
        if (!index) {
            log_.warn("stored state for node '{}' ignored: not in the current tree", node_id);
            continue;
        }
        if (!state.ParseFromString(bytes)) {
            log_.warn("stored state for node '{}' ignored: undecodable", node_id);
            continue;
        }
        engine_->restore(*index, codec::from_proto(state));
        ++restored;
    }
    auto sequence = store_.last_sequence();
    if (!sequence) {
        return unexpected(std::move(sequence).error());
    }
    sequence_ = *sequence;
    log_.info("restored {} node states, sequence {}", restored, sequence_);
    return store::Done{};
}

std::optional<std::uint64_t> Escalator::stage(Pending& p, const engine::SubmitOutcome& outcome,
                                              std::string_view site_id) const {
    const TimePoint now = clock_.now();
    std::optional<std::uint64_t> site_sequence;
    for (const engine::NodeResult& r : outcome.results) {
        v1::Publication pub;
        pub.set_sequence(++p.sequence);
        if (r.node_id == site_id) {
            site_sequence = p.sequence;  // the last one: a staleness tick may come first
        }
        *pub.mutable_status() = codec::to_proto(r);
        std::string payload = serialize(pub);
        p.results.push_back({p.sequence, r.node_id, r.as_at.value_or(now),
                             std::string(engine::to_string(r.status)), payload});
        p.publications.push_back({"status/" + r.path, std::move(payload)});
        if (const auto index = engine_->model().find_node(r.node_id)) {
            p.changed.insert(*index);
        }
    }
    for (const engine::Event& e : outcome.events) {
        v1::Publication pub;
        pub.set_sequence(++p.sequence);
        *pub.mutable_alert() = codec::to_proto(e);
        std::string payload = serialize(pub);
        p.events.push_back(
            {p.sequence, e.node_id, e.at, std::string(engine::to_string(e.kind)), payload});
        p.publications.push_back({"alert/" + e.path, std::move(payload)});
    }
    return site_sequence;
}

bool Escalator::write(Pending& p) {
    const auto check = [&p](const store::StoreResult<store::Done>& r) {
        if (!r && !p.failed) {
            p.failed = true;
            p.failure = std::string(store::to_string(r.error().code)) + ": " + r.error().message;
        }
        return !p.failed;
    };
    for (const store::SitrepRow& row : p.sitreps) {
        if (!check(store_.add_sitrep(row))) {
            return false;
        }
    }
    for (const store::PublishedRow& row : p.results) {
        if (!check(store_.add_result(row))) {
            return false;
        }
    }
    for (const store::PublishedRow& row : p.events) {
        if (!check(store_.add_event(row))) {
            return false;
        }
    }
    for (const engine::NodeIndex i : p.changed) {
        const std::string state = serialize(codec::to_proto(engine_->snapshot(i)));
        if (!check(store_.put_node_state(engine_->model().node(i).config.id, state))) {
            return false;
        }
    }
    if (!check(store_.commit())) {
        return false;
    }
    ++counters_.commits;
    return true;
}

void Escalator::rebuild_after_failure(const std::string& why) {
    store_.rollback();
    ++counters_.commit_failures;
    log_.error("storage failed, batch rolled back and answered UNAVAILABLE: {}", why);
    engine_ = std::make_unique<engine::Engine>(config_, engine::EngineOptions{false});
    sequence_ = 0;
    if (auto r = restore(); !r) {
        // The last committed state cannot even be read back: nothing safe is left to do.
        throw std::runtime_error("cannot reload state after a storage failure: " +
                                 r.error().message);
    }
}

Escalator::BatchOutput Escalator::submit_batch(const std::vector<std::string_view>& payloads) {
    Pending p;
    p.sequence = sequence_;
    p.replies.resize(payloads.size());
    p.durable.assign(payloads.size(), false);
    p.submission_ids.resize(payloads.size());
    if (auto began = store_.begin(); !began) {
        p.failed = true;
        p.failure = began.error().message;
    }
    const TimePoint now = clock_.now();
    Stopwatch watch;
    for (std::size_t i = 0; i < payloads.size() && !p.failed; ++i) {
        const std::string_view payload = payloads[i];
        watch.lap();
        if (payload.size() > settings_.max_message_bytes) {
            p.replies[i] =
                rejected_reply("oversize", "request of " + std::to_string(payload.size()) +
                                               " bytes is larger than the limit of " +
                                               std::to_string(settings_.max_message_bytes));
            ++counters_.rejected;
            continue;
        }
        v1::SubmitRequest request;
        if (!request.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
            !request.has_sitrep()) {
            p.replies[i] =
                rejected_reply("malformed", "not an opel.v1.SubmitRequest carrying a sitrep (" +
                                                std::to_string(payload.size()) + " bytes)");
            ++counters_.rejected;
            continue;
        }
        auto sitrep = codec::from_proto(request.sitrep());
        if (!sitrep) {
            engine::SubmitOutcome bad;
            bad.status = engine::SubmitStatus::rejected;
            bad.errors = sitrep.error();
            p.replies[i] = serialize(codec::to_reply(bad, request.sitrep().site_id(), 0));
            ++counters_.rejected;
            continue;
        }
        const std::string sid = sitrep->effective_submission_id();
        p.submission_ids[i] = sid;
        counters_.decode_ns += watch.lap();
        std::optional<v1::SubmitReply> original;
        if (const auto in_batch = p.batch_replies.find(sid); in_batch != p.batch_replies.end()) {
            original.emplace().ParseFromString(in_batch->second);
            p.durable[i] = true;  // the original is only real if this batch commits
        } else if (auto stored = store_.find_reply(sid); !stored) {
            p.failed = true;
            p.failure = stored.error().message;
            break;
        } else if (*stored) {
            original = stored_reply(**stored);
        }
        counters_.dedupe_ns += watch.lap();
        if (original) {
            original->set_original_status(original->status());
            original->set_status(v1::SUBMIT_STATUS_DUPLICATE);
            p.replies[i] = serialize(*original);
            ++counters_.duplicate;
            continue;
        }
        const engine::SubmitOutcome outcome =
            engine_->submit(*sitrep, now, settings_.max_clock_skew);
        counters_.engine_ns += watch.lap();
        if (outcome.status == engine::SubmitStatus::rejected) {
            p.replies[i] = serialize(codec::to_reply(outcome, sitrep->site_id, 0));
            ++counters_.rejected;
            continue;
        }
        const std::optional<std::uint64_t> result_sequence = stage(p, outcome, sitrep->site_id);
        v1::SubmitReply reply = codec::to_reply(outcome, sitrep->site_id, p.sequence);
        p.replies[i] = serialize(reply);
        p.durable[i] = true;
        p.batch_replies.emplace(sid, p.replies[i]);
        // The stored reply leaves out the site result: its results row holds it.
        reply.clear_result();
        p.sitreps.push_back({sid, sitrep->site_id, *sitrep->as_at, now,
                             outcome.status == engine::SubmitStatus::late ? "late" : "accepted",
                             serialize(request.sitrep()), serialize(reply), result_sequence});
        ++(outcome.status == engine::SubmitStatus::late ? counters_.late : counters_.accepted);
        counters_.encode_ns += watch.lap();
    }
    if (!p.failed) {
        watch.lap();
        write(p);
        counters_.commit_ns += watch.lap();
    }
    BatchOutput out;
    if (p.failed) {
        rebuild_after_failure(p.failure);
        for (std::size_t i = 0; i < payloads.size(); ++i) {
            if (p.durable[i] || p.replies[i].empty()) {
                p.replies[i] = unavailable_reply(p.submission_ids[i],
                                                 "storage unavailable; nothing was changed, "
                                                 "retry later");
                ++counters_.unavailable;
            }
        }
        out.replies = std::move(p.replies);
        return out;
    }
    sequence_ = p.sequence;
    counters_.published += p.publications.size();
    out.replies = std::move(p.replies);
    out.publications = std::move(p.publications);
    return out;
}

std::string Escalator::framing_error(std::size_t payload_frames) {
    ++counters_.rejected;
    log_.warn("submit: request with {} payload frames (expected 1) rejected", payload_frames);
    return rejected_reply(
        "malformed", "expected exactly one payload frame, got " + std::to_string(payload_frames));
}

std::vector<Publication> Escalator::on_time() {
    const engine::Tick tick = engine_->advance_to(clock_.now());
    if (tick.results.empty() && tick.events.empty()) {
        return {};
    }
    Pending p;
    p.sequence = sequence_;
    engine::SubmitOutcome as_outcome;
    as_outcome.results = tick.results;
    as_outcome.events = tick.events;
    stage(p, as_outcome, {});
    if (auto began = store_.begin(); !began) {
        p.failed = true;
        p.failure = began.error().message;
    } else {
        write(p);
    }
    if (p.failed) {
        rebuild_after_failure(p.failure);  // the deadlines fire again on the next tick
        return {};
    }
    for (const engine::Event& e : tick.events) {
        log_.info("{} {} {} -> {}", e.transition_id, engine::to_string(e.kind),
                  engine::to_string(e.from), engine::to_string(e.to));
    }
    sequence_ = p.sequence;
    counters_.published += p.publications.size();
    return std::move(p.publications);
}

Publication Escalator::heartbeat() const {
    v1::Publication pub;
    pub.set_sequence(sequence_);
    pub.mutable_heartbeat()->set_last_sequence(sequence_);
    pub.mutable_heartbeat()->mutable_at()->set_seconds(clock_.now().time_since_epoch().count());
    return {"heartbeat", serialize(pub)};
}

std::string Escalator::snapshot_framing_error(std::size_t payload_frames) const {
    v1::Snapshot snapshot;
    snapshot.set_sequence(sequence_);
    snapshot.set_error("expected exactly one payload frame, got " + std::to_string(payload_frames));
    return serialize(snapshot);
}

std::string Escalator::snapshot(std::string_view request_bytes) const {
    v1::SnapshotRequest request;
    v1::Snapshot snapshot;
    snapshot.set_sequence(sequence_);
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

// Escalator: opel-escalatord's application core. Turns submit requests and the passage of
// time into durable state, replies and publications, gluing the pure engine to the store
// and the wire codec. It knows nothing of sockets (server.h does the transport), so it is
// tested directly with a real database and a manual clock.
//
//   submit_batch(payloads) ─▶ decode ─▶ duplicate? (store) ─▶ engine.submit ─▶ rows
//                                                        one transaction ─▶ COMMIT
//                              replies (ACCEPTED only after COMMIT) + publications, in order
//
// Durability: a batch is one transaction. If any write or the commit fails, the transaction
// is rolled back, the engine is rebuilt from the last committed state, and every sitrep of
// the batch that would have changed state is answered UNAVAILABLE (nothing changed; safe to
// retry). Publication sequence numbers are stored with the state they describe, so a
// restart continues them and never re-publishes a committed transition.
//
// Owner: the daemon's single engine thread. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock/clock.h"
#include "common/config/settings.h"
#include "common/store/store.h"
#include "engine/engine.h"

namespace spdlog {
class logger;
}

namespace opel::escalatord {

// One message for the publish socket: [topic, payload].
struct Publication {
    std::string topic;    // "status/<path>", "alert/<path>" or "heartbeat"
    std::string payload;  // serialized opel.v1.Publication
};

// Counters for logs and metrics.
struct Counters {
    std::uint64_t accepted = 0;
    std::uint64_t duplicate = 0;
    std::uint64_t late = 0;
    std::uint64_t rejected = 0;
    std::uint64_t unavailable = 0;
    std::uint64_t published = 0;
    std::uint64_t commits = 0;
    std::uint64_t commit_failures = 0;
    // Where the time goes, nanoseconds (monotonic clock):
    std::uint64_t decode_ns = 0;  // protobuf parse + codec
    std::uint64_t dedupe_ns = 0;  // idempotency-key lookups in the store
    std::uint64_t engine_ns = 0;  // engine.submit (validation, scoring, roll-up)
    std::uint64_t encode_ns = 0;  // building replies, publications and rows
    std::uint64_t commit_ns = 0;  // writing the batch and COMMIT (fsync)
};

class Escalator {
public:
    // `config` is kept to rebuild the engine after a failed commit.
    Escalator(engine::EngineConfig config, config::EscalatordSettings settings, store::Store& store,
              const Clock& clock, spdlog::logger& log);
    ~Escalator();
    Escalator(const Escalator&) = delete;
    Escalator& operator=(const Escalator&) = delete;

    // Loads the last committed state (node states, sequence, engine time). Fails only when
    // the store cannot be read.
    store::StoreResult<store::Done> restore();

    struct BatchOutput {
        std::vector<std::string> replies;  // serialized opel.v1.SubmitReply, one per request
        std::vector<Publication> publications;
    };
    // Handles a batch of submit payloads (serialized opel.v1.SubmitRequest). Every reply is
    // final: ACCEPTED / LATE replies are durable when this returns.
    BatchOutput submit_batch(const std::vector<std::string_view>& payloads);

    // The REJECTED reply for a request the transport could not frame (e.g. two payload
    // frames instead of one).
    std::string framing_error(std::size_t payload_frames);

    // Fires staleness deadlines that are due by the clock; durable before returning.
    std::vector<Publication> on_time();
    std::optional<TimePoint> next_deadline() const { return engine_->next_deadline(); }

    // A heartbeat carrying the last sequence number (does not consume a number).
    Publication heartbeat() const;

    // Answers a snapshot request (serialized opel.v1.SnapshotRequest) with a serialized
    // opel.v1.Snapshot consistent with sequence().
    std::string snapshot(std::string_view request) const;
    // The Snapshot naming a request the transport could not frame.
    std::string snapshot_framing_error(std::size_t payload_frames) const;

    std::uint64_t sequence() const { return sequence_; }
    const Counters& counters() const { return counters_; }
    const engine::Engine& engine() const { return *engine_; }

private:
    struct Pending;  // one batch's rows and outputs

    // Numbers and encodes the outcome's results and events into `pending`. Returns the
    // sequence given to `site_id`'s own result (none when the outcome has none, e.g. LATE).
    std::optional<std::uint64_t> stage(Pending& pending, const engine::SubmitOutcome& outcome,
                                       std::string_view site_id) const;
    bool write(Pending& pending);
    void rebuild_after_failure(const std::string& why);

    engine::EngineConfig config_;
    config::EscalatordSettings settings_;
    store::Store& store_;
    const Clock& clock_;
    spdlog::logger& log_;
    std::unique_ptr<engine::Engine> engine_;
    std::uint64_t sequence_ = 0;
    Counters counters_;
};

}  // namespace opel::escalatord

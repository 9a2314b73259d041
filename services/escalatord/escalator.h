// Escalator: opel-escalatord's application core. Turns submit requests and the passage of
// time into durable state, replies and publications, gluing the pure engine to the store
// and the wire codec. It knows nothing of sockets or threads (server.h does the transport,
// writer.h the storage thread), so it is tested directly with a real database and a
// manual clock.
//
//   prepare(payloads) ─▶ decode ─▶ duplicate? (in flight, then store) ─▶ engine.submit
//                        ─▶ rows, replies, publications, node states         engine thread
//   commit(store, batch) ─▶ one transaction ─▶ COMMIT (fsync)      storage thread (or same)
//   finish(batch) ─▶ replies (ACCEPTED only after COMMIT) + publications     engine thread
//
// Pipelining: the engine thread may prepare batch N+1 while batch N is being committed,
// because preparing reads the engine's in-memory state (already past N) and the store only
// to find earlier submissions (in-flight batches are checked first, then committed rows).
// Batches are committed and finished in the order they were prepared.
//
// Durability: a batch is one transaction. If a write or the commit fails, it is rolled
// back, and so is every batch prepared after it (they were computed on top of it): they are
// skipped, never written. When the failed batch is finished the engine is rebuilt from the
// last committed state, and every sitrep of the failed and skipped batches that would have
// changed state is answered UNAVAILABLE (nothing changed; safe to retry). Publication
// sequence numbers are stored with the state they describe, so a restart continues them and
// never re-publishes a committed transition.
//
// Owner: the daemon's engine thread, except commit(), which touches only the batch and the
// store it is given (one thread at a time). Not otherwise thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
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
    std::uint64_t decode_ns = 0;  // strict wire decoding (codec) and the submission key
    std::uint64_t dedupe_ns = 0;  // idempotency-key lookups in the store
    std::uint64_t engine_ns = 0;  // engine.submit (validation, scoring, roll-up)
    std::uint64_t encode_ns = 0;  // building replies, publications and rows
    std::uint64_t commit_ns = 0;  // writing the batch and COMMIT (fsync)
};

// A batch prepared on the engine thread: its rows, replies and publications.
struct Batch;
// What a request became in prepare, and what it is counted as once the batch finishes
// (finish() counts by this order).
enum class Kind : std::uint8_t { unanswered, rejected, duplicate, accepted, late };
struct BatchDeleter {
    void operator()(Batch* batch) const;
};
using BatchPtr = std::unique_ptr<Batch, BatchDeleter>;

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
    // Handles a batch of submit payloads (serialized opel.v1.SubmitRequest) in one go:
    // prepare, commit on this escalator's store, finish. Every reply is final: ACCEPTED /
    // LATE replies are durable when this returns.
    BatchOutput submit_batch(const std::vector<std::string_view>& payloads);

    // The three steps of submit_batch, for a pipeline. `prepare` computes a batch of submit
    // payloads on top of every batch prepared before it; `commit` writes it in one
    // transaction (or skips it after an earlier failure) on `store`, a connection to the same
    // database, from any one thread; `finish` turns it into replies and publications and
    // must be called in prepare order.
    BatchPtr prepare(const std::vector<std::string_view>& payloads);
    static void commit(store::Store& store, Batch& batch);
    // Several batches, in prepare order, in one transaction (group commit): they are
    // committed or fail together.
    static void commit(store::Store& store, std::span<Batch* const> batches);
    BatchOutput finish(BatchPtr batch);
    // Batches prepared and not yet finished.
    std::size_t in_flight() const { return in_flight_; }

    // The REJECTED reply for a request the transport could not frame (e.g. two payload
    // frames instead of one).
    std::string framing_error(std::size_t payload_frames);

    // Fires staleness deadlines that are due by the clock; durable before returning.
    std::vector<Publication> on_time();
    // The same as a pipeline step: a batch to commit and finish, or null when nothing is due.
    BatchPtr prepare_tick();
    std::optional<TimePoint> next_deadline() const { return engine_->next_deadline(); }

    // A heartbeat carrying the last sequence number (does not consume a number).
    Publication heartbeat() const;

    // Answers a snapshot request (serialized opel.v1.SnapshotRequest) with a serialized
    // opel.v1.Snapshot consistent with sequence(). Only while nothing is in flight: the
    // engine's state must be the committed one.
    std::string snapshot(std::string_view request) const;
    // The Snapshot naming a request the transport could not frame.
    std::string snapshot_framing_error(std::size_t payload_frames) const;

    // The last published (and committed) sequence number.
    std::uint64_t sequence() const { return sequence_; }
    // This run's publisher epoch (Publication.epoch): new, random, non-zero at each start.
    std::uint64_t epoch() const { return epoch_; }
    const Counters& counters() const { return counters_; }
    const engine::Engine& engine() const { return *engine_; }

private:
    // A reply given in a batch still in flight, for duplicates that arrive before it commits.
    struct InFlightReply {
        std::string reply;
        const Batch* batch = nullptr;
        std::size_t row = 0;  // its sitrep in batch->sitreps
    };
    // The answer to a request whose key was answered before (in flight, then in the store).
    struct Earlier {
        std::string reply;  // DUPLICATE (the original reply), or REJECTED (another content)
        Kind kind = Kind::duplicate;
        bool in_flight = false;  // the original's batch is not committed yet
    };
    store::StoreResult<std::optional<Earlier>> earlier_reply(const std::string& sid,
                                                             const engine::Sitrep& sitrep);

    BatchPtr new_batch();
    // Numbers and encodes the outcome's results and events into `batch`. Returns the
    // sequence given to `site_id`'s own result (none when the outcome has none, e.g. LATE)
    // and puts that result's serialized opel.v1.NodeResult in `site_result`.
    std::optional<std::uint64_t> stage(Batch& batch, const engine::SubmitOutcome& outcome,
                                       std::string_view site_id, TimePoint now,
                                       std::string& site_result) const;
    // Serializes the state of every node the batch changed (after the batch).
    void stage_states(Batch& batch) const;
    // Replaces the engine with one restored from the last commit, in a new generation.
    void rebuild_after_failure();

    config::EscalatordSettings settings_;
    store::Store& store_;
    const Clock& clock_;
    spdlog::logger& log_;
    std::unique_ptr<engine::Engine> engine_;
    std::uint64_t sequence_ = 0;  // published
    std::uint64_t staged_ = 0;    // numbered by prepared batches
    std::size_t in_flight_ = 0;
    // Set (by commit, or by prepare on a read failure) when a batch of the current
    // generation fails; every later batch of that generation is then skipped. A rebuild
    // starts a new generation.
    std::shared_ptr<std::atomic<bool>> generation_failed_;
    engine::NameIndex<InFlightReply> in_flight_replies_;
    Counters counters_;
    std::uint64_t epoch_ = 0;
    // The first block of the arena each event and node state is encoded on (engine thread).
    mutable std::vector<char> encode_block_ = std::vector<char>(std::size_t{16} * 1024);
};

}  // namespace opel::escalatord

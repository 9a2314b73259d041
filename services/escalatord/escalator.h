// Escalator: opel-escalatord's application core. Turns submit requests and the passage of
// time into batches of rows, replies and publications, gluing the pure engine to the wire
// codec (adapters/codec: messages.h, wire.h). It knows nothing of sockets, threads or
// protobuf types, and never writes the store: server.h does the transport, journal.h the
// writing (on writer.h's storage thread). Tested directly with a real database and a
// manual clock.
//
//   prepare(payloads) ─▶ decode ─▶ duplicate? (in flight, then store) ─▶ engine.submit
//                        ─▶ Batch: rows, replies, publications, node states   engine thread
//   Journal::commit(batches) ─▶ one transaction ─▶ COMMIT (fsync)             storage thread
//   finish(batch) ─▶ replies (ACCEPTED only after COMMIT) + publications      engine thread
//
// Pipelining: the engine thread may prepare batch N+1 while batch N is being committed,
// because preparing reads the engine's in-memory state (already past N) and the store only
// to find earlier submissions (in-flight batches are checked first, then committed rows).
// Batches are committed and finished in the order they were prepared.
//
// Durability: a batch is one transaction. If a write or the commit fails, it is rolled
// back, and every batch prepared after it in the same generation is skipped, never written
// (journal.h). When the failed batch is finished the engine is rebuilt from the last
// committed state in a new generation, and every sitrep of the failed and skipped batches
// that would have changed state is answered UNAVAILABLE (nothing changed; safe to retry).
// Publication sequence numbers are stored with the state they describe, so a restart
// continues them and never re-publishes a committed transition.
//
// Owner: the daemon's engine thread. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/codec/wire.h"
#include "adapters/config/settings.h"
#include "base/clock.h"
#include "engine/engine.h"
#include "escalatord/batch.h"
#include "escalatord/scope.h"
#include "escalatord/store/store.h"

namespace spdlog {
class logger;
}

namespace opel {
class Stopwatch;
}

namespace opel::escalatord {

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

class Escalator {
public:
    // `config` is kept to rebuild the engine after a failed commit. `reads` is a connection
    // for reading only (restore, earlier submissions), used on the engine thread.
    Escalator(engine::EngineConfig config, config::EscalatordSettings settings, store::Store& reads,
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
    // Computes a batch of submit payloads (serialized opel.v1.SubmitRequest) on top of every
    // batch prepared before it. The journal then commits it (or skips it), and `finish`
    // turns it into replies and publications, in prepare order. Every reply is final:
    // ACCEPTED / LATE replies only leave finish for a committed batch.
    // `senders` (one per payload, or empty without CURVE) limit what each request may do
    // (scope.h): a sitrep for a site outside its sender's scope, or a command it has no
    // permission for, is REJECTED with code not_allowed and changes nothing.
    BatchPtr prepare(const std::vector<std::string_view>& payloads,
                     const std::vector<Sender>& senders = {});
    BatchOutput finish(BatchPtr batch);
    // Batches prepared and not yet finished.
    std::size_t in_flight() const { return in_flight_; }

    // The REJECTED reply for a request the transport could not frame (e.g. two payload
    // frames instead of one).
    std::string framing_error(std::size_t payload_frames);

    // The staleness deadlines due by the clock, as a batch to commit and finish, or null
    // when nothing is due.
    BatchPtr prepare_tick();
    std::optional<TimePoint> next_deadline() const { return engine_->next_deadline(); }

    // What a reload did (reload()).
    struct Reloaded {
        std::size_t kept = 0;           // nodes in both trees: their state is kept
        std::size_t added = 0;          // new nodes: UNKNOWN until their first result
        std::size_t removed = 0;        // nodes no longer in the tree: their state is ignored
        std::size_t changed_sites = 0;  // kept sites whose card scores differently now
        // The config event (EventKind::config_reloaded on alert/<root path>), a batch to
        // commit and finish like any other; null when the state cannot be read back (then
        // every request is UNAVAILABLE until it can, as after a failed commit).
        BatchPtr event;
    };
    // Takes a new configuration: builds a new engine from `config` and restores every node's
    // last committed state into it, as after a failed commit (a new generation). Nodes that
    // are no longer configured are ignored, new ones start UNKNOWN, and sites whose card
    // changed keep their last result until their next sitrep re-scores them with the new
    // card. `config_hash` names the configuration from now on (config::content_hash).
    // Precondition: nothing in flight (the engine's state is the committed one).
    Reloaded reload(engine::EngineConfig config, std::string config_hash);
    // Names the configuration in effect in snapshots (config::content_hash); set at start.
    void set_config_hash(std::string hash) { config_hash_ = std::move(hash); }
    const std::string& config_hash() const { return config_hash_; }

    // A heartbeat carrying the last sequence number (does not consume a number).
    Publication heartbeat() const;

    // Answers a snapshot request (serialized opel.v1.SnapshotRequest) with a serialized
    // opel.v1.Snapshot consistent with sequence(). Only while nothing is in flight: the
    // engine's state must be the committed one.
    // With a CURVE `sender`, only the nodes its scope may read.
    std::string snapshot(std::string_view request, const Sender& sender = {}) const;
    // The Snapshot naming a request the transport could not frame.
    std::string snapshot_framing_error(std::size_t payload_frames) const;

    // The last published (and committed) sequence number.
    std::uint64_t sequence() const { return sequence_; }
    // This run's publisher epoch (Publication.epoch): new, random, non-zero at each start.
    std::uint64_t epoch() const { return epoch_; }
    const Counters& counters() const { return counters_; }
    // Why a submission could not be stored now, or none: the committed state cannot be read
    // back, the database is not writable (Store::unwritable), or the last transaction failed
    // (until one commits again).
    std::optional<std::string> unavailable() const;
    const engine::Engine& engine() const { return *engine_; }

private:
    // A reply given in a batch still in flight, for duplicates that arrive before it commits.
    struct InFlightReply {
        std::string reply;
        const Batch* batch = nullptr;
        std::size_t row = 0;  // its sitrep in batch->sitreps, or command in batch->commands
    };
    // The reply given before under an idempotency key (in flight, then in the store), with
    // the content it was given for (a serialized Sitrep, Acknowledgement or Declaration).
    struct Previous {
        std::string reply;
        std::optional<std::string> result_publication;  // a stored reply's site result
        std::string content;
        bool in_flight = false;
    };
    store::StoreResult<std::optional<Previous>> previous(const std::string& key, bool command);
    // The answer to a request whose key was answered before (in flight, then in the store).
    struct Earlier {
        std::string reply;  // DUPLICATE (the original reply), or REJECTED (another content)
        Kind kind = Kind::duplicate;
        bool in_flight = false;  // the original's batch is not committed yet
    };
    store::StoreResult<std::optional<Earlier>> earlier_reply(const std::string& sid,
                                                             const engine::Sitrep& sitrep);

    BatchPtr new_batch();
    // `site_id`'s own result among a staged outcome's: its sequence and its serialized
    // opel.v1.NodeResult.
    struct SiteResult {
        std::uint64_t sequence = 0;
        std::string bytes;
    };
    // Numbers and encodes the outcome's results and events into `batch`. Returns `site_id`'s
    // own result (none when the outcome has none, e.g. LATE).
    std::optional<SiteResult> stage(Batch& batch, const engine::SubmitOutcome& outcome,
                                    std::string_view site_id, TimePoint now) const;
    // Answers request `i` of batch `p` (REJECTED, DUPLICATE, or through the engine) and
    // stages what it produced; fails the batch when the store cannot be read. `watch` times
    // its steps into counters_.
    void prepare_request(Batch& p, std::size_t i, std::string_view payload, const Sender& sender,
                         TimePoint now, Stopwatch& watch);
    // Stages an ACCEPTED or LATE submission: its reply (remembered while in flight), its
    // results and events, and its sitrep row holding `sent`, the sitrep's bytes as sent.
    void stage_submission(Batch& p, std::size_t i, const engine::Sitrep& sitrep,
                          std::string_view sent, const engine::SubmitOutcome& outcome,
                          TimePoint now);
    // Answers command `i` (an acknowledgement or declaration, `body`) like a sitrep: REJECTED,
    // DUPLICATE, or through the engine, staging its reply, results, events and commands row.
    void prepare_command(Batch& p, std::size_t i, const codec::RequestBody& body,
                         const Sender& sender, TimePoint now);
    // Serializes the state of every node the batch changed (after the batch).
    void stage_states(Batch& batch) const;
    // Replaces the engine with one built from `config` and restored from the last commit, in
    // a new generation. False when the state cannot be read back (unrestored_ says why).
    bool rebuild(engine::EngineConfig config);
    // The config event of a reload, numbered after everything staged.
    BatchPtr config_event(TimePoint now);

    config::EscalatordSettings settings_;
    store::Store& reads_;
    const Clock& clock_;
    spdlog::logger& log_;
    std::unique_ptr<engine::Engine> engine_;
    std::uint64_t sequence_ = 0;  // published
    std::uint64_t staged_ = 0;    // numbered by prepared batches
    std::size_t in_flight_ = 0;
    // Why the engine could not be reloaded from the last commit after a failure (then every
    // batch fails, and finishing one tries again); none while the engine is the committed
    // state.
    std::optional<std::string> unrestored_;
    // Why the last transaction failed; none once one commits.
    std::optional<std::string> last_failure_;
    // Batch::generation of the batches prepared now; a rebuild after a failure starts the
    // next one.
    std::uint64_t generation_ = 1;
    engine::NameIndex<InFlightReply> in_flight_replies_;   // sitreps, by submission id
    engine::NameIndex<InFlightReply> in_flight_commands_;  // commands, by engine::command_key
    Counters counters_;
    std::uint64_t epoch_ = 0;
    std::string config_hash_;  // the configuration in effect (config::content_hash)
    // The first block of the arena each event and node state is encoded on (engine thread).
    mutable std::vector<char> encode_block_ = std::vector<char>(std::size_t{16} * 1024);
};

}  // namespace opel::escalatord

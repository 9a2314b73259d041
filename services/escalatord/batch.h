// Batch: what the escalator computed for a group of requests (or a staleness tick), on its
// way through the pipeline: prepared on the engine thread, written by the journal on the
// storage thread, finished on the engine thread (escalator.h shows the route).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "escalatord/store/store.h"

namespace opel::escalatord {

// One message for the publish socket: [topic, payload].
struct Publication {
    std::string topic;    // "status/<path>", "alert/<path>" or "heartbeat"
    std::string payload;  // serialized opel.v1.Publication
};

// What a request became in prepare, and what it is counted as once the batch finishes
// (finish() counts by this order).
enum class Kind : std::uint8_t { unanswered, rejected, duplicate, accepted, late };

struct Batch {
    // --- per request, filled by prepare ---
    std::vector<std::string> replies;
    std::vector<Kind> kinds;
    std::vector<bool> durable;  // the reply is only true once the batch commits
    std::vector<std::string> submission_ids;
    // --- the rows the journal writes ---
    std::vector<store::SitrepRow> sitreps;
    std::vector<store::CommandRow> commands;  // acknowledgements and declarations
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
    // --- what finish hands out ---
    std::vector<Publication> publications;
    std::vector<engine::Event> logged_events;            // a tick's events, logged once committed
    std::map<engine::NodeIndex, std::uint64_t> changed;  // node -> its last result's sequence
    std::uint64_t sequence = 0;                          // the last sequence the batch numbers
    // The escalator's generation when prepared: a failed batch fails every later batch of
    // its generation (they were computed on top of it); a rebuild starts a new one.
    std::uint64_t generation = 0;
    // --- set by the journal ---
    bool committed = false;
    bool reports_failure = false;   // the failure is its own (one per failed transaction)
    bool ends_transaction = false;  // the last batch of a transaction with rows (counted once)
    std::string failure;            // why the batch was not committed
    std::uint64_t commit_ns = 0;

    bool has_rows() const {
        return !sitreps.empty() || !commands.empty() || !results.empty() || !events.empty();
    }
    bool failed() const { return !failure.empty(); }
    store::PublishedRow stored(const Row& row) const {
        return {row.sequence, row.node_id, row.at, row.kind, publications[row.publication].payload};
    }
    // Fails the batch; `report`: this batch logs and counts the failure.
    void fail(std::string why, bool report) {
        if (failure.empty()) {
            failure = std::move(why);
        }
        reports_failure = reports_failure || report;
    }
};

using BatchPtr = std::unique_ptr<Batch>;

// A storage error as the log and the failure text say it: "busy: database is locked".
inline std::string describe(const store::StoreError& e) {
    return std::string(store::to_string(e.code)) + ": " + e.message;
}

}  // namespace opel::escalatord

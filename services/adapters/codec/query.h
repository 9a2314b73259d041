// The query endpoint's messages (opel.v1.QueryRequest / QueryReply) for the daemon side:
// a request read into plain values with every problem named, and replies built around rows
// the store returns already serialized (a stored publication or sitrep is copied in as it
// is, never parsed). No generated type in this header.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "engine/node_result.h"
#include "engine/sitrep.h"

namespace opel::codec {

// Rows per page when a request names no limit, and the most it may ask for.
inline constexpr std::uint32_t default_query_limit = 1000;
inline constexpr std::uint32_t max_query_limit = 10000;

struct QueryAsk {
    enum class Kind { publications, sitreps, results, events };
    Kind kind = Kind::publications;
    std::string node;                   // history: path prefix or node id; "" = everything
    std::optional<TimePoint> from, to;  // history: inclusive; absent = open; publications:
                                        // from = since
    std::uint64_t after = 0;            // publications: sequence; history: the cursor
    std::uint32_t limit = default_query_limit;
    bool only_node = false;  // history with a node id: that node alone, not its subtree
};

// A serialized QueryRequest as values, or the first problem: field, code and message
// (malformed, missing, out_of_range, invalid_time, before_from).
Result<QueryAsk, engine::FieldError> read_query(std::string_view request);

// A row of a reply: a serialized opel.v1.Publication, or for sitreps a serialized
// opel.v1.Sitrep with when it was received and what became of it.
struct QueryRow {
    std::string_view payload;
    TimePoint received_at;
    std::string_view status;
};

struct QueryPage {
    bool more = false;
    std::uint64_t next_cursor = 0;
    std::uint64_t last_sequence = 0;
    std::uint64_t epoch = 0;
};

// The reply holding `rows` as publications (publications, results, events) or as stored
// sitreps (sitreps).
std::string query_reply(QueryAsk::Kind kind, std::span<const QueryRow> rows, const QueryPage& page);
// The reply refusing a query.
std::string query_error(const engine::FieldError& error, const QueryPage& page);

// --- the client side (opel-webd) ---
// A serialized history QueryRequest for `ask` (kind sitreps, results or events).
std::string history_request(const QueryAsk& ask);
// A page of a results history: the published node results in order, and whether there are
// more (ask again with after = next_cursor). Errors: the daemon's refusal ("query refused:
// <field>: <code>: <message>"), or a reply that cannot be read.
struct ResultsPage {
    std::vector<engine::NodeResult> results;
    bool more = false;
    std::uint64_t next_cursor = 0;
};
Result<ResultsPage, std::string> read_results_page(std::string_view reply);

}  // namespace opel::codec

// What opel-webd sends to browsers (opel.v1.BoardMessage and its parts, proto/opel/v1/
// board.proto) as JSON, built from engine values: the whole board, a node, and each change.
// The JSON is protobuf's mapping with the .proto field names (json.h: to_json).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "engine/model.h"
#include "engine/node_result.h"

namespace opel::codec {

// Whether the board is live (opel.v1.BoardFeed).
struct BoardFeed {
    bool live = false;
    std::string problem;
    TimePoint now;
    std::optional<TimePoint> heard_at;
    std::uint64_t dropped = 0;
};

// opel.v1.BoardState: every node of `model` (results[i] is node i's, none before its first)
// and the recent alerts, at feed sequence `sequence`.
std::string board_state_json(const engine::Model& model,
                             const std::vector<std::optional<engine::NodeResult>>& results,
                             const std::deque<engine::Event>& alerts, std::uint64_t sequence,
                             const BoardFeed& feed);
// opel.v1.BoardNode of `node`.
std::string board_node_json(const engine::Model& model, engine::NodeIndex node,
                            const std::optional<engine::NodeResult>& result);
// JSON arrays of events (the alerts route).
std::string events_json(const std::deque<engine::Event>& events, std::size_t limit);

// One node's results over [from, to] (the history route): opel.v1.History as JSON, with the
// node's card's parameters and thresholds; or as CSV, a row per result:
// `at,status,level,<parameter id>...` (an empty cell: the value was missing; level 0: not a
// level).
struct HistorySeries {
    engine::NodeIndex node = 0;
    TimePoint from;
    TimePoint to;
    std::vector<engine::NodeResult> results;  // oldest first
    bool truncated = false;
};
std::string history_json(const engine::Model& model, const HistorySeries& series);
std::string history_csv(const engine::Model& model, const HistorySeries& series);

// POST /api/v1/login's body (opel.v1.Login): name and password. Errors: not that JSON, or
// either missing; the message never holds the password.
struct LoginRequest {
    std::string name;
    std::string password;
};
Result<LoginRequest, std::string> login_from_json(std::string_view json);
// opel.v1.Me: `access` "open" (no users: the other fields empty) or "login".
std::string me_json(std::string_view access, std::string_view name, std::string_view role,
                    const std::vector<std::string>& sites);

// The messages of the live feed (opel.v1.BoardMessage).
std::string board_state_message(const engine::Model& model,
                                const std::vector<std::optional<engine::NodeResult>>& results,
                                const std::deque<engine::Event>& alerts, std::uint64_t sequence,
                                const BoardFeed& feed);
std::string board_status_message(const engine::NodeResult& result, std::uint64_t sequence);
std::string board_alert_message(const engine::Event& event, std::uint64_t sequence);
std::string board_feed_message(const BoardFeed& feed, std::uint64_t sequence);

}  // namespace opel::codec

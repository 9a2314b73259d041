// opel-webd's picture of the system (issue 15): every configured node with its latest result
// and the recent alerts, kept from the escalator's snapshot and feed, and turned into what
// browsers are sent (codec/board.h: opel.v1.BoardState, BoardMessage). Pure: no sockets and
// no clock; the daemon passes the feed's items and the time in.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/codec/board.h"
#include "adapters/feed/follower.h"
#include "adapters/feed/snapshot_client.h"
#include "engine/model.h"

namespace opel::webd {

class Board {
public:
    // Keeps at most `alert_limit` recent alerts.
    explicit Board(const engine::Model& model, std::size_t alert_limit = 200);

    // Takes a whole state (the escalator's snapshot): results of nodes this configuration
    // does not have are ignored; the alerts kept so far stay.
    void reset(const feed::State& state);
    // Takes one feed item and returns the live message for it (opel.v1.BoardMessage JSON):
    // a node's new result or an alert; none for heartbeats and nodes this configuration does
    // not have.
    std::optional<std::string> apply(const feed::Item& item);

    std::string state_json(const codec::BoardFeed& feed) const;
    std::string state_message(const codec::BoardFeed& feed) const;
    // A node by id, or none.
    std::optional<std::string> node_json(std::string_view id) const;
    // The last `limit` alerts, oldest first (of those under `subtree`, "" = all).
    std::string alerts_json(std::size_t limit, std::string_view subtree) const;

    std::uint64_t sequence() const { return sequence_; }
    // Nodes by held status: [0] UNKNOWN or no result, [1..4] OPEL 1..4, [5] STALE.
    std::array<std::size_t, 6> counts() const;

private:
    const engine::Model& model_;
    std::size_t alert_limit_;
    std::vector<std::optional<engine::NodeResult>> results_;
    std::deque<engine::Event> alerts_;
    std::uint64_t sequence_ = 0;
};

}  // namespace opel::webd

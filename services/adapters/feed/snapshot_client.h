// Asking opel-escalatord's snapshot endpoint for the current state of a subtree.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "adapters/net/curve.h"
#include "base/result.h"
#include "engine/node_result.h"
#include "opel/v1/feed.pb.h"

namespace zmq {
class context_t;
}

namespace opel::feed {

// The current results of every node whose path matches `subtree` (see engine::path_matches)
// and the publisher sequence they are consistent with. Error: why there is none.
Result<v1::Snapshot, std::string> fetch_snapshot(zmq::context_t& context,
                                                 const std::string& endpoint,
                                                 const std::string& subtree,
                                                 std::chrono::milliseconds timeout,
                                                 const std::optional<net::ClientKeys>& keys = {});

// The same as engine values, for daemons that keep no protobuf types (opel-webd).
struct State {
    std::uint64_t epoch = 0;
    std::uint64_t sequence = 0;
    std::vector<engine::NodeResult> results;
};
Result<State, std::string> fetch_state(zmq::context_t& context, const std::string& endpoint,
                                       const std::string& subtree,
                                       std::chrono::milliseconds timeout,
                                       const std::optional<net::ClientKeys>& keys = {});

}  // namespace opel::feed

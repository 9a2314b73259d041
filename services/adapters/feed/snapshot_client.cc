#include "adapters/feed/snapshot_client.h"

#include "adapters/codec/client.h"
#include "adapters/codec/proto.h"
#include "adapters/net/client.h"

namespace opel::feed {

Result<v1::Snapshot, std::string> fetch_snapshot(zmq::context_t& context,
                                                 const std::string& endpoint,
                                                 const std::string& subtree,
                                                 std::chrono::milliseconds timeout,
                                                 const std::optional<net::ClientKeys>& keys) {
    net::RequestClient client(context, endpoint, keys);
    v1::SnapshotRequest request;
    request.set_subtree(subtree);
    auto answer = client.request(request.SerializeAsString(), timeout, 2);
    if (!answer) {
        return unexpected(std::move(answer).error().message);
    }
    auto snapshot = codec::read_snapshot(*answer);
    if (!snapshot) {
        return unexpected(std::move(snapshot).error() + " from " + endpoint);
    }
    return snapshot;
}

Result<State, std::string> fetch_state(zmq::context_t& context, const std::string& endpoint,
                                       const std::string& subtree,
                                       std::chrono::milliseconds timeout,
                                       const std::optional<net::ClientKeys>& keys) {
    auto snapshot = fetch_snapshot(context, endpoint, subtree, timeout, keys);
    if (!snapshot) {
        return unexpected(std::move(snapshot).error());
    }
    State out{snapshot->epoch(), snapshot->sequence(), {}};
    out.results.reserve(static_cast<std::size_t>(snapshot->results_size()));
    for (const v1::NodeResult& r : snapshot->results()) {
        out.results.push_back(codec::from_proto(r));
    }
    return out;
}

}  // namespace opel::feed

#include "adapters/feed/snapshot_client.h"

#include "adapters/codec/client.h"
#include "adapters/net/client.h"

namespace opel::feed {

Result<v1::Snapshot, std::string> fetch_snapshot(zmq::context_t& context,
                                                 const std::string& endpoint,
                                                 const std::string& subtree,
                                                 std::chrono::milliseconds timeout) {
    net::RequestClient client(context, endpoint);
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

}  // namespace opel::feed

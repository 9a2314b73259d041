#include "adapters/feed/query_client.h"

#include "adapters/codec/client.h"
#include "adapters/net/client.h"

namespace opel::feed {

Result<std::monostate, std::string> query_pages(
    zmq::context_t& context, const std::string& endpoint, v1::QueryRequest request,
    std::chrono::milliseconds timeout, const std::function<bool(const v1::QueryReply&)>& page,
    const std::optional<net::ClientKeys>& keys) {
    net::RequestClient client(context, endpoint, keys);
    while (true) {
        auto answer = client.request(request.SerializeAsString(), timeout, 2);
        if (!answer) {
            return unexpected(std::move(answer).error().message);
        }
        auto reply = codec::read_query_reply(*answer);
        if (!reply) {
            return unexpected(std::move(reply).error() + " from " + endpoint);
        }
        if (!page(*reply) || !reply->more()) {
            return std::monostate{};
        }
        if (request.has_history()) {
            request.mutable_history()->set_after_cursor(reply->next_cursor());
        } else {
            request.mutable_publications()->set_after_sequence(reply->next_cursor());
        }
    }
}

}  // namespace opel::feed

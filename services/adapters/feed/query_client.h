// Asking opel-escalatord's query endpoint: history, and the stored publications after a
// sequence number. Pages are followed until the range is exhausted.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "adapters/net/curve.h"
#include "base/result.h"
#include "opel/v1/query.pb.h"

namespace zmq {
class context_t;
}

namespace opel::feed {

// Sends `request` (its cursor advanced page by page) and calls `page` with each reply until
// one says there is no more, or `page` returns false. Error: why it stopped early (the daemon
// did not answer, or refused the query: "query refused: field: code: message").
Result<std::monostate, std::string> query_pages(
    zmq::context_t& context, const std::string& endpoint, v1::QueryRequest request,
    std::chrono::milliseconds timeout, const std::function<bool(const v1::QueryReply&)>& page,
    const std::optional<net::ClientKeys>& keys = {});

}  // namespace opel::feed

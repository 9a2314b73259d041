// The net library's errors: what went wrong talking to or listening on an endpoint. Functions
// that can fail for reasons outside the process return NetResult<T>; the Errc tells callers
// (and tests) the kind, the message is worded for the person running the command or daemon.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace opel::net {

enum class Errc {
    bad_endpoint,       // an endpoint ZeroMQ cannot bind: malformed, unknown transport, no
                        // such interface or file path
    address_in_use,     // a bind to an address another socket or process holds (EADDRINUSE)
    insecure_endpoint,  // a non-loopback endpoint refused: nothing would encrypt its traffic
    timeout,            // nothing arrived within the time allowed (after every retry)
    send_failed,        // the message could not be queued on any attempt (peer queue full)
    receive_failed,     // a message arrived but not framed as expected (wrong part count)
};

struct NetError {
    Errc code = Errc::receive_failed;
    std::string message;  // what happened, naming the endpoint
};

template <typename T>
using NetResult = Result<T, NetError>;

std::string_view to_string(Errc code);

}  // namespace opel::net

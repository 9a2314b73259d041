// Synchronous ZeroMQ clients for the `opel` command, tests and benchmarks: request/reply
// with timeout and safe retries (the "lazy pirate" pattern: a fresh socket per retry so a
// late reply to an abandoned attempt can never be taken for the answer to the next), and a
// subscriber with a receive timeout. Single-threaded; each object is used by one thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "adapters/net/curve.h"
#include "adapters/net/errc.h"
#include "base/result.h"

namespace zmq {
class context_t;
class socket_t;
}  // namespace zmq

namespace opel::net {

class RequestClient {
public:
    // With `keys`, every socket it makes is a CURVE client (curve.h).
    RequestClient(zmq::context_t& context, std::string endpoint,
                  std::optional<ClientKeys> keys = std::nullopt);
    ~RequestClient();
    RequestClient(const RequestClient&) = delete;
    RequestClient& operator=(const RequestClient&) = delete;

    // Sends `payload`, waits up to `timeout` for the reply, and on timeout retries up to
    // `retries` more times with the same payload. Errors: Errc::timeout (no reply to any
    // attempt), Errc::send_failed (no attempt could be sent); the message names the endpoint
    // and the attempts either way.
    NetResult<std::string> request(const std::string& payload, std::chrono::milliseconds timeout,
                                   int retries);

    // Pipelining: send without waiting (Errc::send_failed when the queue is full), then
    // collect replies in order of arrival (Errc::timeout when none comes within `timeout`,
    // Errc::receive_failed for a message with no frames).
    NetResult<std::monostate> send(const std::string& payload);
    NetResult<std::string> receive(std::chrono::milliseconds timeout);

private:
    void connect();

    zmq::context_t& context_;
    std::string endpoint_;
    std::optional<ClientKeys> keys_;
    std::unique_ptr<zmq::socket_t> socket_;
};

class Subscriber {
public:
    // Connects a SUB socket subscribed to each prefix ("" = everything); a CURVE client with
    // `keys`.
    Subscriber(zmq::context_t& context, const std::string& endpoint,
               const std::vector<std::string>& prefixes,
               const std::optional<ClientKeys>& keys = std::nullopt);
    ~Subscriber();
    Subscriber(const Subscriber&) = delete;
    Subscriber& operator=(const Subscriber&) = delete;

    // The next [topic, payload]. Errors: Errc::timeout after `timeout` with nothing,
    // Errc::receive_failed for a message that is not two frames (it is dropped).
    NetResult<std::pair<std::string, std::string>> receive(std::chrono::milliseconds timeout);
    // The socket, for zmq_poll alongside others.
    void* handle() const;

private:
    std::string endpoint_;
    std::unique_ptr<zmq::socket_t> socket_;
};

}  // namespace opel::net

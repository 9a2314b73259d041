// AsioSocket: a ZeroMQ socket driven by a Boost.Asio io_context on one thread.
//
// ZeroMQ exposes readiness through ZMQ_FD, which is edge-triggered: it signals a state
// change, not "a message is waiting". So on every wake the owner drains the socket with
// dontwait until ZMQ_EVENTS no longer reports POLLIN, and after every send it calls
// after_send(), because processing a send can consume the signal of newly arrived input.
// The owner may also stop early and leave input waiting (back-pressure): after each wake the
// socket asks ZMQ_EVENTS itself, which consumes the fd's signal, and calls the owner once
// more if input is waiting; then it sleeps until the next state change instead of spinning.
// The owner resumes with after_send().
// The fd is released (never closed) by ZeroMQ's own close; LINGER is set before closing so
// shutdown never hangs on undelivered output.
//
// Owner: the thread running the io_context; never touched from another thread.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>
#include <zmq.hpp>

#include "adapters/net/errc.h"

namespace opel::net {

class AsioSocket {
public:
    AsioSocket(boost::asio::io_context& io, zmq::context_t& context, zmq::socket_type type);
    ~AsioSocket();
    AsioSocket(const AsioSocket&) = delete;
    AsioSocket& operator=(const AsioSocket&) = delete;

    zmq::socket_t& socket() { return socket_; }

    // Starts calling `on_readable` whenever input may be waiting. The handler drains
    // (receives with dontwait until it would block, see readable()), or stops early and
    // calls after_send() when it wants the rest.
    void start(std::function<void()> on_readable);

    // True while ZMQ_EVENTS reports input waiting.
    bool readable();

    // Call after sending on this socket: schedules the handler if input is waiting.
    void after_send();

    // Stops waiting and closes the socket with the given linger (milliseconds).
    void close(int linger_ms = 0);

private:
    void arm();

    boost::asio::io_context& io_;
    zmq::socket_t socket_;
    boost::asio::posix::stream_descriptor descriptor_;
    std::function<void()> on_readable_;
    bool closed_ = false;
    bool posted_ = false;
};

// Receives one multipart message without waiting. Empty when nothing is waiting.
std::vector<zmq::message_t> receive_multipart(zmq::socket_t& socket);

// Binds `socket` to `endpoint` (as bindable() gives it). Errors: Errc::address_in_use,
// Errc::bad_endpoint for anything else ZeroMQ refuses; the message is "cannot bind
// <endpoint>: <ZeroMQ's reason>".
NetResult<std::monostate> bind(zmq::socket_t& socket, const std::string& endpoint);
// The same for a daemon's listening socket: a non-loopback endpoint (is_local_endpoint) is
// refused with Errc::insecure_endpoint unless `allow_insecure_remote`. An ipc:// socket file
// is made 0660 whatever the umask, and with `group` owned by it (Errc::bad_endpoint naming
// the file when the process may not).
NetResult<std::monostate> bind_listener(zmq::socket_t& socket, const std::string& endpoint,
                                        bool allow_insecure_remote,
                                        std::optional<gid_t> group = std::nullopt);

// True for endpoints that only this machine can reach (ipc://, inproc://, tcp on loopback:
// 127.x, localhost, [::1]).
bool is_local_endpoint(const std::string& endpoint);

// The endpoint as ZeroMQ can bind it: a bind does not resolve host names (it takes
// "localhost" for an interface name, "No such device"), so tcp://localhost:P is bound as
// tcp://127.0.0.1:P. Sockets made here have IPv6 on, so tcp://[::1]:P binds as it is.
std::string bindable(const std::string& endpoint);

}  // namespace opel::net

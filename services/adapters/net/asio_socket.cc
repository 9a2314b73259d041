#include "adapters/net/asio_socket.h"

#include <sys/stat.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <zmq_addon.hpp>

namespace opel::net {

AsioSocket::AsioSocket(boost::asio::io_context& io, zmq::context_t& context, zmq::socket_type type)
    : io_(io), socket_(context, type), descriptor_(io, socket_.get(zmq::sockopt::fd)) {
    socket_.set(zmq::sockopt::ipv6, 1);  // IPv4 endpoints work as before
}

AsioSocket::~AsioSocket() { close(); }

void AsioSocket::start(std::function<void()> on_readable) {
    on_readable_ = std::move(on_readable);
    // Input may already be waiting (the edge happened before we started): drain once.
    after_send();
    arm();
}

bool AsioSocket::readable() {
    return !closed_ && (socket_.get(zmq::sockopt::events) & ZMQ_POLLIN) != 0;
}

void AsioSocket::after_send() {
    if (closed_ || posted_ || !readable()) {
        return;
    }
    posted_ = true;
    boost::asio::post(io_, [this] {
        posted_ = false;
        if (!closed_ && on_readable_) {
            on_readable_();
        }
    });
}

void AsioSocket::arm() {
    if (closed_) {
        return;
    }
    descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                           [this](const boost::system::error_code& ec) {
                               if (ec || closed_) {
                                   return;
                               }
                               if (on_readable_) {
                                   on_readable_();
                               }
                               // The owner may have stopped early (back-pressure) with input
                               // still waiting, without asking ZMQ_EVENTS. Until something
                               // asks, the fd stays signalled and every re-arm completes at
                               // once: a busy loop. Asking consumes the signal, and input
                               // it reports (or that arrived since the owner last asked)
                               // gets one more call, so none is left without a wake.
                               after_send();
                               arm();
                           });
}

void AsioSocket::close(int linger_ms) {
    if (closed_) {
        return;
    }
    closed_ = true;
    boost::system::error_code ignored;
    descriptor_.cancel(ignored);
    descriptor_.release();  // ZeroMQ owns the fd
    socket_.set(zmq::sockopt::linger, linger_ms);
    socket_.close();
}

std::vector<zmq::message_t> receive_multipart(zmq::socket_t& socket) {
    std::vector<zmq::message_t> parts;
    const auto received =
        zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait);
    if (!received) {
        parts.clear();
    }
    return parts;
}

std::string bindable(const std::string& endpoint) {
    constexpr std::string_view localhost = "tcp://localhost:";
    if (endpoint.starts_with(localhost)) {
        return "tcp://127.0.0.1:" + endpoint.substr(localhost.size());
    }
    return endpoint;
}

NetResult<std::monostate> bind(zmq::socket_t& socket, const std::string& endpoint) {
    try {
        socket.bind(bindable(endpoint));
    } catch (const zmq::error_t& e) {
        return unexpected(
            NetError{e.num() == EADDRINUSE ? Errc::address_in_use : Errc::bad_endpoint,
                     "cannot bind " + endpoint + ": " + e.what()});
    }
    return std::monostate{};
}

NetResult<std::monostate> bind_listener(zmq::socket_t& socket, const std::string& endpoint,
                                        bool allow_insecure_remote, std::optional<gid_t> group) {
    if (!allow_insecure_remote && !is_local_endpoint(endpoint)) {
        return unexpected(
            NetError{Errc::insecure_endpoint,
                     "refusing to listen on non-loopback endpoint " + endpoint +
                         " without encryption; use a loopback or ipc:// endpoint, or pass "
                         "--allow-insecure-remote"});
    }
    auto bound = bind(socket, endpoint);
    // An ipc:// socket file is as the umask makes it (often writable by every local user):
    // owner and group only.
    if (bound && endpoint.rfind("ipc://", 0) == 0) {
        const std::string file = endpoint.substr(std::string_view("ipc://").size());
        ::chmod(file.c_str(), S_IRUSR | S_IWUSR | S_IRGRP | S_IWGRP);
        if (group && ::chown(file.c_str(), static_cast<uid_t>(-1), *group) != 0) {
            return unexpected(NetError{
                Errc::bad_endpoint, "cannot give " + file + " to group " + std::to_string(*group) +
                                        ": " + std::strerror(errno) +
                                        " (is the daemon's user a member of the group?)"});
        }
    }
    return bound;
}

bool is_local_endpoint(const std::string& endpoint) {
    if (endpoint.rfind("ipc://", 0) == 0 || endpoint.rfind("inproc://", 0) == 0) {
        return true;
    }
    for (const char* prefix : {"tcp://127.", "tcp://localhost:", "tcp://[::1]:"}) {
        if (endpoint.rfind(prefix, 0) == 0) {
            return true;
        }
    }
    return false;
}

}  // namespace opel::net

#include "adapters/net/client.h"

#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace opel::net {
namespace {

// The frames of the next message on `socket`, waiting up to `timeout` for one to arrive
// (Errc::timeout when none does).
NetResult<std::vector<zmq::message_t>> receive_frames(zmq::socket_t& socket,
                                                      const std::string& endpoint,
                                                      std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    std::vector<zmq::message_t> parts;
    if (zmq::poll(&item, 1, timeout) <= 0 ||
        !zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait)) {
        return unexpected(NetError{Errc::timeout, "nothing from " + endpoint + " within " +
                                                      std::to_string(timeout.count()) + " ms"});
    }
    return parts;
}

}  // namespace

RequestClient::RequestClient(zmq::context_t& context, std::string endpoint,
                             std::optional<ClientKeys> keys)
    : context_(context), endpoint_(std::move(endpoint)), keys_(std::move(keys)) {
    connect();
}

RequestClient::~RequestClient() = default;

void RequestClient::connect() {
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    socket_->set(zmq::sockopt::ipv6, 1);  // tcp://[::1]:P
    socket_->set(zmq::sockopt::linger, 0);
    if (keys_) {
        make_curve_client(*socket_, *keys_);
    }
    socket_->connect(endpoint_);
}

NetResult<std::monostate> RequestClient::send(const std::string& payload) {
    if (!socket_->send(zmq::buffer(payload), zmq::send_flags::dontwait)) {
        return unexpected(
            NetError{Errc::send_failed, "cannot send to " + endpoint_ + ": its queue is full"});
    }
    return std::monostate{};
}

NetResult<std::string> RequestClient::receive(std::chrono::milliseconds timeout) {
    auto parts = receive_frames(*socket_, endpoint_, timeout);
    if (!parts) {
        return unexpected(std::move(parts).error());
    }
    if (parts->empty()) {
        return unexpected(NetError{Errc::receive_failed, "empty message from " + endpoint_});
    }
    return parts->back().to_string();
}

NetResult<std::string> RequestClient::request(const std::string& payload,
                                              std::chrono::milliseconds timeout, int retries) {
    bool sent = false;
    for (int attempt = 0; attempt <= retries; ++attempt) {
        if (attempt > 0) {
            connect();  // abandon the old socket and any late reply on it
        }
        if (!send(payload)) {
            continue;
        }
        sent = true;
        if (auto reply = receive(timeout)) {
            return std::move(*reply);
        }
    }
    return unexpected(
        NetError{sent ? Errc::timeout : Errc::send_failed,
                 "no reply from " + endpoint_ + " after " + std::to_string(retries + 1) +
                     " attempt" + (retries == 0 ? "" : "s") + " of " +
                     std::to_string(timeout.count()) + " ms (is opel-escalatord running?)"});
}

Subscriber::Subscriber(zmq::context_t& context, const std::string& endpoint,
                       const std::vector<std::string>& prefixes,
                       const std::optional<ClientKeys>& keys)
    : endpoint_(endpoint),
      socket_(std::make_unique<zmq::socket_t>(context, zmq::socket_type::sub)) {
    socket_->set(zmq::sockopt::linger, 0);
    socket_->set(zmq::sockopt::rcvhwm, 1000000);
    for (const std::string& p : prefixes) {
        socket_->set(zmq::sockopt::subscribe, p);
    }
    socket_->set(zmq::sockopt::ipv6, 1);  // tcp://[::1]:P
    if (keys) {
        make_curve_client(*socket_, *keys);
    }
    socket_->connect(endpoint);
}

Subscriber::~Subscriber() = default;

void* Subscriber::handle() const { return socket_->handle(); }

NetResult<std::pair<std::string, std::string>> Subscriber::receive(
    std::chrono::milliseconds timeout) {
    auto parts = receive_frames(*socket_, endpoint_, timeout);
    if (!parts) {
        return unexpected(std::move(parts).error());
    }
    if (parts->size() != 2) {
        return unexpected(NetError{Errc::receive_failed,
                                   "message of " + std::to_string(parts->size()) + " frames from " +
                                       endpoint_ + " (a publication has 2)"});
    }
    return std::pair{(*parts)[0].to_string(), (*parts)[1].to_string()};
}

}  // namespace opel::net

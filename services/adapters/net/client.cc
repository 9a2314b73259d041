#include "adapters/net/client.h"

#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace opel::net {

RequestClient::RequestClient(zmq::context_t& context, std::string endpoint)
    : context_(context), endpoint_(std::move(endpoint)) {
    connect();
}

RequestClient::~RequestClient() = default;

void RequestClient::connect() {
    socket_ = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    socket_->set(zmq::sockopt::ipv6, 1);  // tcp://[::1]:P
    socket_->set(zmq::sockopt::linger, 0);
    socket_->connect(endpoint_);
}

bool RequestClient::send(const std::string& payload) {
    return socket_->send(zmq::buffer(payload), zmq::send_flags::dontwait).has_value();
}

std::optional<std::string> RequestClient::receive(std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) <= 0) {
        return std::nullopt;
    }
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(*socket_, std::back_inserter(parts), zmq::recv_flags::dontwait) ||
        parts.empty()) {
        return std::nullopt;
    }
    return parts.back().to_string();
}

Result<std::string, std::string> RequestClient::request(const std::string& payload,
                                                        std::chrono::milliseconds timeout,
                                                        int retries) {
    for (int attempt = 0; attempt <= retries; ++attempt) {
        if (attempt > 0) {
            connect();  // abandon the old socket and any late reply on it
        }
        if (!send(payload)) {
            continue;
        }
        if (auto reply = receive(timeout)) {
            return std::move(*reply);
        }
    }
    return unexpected("no reply from " + endpoint_ + " after " + std::to_string(retries + 1) +
                      " attempt" + (retries == 0 ? "" : "s") + " of " +
                      std::to_string(timeout.count()) + " ms (is opel-escalatord running?)");
}

Subscriber::Subscriber(zmq::context_t& context, const std::string& endpoint,
                       const std::vector<std::string>& prefixes)
    : socket_(std::make_unique<zmq::socket_t>(context, zmq::socket_type::sub)) {
    socket_->set(zmq::sockopt::linger, 0);
    socket_->set(zmq::sockopt::rcvhwm, 1000000);
    for (const std::string& p : prefixes) {
        socket_->set(zmq::sockopt::subscribe, p);
    }
    socket_->set(zmq::sockopt::ipv6, 1);  // tcp://[::1]:P
    socket_->connect(endpoint);
}

Subscriber::~Subscriber() = default;

std::optional<std::pair<std::string, std::string>> Subscriber::receive(
    std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{socket_->handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) <= 0) {
        return std::nullopt;
    }
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(*socket_, std::back_inserter(parts), zmq::recv_flags::dontwait) ||
        parts.size() != 2) {
        return std::nullopt;
    }
    return std::pair{parts[0].to_string(), parts[1].to_string()};
}

}  // namespace opel::net

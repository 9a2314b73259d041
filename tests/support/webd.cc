#include "support/webd.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <stdexcept>

#include "support/daemon.h"

namespace opel::testing {

namespace beast = boost::beast;
using tcp = boost::asio::ip::tcp;

Webd::Webd(const std::filesystem::path& dir, const std::filesystem::path& config,
           const Daemon& escalator, std::vector<std::string> extra_args)
    : MonitoredDaemon(dir, "webd", [&] {
          std::vector<std::string> args = {OPEL_WEBD, "--config", config.string(), "--address",
                                           "127.0.0.1:0"};
          const std::vector<std::string> endpoints = escalator.endpoint_args();
          args.insert(args.end(), endpoints.begin(), endpoints.end());
          args.insert(args.end(), extra_args.begin(), extra_args.end());
          return args;
      }()) {}

// Reads run on the io_context with a deadline: run_for() returns when the read completes or
// the time is up (then the socket is closed and the read cancelled).
struct WebSocketClient::State {
    boost::asio::io_context io;
    beast::websocket::stream<beast::tcp_stream> ws{io};
    beast::flat_buffer buffer;
};

WebSocketClient::WebSocketClient(const std::string& address, const std::string& target,
                                 std::chrono::milliseconds timeout, const std::string& cookie)
    : state_(std::make_unique<State>()) {
    if (!cookie.empty()) {
        state_->ws.set_option(beast::websocket::stream_base::decorator(
            [cookie](beast::websocket::request_type& request) {
                request.set(beast::http::field::cookie, cookie);
            }));
    }
    const std::size_t colon = address.rfind(':');
    const tcp::endpoint endpoint(boost::asio::ip::make_address(address.substr(0, colon)),
                                 static_cast<unsigned short>(std::stoi(address.substr(colon + 1))));
    auto& lowest = beast::get_lowest_layer(state_->ws);
    lowest.expires_after(timeout);
    lowest.connect(endpoint);
    state_->ws.handshake(address, target);
    lowest.expires_never();
}

WebSocketClient::~WebSocketClient() {
    beast::error_code ignored;
    beast::get_lowest_layer(state_->ws).socket().close(ignored);
}

void WebSocketClient::send(const std::string& text) {
    auto& lowest = beast::get_lowest_layer(state_->ws);
    lowest.expires_after(std::chrono::seconds(10));
    state_->ws.text(true);
    beast::error_code ec;
    state_->ws.write(boost::asio::buffer(text), ec);
    lowest.expires_never();
    if (ec) {
        throw std::runtime_error("WebSocket send failed: " + ec.message());
    }
}

std::optional<std::string> WebSocketClient::receive(std::chrono::milliseconds timeout) {
    State& s = *state_;
    std::optional<std::string> out;
    bool done = false;
    s.ws.async_read(s.buffer, [&](beast::error_code ec, std::size_t) {
        done = true;
        if (!ec) {
            out = beast::buffers_to_string(s.buffer.data());
            s.buffer.consume(s.buffer.size());
        }
    });
    s.io.restart();
    s.io.run_for(timeout);
    if (!done) {  // the time ran out: close, and let the cancelled read finish
        beast::error_code ignored;
        beast::get_lowest_layer(s.ws).socket().close(ignored);
        s.io.restart();
        s.io.run_for(std::chrono::seconds(1));
    }
    return out;
}

}  // namespace opel::testing

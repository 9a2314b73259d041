// A real opel-webd process for system tests, and a WebSocket client to read its live feed.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/monitored_daemon.h"

namespace opel::testing {

class Daemon;

// opel-webd pointed at the test escalator's endpoints and a configuration the test wrote,
// serving the shipped web/ files on a free loopback port (logged).
class Webd : public MonitoredDaemon {
public:
    Webd(const std::filesystem::path& dir, const std::filesystem::path& config,
         const Daemon& escalator, std::vector<std::string> extra_args = {});
};

// A WebSocket client (Boost.Beast, synchronous with deadlines) on `address` ("127.0.0.1:P").
class WebSocketClient {
public:
    // Connects and completes the handshake for `target` (sending `cookie` as the Cookie
    // header when not empty); throws std::runtime_error when it cannot within `timeout` or
    // the server refuses the upgrade.
    WebSocketClient(const std::string& address, const std::string& target,
                    std::chrono::milliseconds timeout = std::chrono::seconds(10),
                    const std::string& cookie = {});
    ~WebSocketClient();
    WebSocketClient(const WebSocketClient&) = delete;
    WebSocketClient& operator=(const WebSocketClient&) = delete;

    // Sends a text message (blocking, at most 10 s); throws std::runtime_error when it cannot.
    void send(const std::string& text);
    // The next text message, or none when none came within `timeout` or the server closed.
    std::optional<std::string> receive(std::chrono::milliseconds timeout);

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace opel::testing

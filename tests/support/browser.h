// Real headless Chromium (Debian's `chromium` package) for the wallboard's browser tests,
// driven over the DevTools protocol (CDP) with the tests' own WebSocket client: nothing is
// downloaded, no driver library. The browser runs with a profile in the test's directory and
// is killed with the test.
//
//   Browser b(dir, *Browser::program());
//   b.navigate("http://127.0.0.1:P/");
//   b.wait_for("document.querySelectorAll('#rows tr').length === 5", 10s);
//   b.evaluate("document.getElementById('banner').hidden");   // "true"
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace opel::testing {

class WebSocketClient;

class Browser {
public:
    // Chromium's path: $OPEL_CHROMIUM, else /usr/bin/chromium; none when not installed.
    static std::optional<std::string> program();

    // Starts `program` headless with a fresh profile under `dir` and attaches to its page.
    // Throws std::runtime_error naming what failed (with the browser's log).
    Browser(const std::filesystem::path& dir, const std::string& program);
    ~Browser();
    Browser(const Browser&) = delete;
    Browser& operator=(const Browser&) = delete;

    // Loads `url` and waits (at most 30 s) until the document has loaded.
    void navigate(const std::string& url);
    // The value of a JavaScript expression in the page, as JSON ("true", "\"OPEL 4\"", "5").
    // Throws std::runtime_error when it throws in the page.
    std::string evaluate(const std::string& expression);
    // Waits in the page (no polling from here) until `expression` is truthy: true, or false
    // when `timeout` passed first.
    bool wait_for(const std::string& expression, std::chrono::milliseconds timeout);
    // The page's viewport as a phone's (CSS pixels, touch, mobile layout).
    void emulate_phone(int width, int height);

    std::string log() const;

private:
    std::string evaluate(const std::string& expression, std::chrono::milliseconds timeout);
    // Sends a CDP command and returns its "result" object as JSON; throws on an error reply
    // or no reply within `timeout`.
    std::string call(const std::string& method, const std::string& params,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

    std::filesystem::path dir_;
    pid_t pid_ = -1;
    std::unique_ptr<WebSocketClient> page_;
    int next_id_ = 1;
};

}  // namespace opel::testing

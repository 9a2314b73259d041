#include "support/browser.h"

#include <simdjson.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "adapters/codec/json.h"
#include "support/metrics.h"
#include "support/process.h"
#include "support/webd.h"

namespace opel::testing {
namespace {

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

std::optional<std::string> Browser::program() {
    const char* configured = std::getenv("OPEL_CHROMIUM");
    const std::string path = configured != nullptr ? configured : "/usr/bin/chromium";
    return ::access(path.c_str(), X_OK) == 0 ? std::optional(path) : std::nullopt;
}

Browser::Browser(const std::filesystem::path& dir, const std::string& program)
    : dir_(dir / "chromium") {
    std::filesystem::create_directories(dir_ / "profile");
    pid_ = spawn({program, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                  "--disable-background-networking", "--disable-component-update",
                  "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1",
                  "--user-data-dir=" + (dir_ / "profile").string(), "about:blank"},
                 dir_ / "chromium.log", true);
    if (pid_ < 0) {
        throw std::runtime_error("cannot start " + program);
    }
    // The browser writes its DevTools port to the profile once it listens.
    const std::filesystem::path port_file = dir_ / "profile" / "DevToolsActivePort";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::string port;
    while (port.empty() && std::chrono::steady_clock::now() < deadline) {
        std::istringstream(read_file(port_file)) >> port;
        if (port.empty()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));  // then look again
        }
    }
    if (port.empty()) {
        throw std::runtime_error("chromium did not open its DevTools port within 30 s:\n" + log());
    }
    const std::string address = "127.0.0.1:" + port;
    const auto targets = http_request("GET", address, "/json/list", {}, {{"Connection", "close"}});
    if (!targets || targets->status != 200) {
        throw std::runtime_error("chromium's /json/list did not answer on " + address);
    }
    simdjson::dom::parser parser;
    simdjson::dom::array list;
    if (parser.parse(targets->body).get(list) != simdjson::SUCCESS) {
        throw std::runtime_error("chromium's target list is not JSON: " + targets->body);
    }
    for (simdjson::dom::element target : list) {
        std::string_view type;
        std::string_view url;
        if (target["type"].get(type) == simdjson::SUCCESS && type == "page" &&
            target["webSocketDebuggerUrl"].get(url) == simdjson::SUCCESS) {
            const std::string ws(url);  // ws://127.0.0.1:PORT/devtools/page/ID
            page_ = std::make_unique<WebSocketClient>(address, ws.substr(ws.find("/devtools/")));
            break;
        }
    }
    if (!page_) {
        throw std::runtime_error("chromium has no page target: " + targets->body);
    }
}

Browser::~Browser() {
    page_.reset();
    end_child(pid_, std::chrono::seconds(5));
}

std::string Browser::log() const { return read_file(dir_ / "chromium.log"); }

std::string Browser::call(const std::string& method, const std::string& params,
                          std::chrono::milliseconds timeout) {
    const int id = next_id_++;
    page_->send("{\"id\":" + std::to_string(id) + ",\"method\":\"" + method +
                "\",\"params\":" + params + "}");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    simdjson::dom::parser parser;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const auto message = page_->receive(left);
        if (!message) {
            break;
        }
        simdjson::dom::element reply;
        std::int64_t reply_id = 0;
        if (parser.parse(*message).get(reply) != simdjson::SUCCESS ||
            reply["id"].get(reply_id) != simdjson::SUCCESS || reply_id != id) {
            continue;  // an event, or another command's reply
        }
        simdjson::dom::element error;
        if (reply["error"].get(error) == simdjson::SUCCESS) {
            throw std::runtime_error(method + ": " + simdjson::minify(error));
        }
        return simdjson::minify(reply["result"]);
    }
    throw std::runtime_error(method + ": no reply from chromium within " +
                             std::to_string(timeout.count()) + " ms");
}

void Browser::navigate(const std::string& url) {
    call("Page.navigate", "{\"url\":" + codec::json_string(url) + "}");
    if (!wait_for(
            "document.readyState === 'complete' && location.href === " + codec::json_string(url),
            std::chrono::seconds(30))) {
        throw std::runtime_error("the page " + url + " did not load within 30 s");
    }
}

std::string Browser::evaluate(const std::string& expression) {
    return evaluate(expression, std::chrono::seconds(30));
}

std::string Browser::evaluate(const std::string& expression, std::chrono::milliseconds timeout) {
    const std::string result = call("Runtime.evaluate",
                                    "{\"expression\":" + codec::json_string(expression) +
                                        ",\"returnByValue\":true,\"awaitPromise\":true}",
                                    timeout);
    simdjson::dom::parser parser;
    simdjson::dom::element root = parser.parse(result);
    simdjson::dom::element exception;
    if (root["exceptionDetails"].get(exception) == simdjson::SUCCESS) {
        throw std::runtime_error("the page threw evaluating `" + expression +
                                 "`: " + simdjson::minify(exception));
    }
    simdjson::dom::element value;
    return root["result"]["value"].get(value) == simdjson::SUCCESS ? simdjson::minify(value)
                                                                   : "undefined";
}

bool Browser::wait_for(const std::string& expression, std::chrono::milliseconds timeout) {
    // The page checks every 50 ms and answers once.
    const std::string script =
        "new Promise((resolve) => { const until = Date.now() + " + std::to_string(timeout.count()) +
        "; const check = () => { let ok = false; try { ok = !!(" + expression +
        "); } catch (e) { ok = false; } if (ok) resolve(true); else if (Date.now() > until) "
        "resolve(false); else setTimeout(check, 50); }; check(); })";
    return evaluate(script, timeout + std::chrono::seconds(10)) == "true";
}

void Browser::emulate_phone(int width, int height) {
    call("Emulation.setDeviceMetricsOverride", "{\"width\":" + std::to_string(width) +
                                                   ",\"height\":" + std::to_string(height) +
                                                   ",\"deviceScaleFactor\":2,\"mobile\":true}");
    call("Emulation.setTouchEmulationEnabled", "{\"enabled\":true}");
}

}  // namespace opel::testing

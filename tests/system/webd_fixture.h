// What opel-webd's system tests share (webd_test.cc: HTTP and WebSocket; browser_test.cc:
// real headless Chromium): a real opel-escalatord (ipc:// in a temp directory) on the test
// configuration, the real opel-webd on a free loopback port, and a JSON reader.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <zmq.hpp>

#include "adapters/net/client.h"
#include "opel/v1/reply.pb.h"
#include "opel/v1/request.pb.h"
#include "support/daemon.h"
#include "support/test_card.h"
#include "support/webd.h"

namespace opel {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::at;
using testing::Daemon;
using testing::opel1;
using testing::opel4;
using testing::t0;
using testing::Webd;
using testing::WebSocketClient;

// Reads a JSON text by JSON pointer ("?" when absent).
class Json {
public:
    explicit Json(std::string text) : text_(std::move(text)) {
        ok_ = parser_.parse(text_).get(root_) == simdjson::SUCCESS;
    }
    bool ok() const { return ok_; }
    std::string text(const char* pointer) {
        std::string_view v;
        return ok_ && root_.at_pointer(pointer).get(v) == simdjson::SUCCESS ? std::string(v) : "?";
    }
    bool has(const char* pointer) {
        return ok_ && root_.at_pointer(pointer).error() == simdjson::SUCCESS;
    }
    std::size_t size(const char* pointer) {
        simdjson::dom::array a;
        return ok_ && root_.at_pointer(pointer).get(a) == simdjson::SUCCESS ? a.size() : 0;
    }

private:
    std::string text_;
    simdjson::dom::parser parser_;
    simdjson::dom::element root_;
    bool ok_ = false;
};

struct CommandRun {
    int status = -1;
    std::string out;  // standard output only
};

// `opel <args>` (the real command) with `input` on standard input.
inline CommandRun opel_command(const std::string& args, const std::string& input = {}) {
    CommandRun r;
    const std::string command = "printf '%s\\n' '" + input + "' | " + std::string(OPEL_COMMAND) +
                                " " + args + " 2>/dev/null";
    FILE* pipe = ::popen(command.c_str(), "r");
    std::array<char, 4096> buffer{};
    while (pipe != nullptr && std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
        r.out += buffer.data();
    }
    r.status = pipe == nullptr ? -1 : WEXITSTATUS(::pclose(pipe));
    return r;
}

class WebdTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("opel-webd-system-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        const fs::path src = OPEL_SOURCE_DIR;
        std::ofstream(dir_ / "opel.textproto")
            << "catalogue: \"" << (src / "config/catalogue.textproto").string() << "\"\n"
            << "cards: \"" << (src / "tests/system/config/cards/test-acute.textproto").string()
            << "\"\ntree: \"" << (src / "tests/system/config/trees/test.textproto").string()
            << "\"\nescalatord { max_clock_skew_seconds: 300 }\n";
    }
    void TearDown() override {
        if (HasFailure()) {
            if (webd_) {
                std::cerr << "webd log:\n" << webd_->log();
            }
            if (escalator_) {
                std::cerr << "escalatord log:\n" << escalator_->log();
            }
        }
        webd_.reset();
        escalator_.reset();
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    void start_escalator() {
        escalator_ = std::make_unique<Daemon>(
            dir_, std::vector<std::string>{"--config", (dir_ / "opel.textproto").string(),
                                           "--clock-start", t0});
        ASSERT_TRUE(escalator_->start()) << escalator_->log();
    }
    void start_webd(std::vector<std::string> extra = {}) {
        webd_ = std::make_unique<Webd>(dir_, dir_ / "opel.textproto", *escalator_, extra);
        ASSERT_TRUE(webd_->start()) << webd_->log();
    }
    void submit(const v1::Sitrep& s) {
        v1::SubmitRequest r;
        *r.mutable_sitrep() = s;
        net::RequestClient client(context_, escalator_->submit_endpoint());
        auto answer = client.request(r.SerializeAsString(), 10s, 0);
        v1::SubmitReply reply;
        ASSERT_TRUE(answer.has_value() && reply.ParseFromString(*answer));
        ASSERT_EQ(reply.status(), v1::SUBMIT_STATUS_ACCEPTED) << reply.DebugString();
    }
    // Reads messages until one satisfies `wanted` (returned) or the time runs out (none).
    static std::optional<std::string> await(WebSocketClient& ws,
                                            const std::function<bool(Json&)>& wanted,
                                            std::chrono::milliseconds timeout) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            auto message = ws.receive(left);
            if (!message) {
                return std::nullopt;
            }
            Json json(*message);
            EXPECT_TRUE(json.ok()) << *message;
            if (wanted(json)) {
                return message;
            }
        }
        return std::nullopt;
    }

    fs::path dir_;
    zmq::context_t context_;
    std::unique_ptr<Daemon> escalator_;
    std::unique_ptr<Webd> webd_;
};

}  // namespace opel

// System tests of opel-webd: the real daemon between a real opel-escalatord (ipc:// in a temp
// directory) and HTTP/WebSocket clients on loopback. Every wait is for a condition, with a
// deadline.
#include "support/webd.h"

#include <gtest/gtest.h>
#include <simdjson.h>

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

namespace opel {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::at;
using testing::Daemon;
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

TEST_F(WebdTest, TheBoardListsEveryNodeAndALevelChangeReachesTheBrowserLive) {
    start_escalator();
    start_webd();
    const std::string address = *webd_->address();
    const auto page = testing::http_get(address, "/");
    ASSERT_TRUE(page.has_value());
    EXPECT_EQ(page->status, 200);
    EXPECT_NE(page->body.find("<script src=\"/app.js\">"), std::string::npos);
    EXPECT_EQ(testing::http_get(address, "/app.js")->status, 200);

    const auto state = testing::http_get(address, "/api/v1/state");
    ASSERT_TRUE(state.has_value());
    ASSERT_EQ(state->status, 200);
    Json board(state->body);
    EXPECT_EQ(board.size("/nodes"), 5U);  // national, QOP, stockport, RWJ, RMC
    EXPECT_EQ(board.text("/nodes/0/id"), "national");
    EXPECT_EQ(board.text("/nodes/3/id"), "RWJ");
    EXPECT_EQ(board.text("/nodes/3/kind"), "site");
    EXPECT_TRUE(board.has("/feed/live"));

    WebSocketClient ws(address, "/api/v1/live");
    const auto first = ws.receive(10s);
    ASSERT_TRUE(first.has_value());
    Json hello(*first);
    EXPECT_EQ(hello.size("/state/nodes"), 5U) << "a browser is sent the whole board first";

    submit(opel4("RWJ", at(0)));
    // The node's new result and its alert (UNKNOWN to OPEL 4: "known"), in feed order.
    bool status = false;
    bool alert = false;
    const auto both = await(
        ws,
        [&](Json& m) {
            status = status || (m.text("/status/node_id") == "RWJ" &&
                                m.text("/status/status") == "STATUS_OPEL_4");
            alert = alert || (m.text("/alert/node_id") == "RWJ" &&
                              m.text("/alert/kind") == "EVENT_KIND_KNOWN" &&
                              m.text("/alert/to") == "STATUS_OPEL_4");
            return status && alert;
        },
        10s);
    ASSERT_TRUE(both.has_value()) << "RWJ's new level reached the browser: " << status
                                  << "; its alert: " << alert;
    // The same state over HTTP, and the node's own route.
    const std::string node_body = testing::http_get(address, "/api/v1/nodes/RWJ")->body;
    Json node(node_body);
    EXPECT_EQ(node.text("/result/status"), "STATUS_OPEL_4");
    // The card's actions as an OPEL 4 alert quotes them: its row says "and every lower level's".
    EXPECT_EQ(node.size("/actions"), 4U) << node_body;
    EXPECT_NE(node_body.find(R"("level":4)"), std::string::npos) << node_body;
    Json alerts(testing::http_get(address, "/api/v1/alerts?limit=50&node=stockport")->body);
    EXPECT_GE(alerts.size(""), 1U);
    ASSERT_TRUE(webd_->wait_metric("opel_webd_nodes", 1, 10s, {{"status", "OPEL_4"}}));
    EXPECT_EQ(webd_->metrics().value("opel_webd_live_clients"), 1.0);
}

TEST_F(WebdTest, ASilentFeedIsShownToBrowsersAndRecoveryClearsIt) {
    start_escalator();
    start_webd({"--feed-silence-seconds", "2"});
    const std::string address = *webd_->address();
    WebSocketClient ws(address, "/api/v1/live");
    ASSERT_TRUE(ws.receive(10s).has_value());
    escalator_->stop();
    const auto silent = await(
        ws, [](Json& m) { return m.has("/feed") && !m.has("/feed/live"); }, 20s);
    ASSERT_TRUE(silent.has_value()) << "the browser was not told the feed went silent";
    EXPECT_NE(Json(*silent).text("/feed/problem"), "?");
    EXPECT_EQ(testing::http_get(address, "/readyz")->status, 503);
    ASSERT_TRUE(escalator_->start()) << escalator_->log();
    const auto live = await(
        ws, [](Json& m) { return m.has("/feed/live"); }, 30s);
    ASSERT_TRUE(live.has_value()) << "recovery was not shown";
    EXPECT_EQ(testing::http_get(address, "/readyz")->status, 200);
}

TEST_F(WebdTest, BadRequestsGetPreciseErrors) {
    start_escalator();
    start_webd();
    const std::string address = *webd_->address();
    auto missing = testing::http_get(address, "/api/v1/nodes/NOPE");
    ASSERT_TRUE(missing.has_value());
    EXPECT_EQ(missing->status, 404);
    EXPECT_EQ(missing->body, "no node 'NOPE' in the tree\n");
    auto limit = testing::http_get(address, "/api/v1/alerts?limit=0");
    EXPECT_EQ(limit->status, 400);
    EXPECT_EQ(limit->body, "limit: '0' is not a number from 1 to 1000\n");
    auto post = testing::http_request("POST", address, "/api/v1/state", "{}");
    EXPECT_EQ(post->status, 405);
    EXPECT_EQ(testing::http_get(address, "/api/v1/nothing")->status, 404);
}

TEST_F(WebdTest, AnAcknowledgementFromThePageIsRecordedWithTheNameGiven) {
    start_escalator();
    start_webd();
    const std::string address = *webd_->address();
    submit(opel4("RWJ", at(0)));  // RWJ#1
    const auto node_page = testing::http_get(address, "/node/RWJ");
    ASSERT_TRUE(node_page.has_value());
    EXPECT_EQ(node_page->status, 200);  // the link notifications carry serves the page
    const std::map<std::string, std::string> json{{"Content-Type", "application/json"}};
    auto ack = testing::http_request(
        "POST", address, "/api/v1/ack",
        R"({"transition_id":"RWJ#1","by":"Jane Smith","note":"bed meeting at 09:00"})", json);
    ASSERT_TRUE(ack.has_value());
    EXPECT_EQ(ack->status, 200) << ack->body;
    Json reply(ack->body);
    EXPECT_EQ(reply.text("/status"), "SUBMIT_STATUS_ACCEPTED");
    EXPECT_EQ(reply.text("/result/acknowledged/by"), "Jane Smith");
    // The board shows it once the escalator has published it.
    WebSocketClient ws(address, "/api/v1/live");
    ASSERT_TRUE(await(
                    ws,
                    [](Json& m) {
                        return m.text("/state/nodes/3/result/acknowledged/by") == "Jane Smith" ||
                               m.text("/status/acknowledged/by") == "Jane Smith";
                    },
                    10s)
                    .has_value());
    // Again: DUPLICATE, naming who was first.
    auto again = testing::http_request("POST", address, "/api/v1/ack",
                                       R"({"transition_id":"RWJ#1","by":"Bob"})", json);
    EXPECT_EQ(again->status, 200);
    EXPECT_EQ(Json(again->body).text("/status"), "SUBMIT_STATUS_DUPLICATE");
    // A transition that has not happened, and a body that is not an acknowledgement.
    auto unknown = testing::http_request("POST", address, "/api/v1/ack",
                                         R"({"transition_id":"RWJ#9","by":"Jane"})", json);
    EXPECT_EQ(unknown->status, 400);
    EXPECT_EQ(Json(unknown->body).text("/errors/0/code"), "unknown_transition");
    auto garbage = testing::http_request("POST", address, "/api/v1/ack", "{\"who\": 1}", json);
    EXPECT_EQ(garbage->status, 400);
    EXPECT_EQ(Json(garbage->body).text("/errors/0/field"), "acknowledgement");
    EXPECT_EQ(testing::http_get(address, "/api/v1/ack")->status, 405);
}

TEST_F(WebdTest, MissingPageFilesStopItWithTheirPath) {
    start_escalator();
    webd_ = std::make_unique<Webd>(dir_, dir_ / "opel.textproto", *escalator_,
                                   std::vector<std::string>{"--assets", (dir_ / "none").string()});
    webd_->launch();
    EXPECT_EQ(webd_->wait_exit(20s), 1);
    EXPECT_NE(webd_->log().find("cannot read " + (dir_ / "none" / "index.html").string()),
              std::string::npos)
        << webd_->log();
}

}  // namespace
}  // namespace opel

// System tests of opel-webd: the real daemon between a real opel-escalatord (ipc:// in a temp
// directory) and HTTP/WebSocket clients on loopback. Every wait is for a condition, with a
// deadline.
#include <algorithm>
#include <iterator>
#include <thread>

#include "webd_fixture.h"

namespace opel {
namespace {

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
    // The node's new result and its alert (UNKNOWN to OPEL 4: an escalation), in feed order.
    bool status = false;
    bool alert = false;
    const auto both = await(
        ws,
        [&](Json& m) {
            status = status || (m.text("/status/node_id") == "RWJ" &&
                                m.text("/status/status") == "STATUS_OPEL_4");
            alert = alert || (m.text("/alert/node_id") == "RWJ" &&
                              m.text("/alert/kind") == "EVENT_KIND_ESCALATED" &&
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
    // The test tree's locality has no system card: its page says so instead of quoting the
    // site card's roles.
    const std::string locality = testing::http_get(address, "/api/v1/nodes/stockport")->body;
    EXPECT_NE(locality.find(R"("actions_note":"No system action card for)"), std::string::npos)
        << locality;
    EXPECT_EQ(locality.find(R"("actions":)"), std::string::npos) << locality;
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

TEST_F(WebdTest, ACsvUploadAnswersEveryRowAndTheGoodOnesChangeTheBoard) {
    start_escalator();
    start_webd();
    const std::string address = *webd_->address();
    WebSocketClient ws(address, "/api/v1/live");
    const std::string csv =
        "site_id,as_at,ambulance_handover_mean_minutes,ga_beds_occupied,nctr_patients\n"
        "RWJ," +
        at(0) +
        ",70,200,50\n"  // OPEL 4
        "NOPE," +
        at(0) +
        ",lots,200,50\n"  // two problems: the cell and the site
        "RMC," +
        at(0) +
        ",5,200,10\n"  // OPEL 1
        "RMC," +
        at(0) + ",5,-3,10\n";  // the engine's range check
    const std::map<std::string, std::string> type{{"Content-Type", "text/csv"}};
    auto answer = testing::http_request("POST", address, "/api/v1/sitreps", csv, type);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 207) << answer->body;
    Json reply(answer->body);
    EXPECT_EQ(reply.size("/results"), 4U) << answer->body;
    EXPECT_EQ(reply.text("/results/0/reply/status"), "SUBMIT_STATUS_ACCEPTED");
    EXPECT_EQ(reply.text("/results/0/reply/result/status"), "STATUS_OPEL_4");
    EXPECT_EQ(reply.text("/results/1/reply/status"), "SUBMIT_STATUS_REJECTED");
    EXPECT_EQ(reply.text("/results/1/reply/errors/0/field"),
              "measures.ambulance_handover_mean_minutes");
    EXPECT_EQ(reply.text("/results/1/reply/errors/1/code"), "unknown_site");
    EXPECT_EQ(reply.text("/results/2/reply/status"), "SUBMIT_STATUS_ACCEPTED");
    EXPECT_EQ(reply.text("/results/3/reply/status"), "SUBMIT_STATUS_REJECTED");
    EXPECT_EQ(reply.text("/results/3/reply/errors/0/field"), "measures.ga_beds_occupied");
    // The first row's line is the record's: 2 (after the header).
    EXPECT_NE(answer->body.find("{\"line\":2,"), std::string::npos);
    EXPECT_TRUE(await(
                    ws, [](Json& m) { return m.text("/status/status") == "STATUS_OPEL_4"; }, 10s)
                    .has_value());
    // The same file again: every good row DUPLICATE, nothing applied twice.
    auto again = testing::http_request("POST", address, "/api/v1/sitreps", csv, type);
    EXPECT_EQ(Json(again->body).text("/results/0/reply/status"), "SUBMIT_STATUS_DUPLICATE");
}

TEST_F(WebdTest, JsonUploadsAndUnreadableOnesGetTheirStatus) {
    start_escalator();
    start_webd();
    const std::string address = *webd_->address();
    const std::string sitrep = R"({"site_id":"RWJ","as_at":")" + at(0) +
                               R"(","measures":{"ambulance_handover_mean_minutes":5,)"
                               R"("ga_beds_occupied":200,"nctr_patients":10}})";
    auto one = testing::http_request("POST", address, "/api/v1/sitreps", sitrep,
                                     {{"Content-Type", "application/json"}});
    EXPECT_EQ(one->status, 200) << one->body;
    EXPECT_EQ(Json(one->body).text("/results/0/reply/result/status"), "STATUS_OPEL_1");
    auto lines =
        testing::http_request("POST", address, "/api/v1/sitreps", "{\"site_id\": 7}\n\n{}\n",
                              {{"Content-Type", "application/x-ndjson"}});
    EXPECT_EQ(lines->status, 400) << lines->body;  // every row refused
    EXPECT_NE(lines->body.find("\"line\":3"), std::string::npos) << lines->body;
    auto form = testing::http_request("POST", address, "/api/v1/sitreps", "a=b",
                                      {{"Content-Type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(form->status, 415);
    EXPECT_NE(Json(form->body).text("/error").find("is not read: send text/csv"), std::string::npos)
        << form->body;
    auto empty = testing::http_request("POST", address, "/api/v1/sitreps", "",
                                       {{"Content-Type", "text/csv"}});
    EXPECT_EQ(empty->status, 400);
    EXPECT_EQ(Json(empty->body).text("/error"), "the body is empty: no sitreps to send");
    EXPECT_EQ(testing::http_get(address, "/api/v1/sitreps")->status, 405);
    EXPECT_EQ(testing::http_get(address, "/upload")->status, 200);  // the upload form
}

TEST_F(WebdTest, AnUploadWhileTheEscalatorIsDownIsUnavailableAndTheBoardStillServes) {
    start_escalator();
    start_webd({"--submit-timeout-ms", "300"});
    const std::string address = *webd_->address();
    escalator_->stop();
    const std::string csv = "site_id,as_at,ambulance_handover_mean_minutes\nRWJ," + at(0) + ",5\n";
    std::optional<testing::HttpReply> answer;
    std::thread upload([&] {
        answer = testing::http_request("POST", address, "/api/v1/sitreps", csv,
                                       {{"Content-Type", "text/csv"}}, 30s);
    });
    // While the upload waits on the escalator, the board is served.
    EXPECT_EQ(testing::http_get(address, "/api/v1/state")->status, 200);
    upload.join();
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, 503) << answer->body;
    Json reply(answer->body);
    EXPECT_EQ(reply.text("/results/0/reply/status"), "SUBMIT_STATUS_UNAVAILABLE");
    EXPECT_NE(reply.text("/results/0/reply/message").find("no reply from"), std::string::npos);
}

TEST_F(WebdTest, TheAlertsOfANodeAreFoundByItsEscapedPath) {
    start_escalator();
    start_webd();
    const std::string address = *webd_->address();
    WebSocketClient ws(address, "/api/v1/live");
    submit(opel4("RWJ", at(0)));
    ASSERT_TRUE(await(
                    ws, [](Json& m) { return m.has("/alert"); }, 10s)
                    .has_value());
    auto plain = testing::http_get(address, "/api/v1/alerts?node=stockport/RWJ");
    auto escaped = testing::http_get(address, "/api/v1/alerts?node=stockport%2FRWJ");
    auto other = testing::http_get(address, "/api/v1/alerts?node=stockport%2FRMC");
    EXPECT_GT(Json(plain->body).size(""), 0U) << plain->body;
    EXPECT_EQ(escaped->body, plain->body);
    EXPECT_EQ(Json(other->body).size(""), 0U) << other->body;
    auto bad = testing::http_get(address, "/api/v1/alerts?node=%zz");
    EXPECT_EQ(bad->status, 400);
    EXPECT_EQ(bad->body, "node: '%zz' is not a percent escape (% and two hex digits)\n");
}

TEST_F(WebdTest, HistoryGivesANodesOwnResultsOverARangeAsJsonOrCsv) {
    start_escalator();
    start_webd();
    const std::string address = *webd_->address();
    submit(opel1("RWJ", at(-40)));
    submit(opel1("RMC", at(-30)));
    submit(opel4("RWJ", at(-20)));
    const std::string range = "&from=" + at(-60) + "&to=" + at(60);
    auto rwj = testing::http_get(address, "/api/v1/history?node=RWJ" + range);
    ASSERT_TRUE(rwj.has_value());
    ASSERT_EQ(rwj->status, 200) << rwj->body;
    Json h(rwj->body);
    EXPECT_EQ(h.text("/node_id"), "RWJ");
    ASSERT_EQ(h.size("/points"), 2U) << rwj->body;
    EXPECT_EQ(h.text("/points/0/status"), "STATUS_OPEL_1");
    EXPECT_EQ(h.text("/points/1/status"), "STATUS_OPEL_4");
    EXPECT_GE(h.size("/parameters"), 1U);
    EXPECT_EQ(h.size("/parameters/0/thresholds"), 3U);
    // The same as CSV: a header and a row per result.
    auto csv = testing::http_get(address, "/api/v1/history?node=RWJ&format=csv" + range);
    EXPECT_EQ(csv->status, 200);
    EXPECT_EQ(csv->body.rfind("at,status,level,", 0), 0U) << csv->body;
    EXPECT_EQ(std::count(csv->body.begin(), csv->body.end(), '\n'), 3) << csv->body;
    EXPECT_NE(csv->body.find(at(-20) + ",OPEL 4,4,"), std::string::npos) << csv->body;
    // A system's own results only, not its sites' (which carry parameter values).
    auto stockport = testing::http_get(address, "/api/v1/history?node=stockport" + range);
    EXPECT_GE(Json(stockport->body).size("/points"), 1U) << stockport->body;
    EXPECT_EQ(stockport->body.find("\"values\""), std::string::npos) << stockport->body;
    // Without a range: the 24 hours to the feed's now: the test clock's once a heartbeat has
    // told it (the wall clock until then).
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (Json(testing::http_get(address, "/api/v1/state")->body)
                   .text("/feed/now")
                   .rfind("2026-01-13", 0) != 0 &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);  // then look again
    }
    EXPECT_EQ(Json(testing::http_get(address, "/api/v1/history?node=RWJ")->body).size("/points"),
              2U);
    // Precise errors.
    const auto error = [&](const std::string& query) {
        auto reply = testing::http_get(address, "/api/v1/history?" + query);
        return std::to_string(reply->status) + " " + reply->body;
    };
    EXPECT_EQ(error(""), "400 node: give the node's id (node=RWJ)\n");
    EXPECT_EQ(error("node=NOPE"), "404 no node 'NOPE' in the tree\n");
    EXPECT_EQ(error("node=RWJ&from=yesterday"),
              "400 from: 'yesterday' is not an RFC 3339 time (2026-01-13T08:00:00Z)\n");
    EXPECT_EQ(error("node=RWJ&from=" + at(60) + "&to=" + at(0)),
              "400 to (" + at(0) + ") is before from (" + at(60) + ")\n");
    EXPECT_EQ(error("node=RWJ&format=xml"), "400 format: 'xml' is not json or csv\n");
}

TEST_F(WebdTest, WithCurveTheWallboardReadsAndUploadsWithItsOwnKeys) {
    testing::write_key_pair(dir_, "escalator");
    const std::string webd_key = testing::write_key_pair(dir_, "webd");
    std::ofstream(dir_ / "opel.textproto", std::ios::app)
        << "escalatord { curve { public_key_file: \"escalator.pub\" secret_key_file: "
           "\"escalator.key\" clients { name: \"wallboard\" public_key: \""
        << webd_key
        << "\" sites: \"national\" subtrees: \"national\" acknowledge: true } } "
           "max_clock_skew_seconds: 300 }\n";
    // The configuration had an escalatord section already: the one with curve replaces it.
    {
        std::ifstream in(dir_ / "opel.textproto");
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const std::string plain = "escalatord { max_clock_skew_seconds: 300 }\n";
        text.erase(text.find(plain), plain.size());
        std::ofstream(dir_ / "opel.textproto") << text;
    }
    escalator_ = std::make_unique<Daemon>(
        dir_, std::vector<std::string>{"--config", (dir_ / "opel.textproto").string(),
                                       "--clock-start", t0});
    escalator_->use_curve(net::read_client_keys((dir_ / "escalator.pub").string(),
                                                (dir_ / "webd.pub").string(),
                                                (dir_ / "webd.key").string())
                              .value());
    ASSERT_TRUE(escalator_->start()) << escalator_->log();
    // Without keys it stops, saying which it needs.
    webd_ = std::make_unique<Webd>(dir_, dir_ / "opel.textproto", *escalator_);
    webd_->launch();
    EXPECT_EQ(webd_->wait_exit(20s), 1);
    EXPECT_NE(webd_->log().find("the escalator uses CURVE (escalatord.curve)"), std::string::npos)
        << webd_->log();
    start_webd({"--curve-public-key", (dir_ / "webd.pub").string(), "--curve-secret-key",
                (dir_ / "webd.key").string()});
    const std::string address = *webd_->address();
    WebSocketClient ws(address, "/api/v1/live");
    const std::map<std::string, std::string> type{{"Content-Type", "text/csv"}};
    auto answer = testing::http_request(
        "POST", address, "/api/v1/sitreps",
        "site_id,as_at,ambulance_handover_mean_minutes,ga_beds_occupied,nctr_patients\nRWJ," +
            at(0) + ",70,200,50\n",
        type);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(Json(answer->body).text("/results/0/reply/status"), "SUBMIT_STATUS_ACCEPTED")
        << answer->body;
    EXPECT_TRUE(await(
                    ws, [](Json& m) { return m.text("/status/status") == "STATUS_OPEL_4"; }, 10s)
                    .has_value());
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

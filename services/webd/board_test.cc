#include "webd/board.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>

#include "support/engine_fixtures.h"

namespace opel::webd {
namespace {

using engine::Status;

engine::NodeResult result(const std::string& id, Status status) {
    engine::NodeResult r;
    r.node_id = id;
    r.path = "national/region/ICS/loc/" + id;
    r.status = status;
    r.as_at = testing::at("2026-01-13T08:00:00Z");
    return r;
}

feed::Item status_item(std::uint64_t sequence, engine::NodeResult r) {
    feed::Item item;
    item.sequence = sequence;
    item.status = std::move(r);
    return item;
}

feed::Item alert_item(std::uint64_t sequence, const std::string& path) {
    feed::Item item;
    item.sequence = sequence;
    engine::Event e;
    e.kind = engine::EventKind::escalated;
    e.node_id = path.substr(path.rfind('/') + 1);
    e.path = path;
    e.transition_id = e.node_id + "#" + std::to_string(sequence);
    e.from = Status::opel2;
    e.to = Status::opel3;
    item.alert = e;
    return item;
}

// A parsed JSON document, read by JSON pointer.
class Json {
public:
    explicit Json(const std::string& text) : text_(text) {
        EXPECT_EQ(parser_.parse(text_).get(root_), simdjson::SUCCESS) << text_;
    }
    std::string text(const char* pointer) {
        std::string_view v;
        return root_.at_pointer(pointer).get(v) == simdjson::SUCCESS ? std::string(v) : "?";
    }
    std::size_t size(const char* pointer) {
        simdjson::dom::array a;
        return root_.at_pointer(pointer).get(a) == simdjson::SUCCESS ? a.size() : 0;
    }
    bool has(const char* pointer) { return root_.at_pointer(pointer).error() == simdjson::SUCCESS; }

private:
    std::string text_;
    simdjson::dom::parser parser_;
    simdjson::dom::element root_;
};

class BoardTest : public ::testing::Test {
protected:
    engine::Model model_{testing::small_config()};
    Board board_{model_, 3};
    codec::BoardFeed live_{true, "", testing::at("2026-01-13T08:30:00Z"), std::nullopt, 0};
};

TEST_F(BoardTest, TheStateListsEveryNodeParentsFirstWithNamesKindsAndResults) {
    board_.reset({7, 41, {result("S1", Status::opel3), result("ELSEWHERE", Status::opel4)}});
    Json state(board_.state_json(live_));
    EXPECT_EQ(state.text("/sequence"), "41");  // uint64 is a JSON string in protobuf's mapping
    ASSERT_EQ(state.size("/nodes"), model_.node_count());
    EXPECT_EQ(state.text("/nodes/0/id"), "national");
    EXPECT_EQ(state.text("/nodes/0/kind"), "national");
    EXPECT_FALSE(state.has("/nodes/0/result"));  // no result yet: absent, not a fake level
    EXPECT_EQ(state.text("/nodes/4/id"), "S1");
    EXPECT_EQ(state.text("/nodes/4/parent"), "loc");
    EXPECT_EQ(state.text("/nodes/4/provider_type"), "acute");
    EXPECT_EQ(state.text("/nodes/4/result/status"), "STATUS_OPEL_3");
    EXPECT_EQ(state.text("/nodes/4/result/as_at"), "2026-01-13T08:00:00Z");
    EXPECT_EQ(state.text("/feed/now"), "2026-01-13T08:30:00Z");
    EXPECT_EQ(board_.counts()[3], 1U);  // a result for a node not configured is ignored
    EXPECT_EQ(board_.counts()[0], model_.node_count() - 1);
}

// Each locality's sites follow it on the board, whatever order the tree file lists them in.
TEST(BoardOrderTest, NodesAreListedDepthFirstWithChildrenInConfigurationOrder) {
    engine::EngineConfig config = testing::small_config();
    std::rotate(config.nodes.begin() + 4, config.nodes.begin() + 5, config.nodes.end());
    ASSERT_EQ(config.nodes.back().id, "S1");  // listed last, after loc2 and S3
    const engine::Model model(std::move(config));
    Board board(model, 3);
    Json state(board.state_json({true, "", testing::at("2026-01-13T08:30:00Z"), std::nullopt, 0}));
    std::vector<std::string> ids;
    for (std::size_t i = 0; i < model.node_count(); ++i) {
        const std::string pointer = "/nodes/" + std::to_string(i) + "/id";
        ids.push_back(state.text(pointer.c_str()));
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"national", "region", "ICS", "loc", "S2", "S1", "loc2",
                                             "S3"}));
}

TEST_F(BoardTest, AStatusChangesTheNodeAndIsItsLiveMessage) {
    const auto message = board_.apply(status_item(5, result("S2", Status::opel4)));
    ASSERT_TRUE(message.has_value());
    Json m(*message);
    EXPECT_EQ(m.text("/sequence"), "5");
    EXPECT_EQ(m.text("/status/node_id"), "S2");
    EXPECT_EQ(m.text("/status/status"), "STATUS_OPEL_4");
    EXPECT_EQ(board_.sequence(), 5U);
    EXPECT_EQ(board_.counts()[4], 1U);
    Json node(*board_.node_json("S2"));
    EXPECT_EQ(node.text("/result/status"), "STATUS_OPEL_4");
    EXPECT_FALSE(board_.node_json("nowhere").has_value());
    // A node this configuration does not have changes nothing and sends nothing.
    EXPECT_FALSE(board_.apply(status_item(6, result("ELSEWHERE", Status::opel4))).has_value());
    EXPECT_EQ(board_.sequence(), 6U);
    feed::Item heartbeat;
    heartbeat.sequence = 6;
    heartbeat.heartbeat_at = testing::at("2026-01-13T08:31:00Z");
    EXPECT_FALSE(board_.apply(heartbeat).has_value());
}

TEST_F(BoardTest, AlertsAreKeptUpToTheLimitAndFilteredBySubtree) {
    for (std::uint64_t s = 1; s <= 4; ++s) {
        const auto message = board_.apply(alert_item(
            s, s % 2 == 0 ? "national/region/ICS/loc/S1" : "national/region/ICS/loc2/S3"));
        ASSERT_TRUE(message.has_value());
        EXPECT_EQ(Json(*message).text("/alert/kind"), "EVENT_KIND_ESCALATED");
    }
    Json all(board_.alerts_json(10, ""));
    ASSERT_EQ(all.size(""), 3U);  // the limit kept: the oldest went
    EXPECT_EQ(all.text("/0/transition_id"), "S1#2");
    EXPECT_EQ(all.text("/2/transition_id"), "S1#4");
    Json one(board_.alerts_json(1, ""));
    ASSERT_EQ(one.size(""), 1U);
    EXPECT_EQ(one.text("/0/transition_id"), "S1#4");
    Json loc2(board_.alerts_json(10, "loc2"));
    ASSERT_EQ(loc2.size(""), 1U);
    EXPECT_EQ(loc2.text("/0/transition_id"), "S3#3");
    EXPECT_EQ(Json(board_.state_json(live_)).size("/alerts"), 3U);
}

TEST_F(BoardTest, HistoryIsEachResultWithTheCardsThresholdsAsJsonOrCsv) {
    engine::NodeResult first = result("S1", Status::opel2);
    first.parameters = {{"pa", "Pressure A", "count", 15.0, 2, 1, false, {}, false, ">= 10"},
                        {"pb", "Pressure B", "count", std::nullopt, 1, 1, false, {}, false, ""}};
    engine::NodeResult second = result("S1", Status::stale);
    second.as_at = testing::at("2026-01-13T09:00:00Z");
    second.parameters = {{"pa", "Pressure A", "count", 2.5, 1, 1, false, {}, false, "< 10"}};
    const codec::HistorySeries series{*model_.find_node("S1"),
                                      testing::at("2026-01-13T00:00:00Z"),
                                      testing::at("2026-01-14T00:00:00Z"),
                                      {first, second},
                                      true};
    EXPECT_EQ(codec::history_csv(model_, series),
              "at,status,level,pa,pb\n"
              "2026-01-13T08:00:00Z,OPEL 2,2,15,\n"
              "2026-01-13T09:00:00Z,STALE,0,2.5,\n");
    const std::string text = codec::history_json(model_, series);
    Json json(text);
    EXPECT_EQ(json.text("/node_id"), "S1");
    EXPECT_EQ(json.text("/from"), "2026-01-13T00:00:00Z");
    EXPECT_TRUE(json.has("/truncated"));
    EXPECT_EQ(json.size("/parameters"), 2U);
    EXPECT_EQ(json.text("/parameters/1/id"), "pb");
    EXPECT_TRUE(json.has("/parameters/1/lower_is_worse"));
    EXPECT_NE(text.find(R"("thresholds":[90,80,70])"), std::string::npos) << text;
    EXPECT_EQ(json.size("/points"), 2U);
    EXPECT_EQ(json.text("/points/0/status"), "STATUS_OPEL_2");
    EXPECT_NE(text.find(R"("values":{"pa":15})"), std::string::npos) << text;  // pb missing
    // A system node has no parameters of its own: the level alone.
    const codec::HistorySeries ics{*model_.find_node("ICS"), series.from, series.to, {}, false};
    EXPECT_EQ(codec::history_csv(model_, ics), "at,status,level\n");
}

}  // namespace
}  // namespace opel::webd

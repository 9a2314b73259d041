#include "notifyd/grouping.h"

#include <gtest/gtest.h>

namespace opel::notifyd {
namespace {

using engine::EventKind;

TimePoint at(std::string_view text) { return *parse_rfc3339(text); }

engine::Event event(EventKind kind, std::string node) {
    engine::Event e;
    e.kind = kind;
    e.node_id = std::move(node);
    e.transition_id = e.node_id + "#1";
    return e;
}

Delivery to(const std::string& target, const std::string& key) {
    return {key, "group", {ReceiverKind::email, target}, "route"};
}

std::vector<std::string> nodes(const Message& m) {
    std::vector<std::string> out;
    for (const engine::Event& e : m.events) {
        out.push_back(e.node_id);
    }
    return out;
}

const TimePoint t0 = at("2026-01-13T08:00:00Z");

TEST(GroupingTest, ASitesChainBecomesOneMessagePerReceiver) {
    Grouper g(Duration{10});
    for (const char* node : {"RWJ", "stockport", "QOP", "north-west", "national"}) {
        EXPECT_FALSE(
            g.add(to("a@x", std::string(node) + "#1/a@x"), event(EventKind::escalated, node), t0));
        EXPECT_FALSE(g.add(to("b@x", std::string(node) + "#1/b@x"),
                           event(EventKind::escalated, node), t0 + Duration{1}));
    }
    EXPECT_EQ(g.next_deadline(), t0 + Duration{10});
    EXPECT_TRUE(g.due(t0 + Duration{9}).empty());
    const auto first = g.due(t0 + Duration{10});
    ASSERT_EQ(first.size(), 1U);  // b's window closes a second later
    EXPECT_EQ(first[0].receiver.target, "a@x");
    EXPECT_EQ(first[0].key, "RWJ#1/a@x");
    EXPECT_EQ(nodes(first[0]),
              (std::vector<std::string>{"RWJ", "stockport", "QOP", "north-west", "national"}));
    const auto second = g.due(t0 + Duration{11});
    ASSERT_EQ(second.size(), 1U);
    EXPECT_EQ(second[0].receiver.target, "b@x");
    EXPECT_EQ(g.next_deadline(), std::nullopt);
    EXPECT_TRUE(g.due(t0 + Duration{100}).empty());
}

TEST(GroupingTest, AStandDownIsSentAtOnceWithWhatWasWaiting) {
    Grouper g(Duration{60});
    EXPECT_FALSE(g.add(to("a@x", "k1"), event(EventKind::escalated, "RMC"), t0));
    const auto now = g.add(to("a@x", "k2"), event(EventKind::deescalated, "RWJ"), t0);
    ASSERT_TRUE(now.has_value());
    EXPECT_EQ(nodes(*now), (std::vector<std::string>{"RMC", "RWJ"}));
    EXPECT_EQ(now->key, "k1");
    EXPECT_EQ(g.next_deadline(), std::nullopt);  // nothing left held
    const auto alone = g.add(to("b@x", "k3"), event(EventKind::recovered, "RWJ"), t0);
    ASSERT_TRUE(alone.has_value());
    EXPECT_EQ(nodes(*alone), std::vector<std::string>{"RWJ"});
}

}  // namespace
}  // namespace opel::notifyd

#include "webd/fanout.h"

#include <gtest/gtest.h>

namespace opel::webd {
namespace {

Shared text(const std::string& s) { return std::make_shared<const std::string>(s); }

// A subscriber as a WebSocket session drives it: writes whenever woken or done, one at a time.
struct Client {
    // Joins `fanout`, counting its wakes.
    explicit Client(Fanout& f) : fanout(f), id(f.join([this] { ++wakes; })) {}
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    Fanout& fanout;
    Fanout::Id id;
    std::vector<std::string> got;
    int wakes = 0;
    std::uint64_t dropped_seen = 0;

    // Takes the next message, if any, as a write would ("state(<dropped>)" for a state).
    bool take() {
        auto m = fanout.next(id, [this](std::uint64_t dropped) {
            dropped_seen = dropped;
            return "state(" + std::to_string(dropped) + ")";
        });
        if (!m) {
            return false;
        }
        got.push_back(**m);
        return true;
    }
    // Its write finished.
    void done() { fanout.done(id); }
    void drain() {
        while (take()) {
            done();
        }
    }
};

TEST(FanoutTest, ASubscriberGetsTheStateFirstThenEveryMessageInOrder) {
    Fanout fanout(4);
    Client c(fanout);
    fanout.publish(text("before"));  // covered by the state it is about to be sent
    c.drain();
    fanout.publish(text("a"));
    fanout.publish(text("b"));
    c.drain();
    EXPECT_EQ(c.got, (std::vector<std::string>{"state(0)", "a", "b"}));
    EXPECT_EQ(c.wakes, 2);  // woken for each message queued while idle, not for the state
    EXPECT_EQ(fanout.published(), 3U);
    EXPECT_EQ(fanout.sent(), 3U);
}

TEST(FanoutTest, OneMessageAtATimeAndAWakeOnlyWhenIdle) {
    Fanout fanout(4);
    Client c(fanout);
    ASSERT_TRUE(c.take());   // the state, being written
    EXPECT_FALSE(c.take());  // nothing else until that write is done
    fanout.publish(text("a"));
    EXPECT_EQ(c.wakes, 0);  // busy writing: no wake, it asks again when done
    c.done();
    c.drain();
    EXPECT_EQ(c.got, (std::vector<std::string>{"state(0)", "a"}));
}

TEST(FanoutTest, ASlowSubscriberIsDroppedAndResynchronisedWithoutHoldingUpAFastOne) {
    Fanout fanout(2);
    Client slow(fanout);
    Client fast(fanout);
    slow.take();  // the state write never finishes: a stalled browser
    fast.drain();
    for (int i = 0; i < 5; ++i) {
        fanout.publish(text("m" + std::to_string(i)));
        fast.drain();
    }
    EXPECT_EQ(fast.got, (std::vector<std::string>{"state(0)", "m0", "m1", "m2", "m3", "m4"}));
    // The slow one: m0, m1 queued; m2 overflowed (3 dropped); m3, m4 queued... and so on.
    slow.done();
    slow.drain();
    EXPECT_EQ(slow.got.front(), "state(0)");
    EXPECT_EQ(slow.got[1].rfind("state(", 0), 0U) << "resynchronised with a whole state";
    EXPECT_GT(slow.dropped_seen, 0U);
    EXPECT_EQ(fanout.dropped(), slow.dropped_seen);
    EXPECT_EQ(fanout.resyncs(), 3U);  // two joins and one resync
}

TEST(FanoutTest, ResyncReplacesEveryQueueWithAState) {
    Fanout fanout(8);
    Client c(fanout);
    c.drain();
    fanout.publish(text("old"));
    fanout.resync();
    c.drain();
    EXPECT_EQ(c.got, (std::vector<std::string>{"state(0)", "state(0)"}));
}

TEST(FanoutTest, ALeftSubscriberGetsNothingAndIsNotWoken) {
    Fanout fanout(8);
    int wakes = 0;
    const Fanout::Id id = fanout.join([&wakes] { ++wakes; });
    fanout.leave(id);
    fanout.publish(text("a"));
    EXPECT_EQ(wakes, 0);
    EXPECT_EQ(fanout.subscribers(), 0U);
    EXPECT_FALSE(fanout.next(id, [](std::uint64_t) { return std::string(); }).has_value());
}

}  // namespace
}  // namespace opel::webd

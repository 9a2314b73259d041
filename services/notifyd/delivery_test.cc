#include "notifyd/delivery.h"

#include <gtest/gtest.h>

namespace opel::notifyd {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

config::DeliverySettings settings() {
    config::DeliverySettings s;
    s.first_retry = Millis{5000};
    s.max_retry = Millis{300000};
    s.give_up_after = hours(6);
    return s;
}

// 2026-01-13T08:00:00Z.
const WallTime t0{Millis{1768291200000}};

// Milliseconds after t0 (readable when a test fails).
std::int64_t ms(WallTime t) { return (t - t0).count(); }

// --- retry_delay --------------------------------------------------------------------------

TEST(RetryDelayTest, DoublesFromTheFirstRetryUpToTheCap) {
    const auto s = settings();
    constexpr double no_jitter = 0.5;  // factor 1.0
    EXPECT_EQ(retry_delay(1, s, no_jitter), Millis{5000});
    EXPECT_EQ(retry_delay(2, s, no_jitter), Millis{10000});
    EXPECT_EQ(retry_delay(3, s, no_jitter), Millis{20000});
    EXPECT_EQ(retry_delay(4, s, no_jitter), Millis{40000});
    EXPECT_EQ(retry_delay(5, s, no_jitter), Millis{80000});
    EXPECT_EQ(retry_delay(6, s, no_jitter), Millis{160000});
    EXPECT_EQ(retry_delay(7, s, no_jitter), Millis{300000});  // 320 s capped
    EXPECT_EQ(retry_delay(8, s, no_jitter), Millis{300000});
    EXPECT_EQ(retry_delay(1000, s, no_jitter), Millis{300000});  // no overflow
}

TEST(RetryDelayTest, TheJitterFactorIsExactlyPointEightToOnePointTwo) {
    const auto s = settings();
    EXPECT_EQ(retry_delay(1, s, 0.0), Millis{4000});
    EXPECT_EQ(retry_delay(1, s, 1.0), Millis{6000});
    EXPECT_EQ(retry_delay(3, s, 0.0), Millis{16000});
    EXPECT_EQ(retry_delay(3, s, 1.0), Millis{24000});
    EXPECT_EQ(retry_delay(20, s, 0.0), Millis{240000});  // jitter applies at the cap too
    EXPECT_EQ(retry_delay(20, s, 1.0), Millis{360000});
    EXPECT_EQ(retry_delay(1, s, 0.25), Millis{4500});
    EXPECT_EQ(retry_delay(1, s, 0.75), Millis{5500});
}

TEST(RetryDelayTest, ADrawOutsideZeroToOneStaysWithinTheJitterBounds) {
    const auto s = settings();
    EXPECT_EQ(retry_delay(1, s, -3.0), Millis{4000});
    EXPECT_EQ(retry_delay(1, s, 7.0), Millis{6000});
}

// Property: for any draw, delays never shrink as attempts grow and stay within
// [0.8 first_retry, 1.2 max_retry].
TEST(RetryDelayTest, DelaysNeverShrinkAndStayWithinBounds) {
    config::DeliverySettings s = settings();
    s.first_retry = Millis{1234};
    s.max_retry = Millis{98765};
    for (const double draw : {0.0, 0.1, 0.333, 0.5, 0.9, 1.0}) {
        Millis last{0};
        for (int attempts = 1; attempts <= 40; ++attempts) {
            const Millis d = retry_delay(attempts, s, draw);
            EXPECT_GE(d, last) << "attempt " << attempts << " draw " << draw;
            EXPECT_GE(d.count(), 1234 * 8 / 10);
            EXPECT_LE(d.count(), 98765 * 12 / 10);
            last = d;
        }
    }
}

// --- after_failure ------------------------------------------------------------------------

TEST(AfterFailureTest, ARetryableFailureIsRetriedAfterTheDelay) {
    const auto s = settings();
    const WallTime created = t0;
    const WallTime now = t0 + minutes(3);
    for (const int attempts : {1, 4, 9}) {
        const Next next =
            after_failure({Attempt::Outcome::retry, "HTTP 503"}, attempts, created, now, s, 0.3);
        EXPECT_EQ(next.state, DeliveryState::retrying);
        EXPECT_EQ(ms(next.at), ms(now + retry_delay(attempts, s, 0.3))) << attempts;
    }
    const Next first = after_failure({Attempt::Outcome::retry, "timeout"}, 1, created, now, s, 0.0);
    EXPECT_EQ(ms(first.at), ms(now + Millis{4000}));
}

TEST(AfterFailureTest, AnAnswerThatRetryingCannotHelpFailsAtOnce) {
    const Next next = after_failure({Attempt::Outcome::failed, "SMTP 550 mailbox unavailable"}, 1,
                                    t0, t0 + seconds(1), settings(), 0.5);
    EXPECT_EQ(next.state, DeliveryState::failed);
    EXPECT_EQ(ms(next.at), ms(t0 + seconds(1)));
}

TEST(AfterFailureTest, ADeliveryOlderThanGiveUpAfterFails) {
    const auto s = settings();
    const Attempt retry{Attempt::Outcome::retry, "connection refused"};
    const Next young = after_failure(retry, 30, t0, t0 + hours(6) - Millis{1}, s, 0.5);
    EXPECT_EQ(young.state, DeliveryState::retrying);
    const Next old = after_failure(retry, 30, t0, t0 + hours(6) + Millis{1}, s, 0.5);
    EXPECT_EQ(old.state, DeliveryState::failed);
    EXPECT_EQ(ms(old.at), ms(t0 + hours(6) + Millis{1}));
    EXPECT_EQ(after_failure(retry, 30, t0, t0 + hours(48), s, 0.5).state, DeliveryState::failed);
}

TEST(DeliveryStateTest, StatesHaveTheNamesTheOutboxStores) {
    EXPECT_EQ(to_string(DeliveryState::pending), "pending");
    EXPECT_EQ(to_string(DeliveryState::retrying), "retrying");
    EXPECT_EQ(to_string(DeliveryState::sent), "sent");
    EXPECT_EQ(to_string(DeliveryState::failed), "failed");
}

// --- RateLimit ----------------------------------------------------------------------------

TEST(RateLimitTest, EachReceiverHasItsOwnAllowancePerMinute) {
    RateLimit limit(3);
    EXPECT_TRUE(limit.take("a", t0));
    EXPECT_TRUE(limit.take("a", t0 + seconds(10)));
    EXPECT_TRUE(limit.take("a", t0 + seconds(20)));
    EXPECT_FALSE(limit.take("a", t0 + seconds(30)));
    EXPECT_TRUE(limit.take("b", t0 + seconds(30)));
    EXPECT_EQ(ms(limit.next_free("a", t0 + seconds(30))), ms(t0 + seconds(60)));
    EXPECT_EQ(ms(limit.next_free("b", t0 + seconds(30))), ms(t0 + seconds(30)));
    EXPECT_EQ(ms(limit.next_free("never seen", t0 + seconds(30))), ms(t0 + seconds(30)));
}

TEST(RateLimitTest, TheWindowSlides) {
    RateLimit limit(3);
    ASSERT_TRUE(limit.take("a", t0));
    ASSERT_TRUE(limit.take("a", t0 + seconds(10)));
    ASSERT_TRUE(limit.take("a", t0 + seconds(20)));
    EXPECT_FALSE(limit.take("a", t0 + seconds(60) - Millis{1}));
    EXPECT_TRUE(limit.take("a", t0 + seconds(60)));  // the first has left the minute
    EXPECT_FALSE(limit.take("a", t0 + seconds(65)));
    EXPECT_EQ(ms(limit.next_free("a", t0 + seconds(65))), ms(t0 + seconds(70)));
    EXPECT_TRUE(limit.take("a", t0 + seconds(70)));
    // After a quiet minute the full allowance is back.
    EXPECT_TRUE(limit.take("a", t0 + minutes(5)));
    EXPECT_TRUE(limit.take("a", t0 + minutes(5)));
    EXPECT_TRUE(limit.take("a", t0 + minutes(5)));
    EXPECT_FALSE(limit.take("a", t0 + minutes(5)));
}

TEST(RateLimitTest, ARefusedAttemptTakesNoSlot) {
    RateLimit limit(1);
    ASSERT_TRUE(limit.take("a", t0));
    for (int s = 1; s < 60; ++s) {
        EXPECT_FALSE(limit.take("a", t0 + seconds(s)));
    }
    EXPECT_EQ(ms(limit.next_free("a", t0 + seconds(59))), ms(t0 + seconds(60)));
    EXPECT_TRUE(limit.take("a", t0 + seconds(60)));
}

// When every slot has left the minute, one is free now, not back when the first one freed.
TEST(RateLimitTest, TheNextFreeSlotIsNeverInThePast) {
    RateLimit limit(2);
    ASSERT_TRUE(limit.take("a", t0));
    ASSERT_TRUE(limit.take("a", t0 + seconds(1)));
    EXPECT_EQ(ms(limit.next_free("a", t0 + seconds(30))), ms(t0 + seconds(60)));
    EXPECT_EQ(ms(limit.next_free("a", t0 + seconds(60))), ms(t0 + seconds(60)));
    EXPECT_EQ(ms(limit.next_free("a", t0 + minutes(5))), ms(t0 + minutes(5)));
    EXPECT_TRUE(limit.take("a", t0 + minutes(5)));
}

}  // namespace
}  // namespace opel::notifyd

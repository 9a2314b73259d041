#include "base/time.h"

#include <gtest/gtest.h>

namespace opel {
namespace {

TEST(TimeTest, FormatsAndParsesUtcRoundTrip) {
    const auto t = parse_rfc3339("2026-01-06T08:00:00Z");
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(format_utc(*t), "2026-01-06T08:00:00Z");
}

TEST(TimeTest, ParsesOffsetsAndFractions) {
    EXPECT_EQ(parse_rfc3339("2026-07-06T09:00:00+01:00"), parse_rfc3339("2026-07-06T08:00:00Z"));
    EXPECT_EQ(parse_rfc3339("2026-07-06T08:00:00.750Z"), parse_rfc3339("2026-07-06T08:00:00Z"));
    EXPECT_EQ(parse_rfc3339("2026-07-06T07:30:00-00:30"), parse_rfc3339("2026-07-06T08:00:00Z"));
}

TEST(TimeTest, RejectsMalformedAndImpossibleTimes) {
    for (const char* bad : {"", "2026-01-06", "2026-01-06T08:00:00", "2026-02-30T08:00:00Z",
                            "2026-01-06T24:00:00Z", "2026-01-06T08:00:00Zjunk", "yesterday",
                            "2026-13-01T00:00:00Z", "2026-01-06T08:00:00+1:00"}) {
        EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
    }
}

TEST(TimeTest, LondonIsGmtInWinterAndBstInSummer) {
    EXPECT_EQ(format_london(*parse_rfc3339("2026-01-06T08:00:00Z")), "2026-01-06 08:00 GMT");
    EXPECT_EQ(format_london(*parse_rfc3339("2026-07-06T08:00:00Z")), "2026-07-06 09:00 BST");
}

TEST(TimeTest, BstStartsAndEndsAtOneAmUtcOnLastSundays) {
    // 2026: BST from Sunday 29 March 01:00 UTC to Sunday 25 October 01:00 UTC.
    EXPECT_EQ(london_offset(*parse_rfc3339("2026-03-29T00:59:59Z")).count(), 0);
    EXPECT_EQ(london_offset(*parse_rfc3339("2026-03-29T01:00:00Z")).count(), 3600);
    EXPECT_EQ(london_offset(*parse_rfc3339("2026-10-25T00:59:59Z")).count(), 3600);
    EXPECT_EQ(london_offset(*parse_rfc3339("2026-10-25T01:00:00Z")).count(), 0);
}

}  // namespace
}  // namespace opel

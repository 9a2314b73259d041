#include "engine/hysteresis.h"

#include <gtest/gtest.h>

#include "support/engine_fixtures.h"

namespace opel::engine {
namespace {

using opel::testing::at;
using std::chrono::minutes;

class HysteresisTest : public ::testing::Test {
protected:
    HysteresisOutcome step(Status current, int target, double total, std::string_view when) {
        return apply_hysteresis(current, target, total, bands_, rule_, at(when), hold_);
    }
    Bands bands_{{10, 20, 30}};
    Hysteresis rule_;
    HoldState hold_;
};

TEST_F(HysteresisTest, FirstKnownLevelTakesEffectAtOnce) {
    rule_.deescalate_after = minutes{240};
    rule_.escalate_after = minutes{60};
    EXPECT_EQ(step(Status::unknown, 3, 25, "2026-01-06T08:00:00Z").status, Status::opel3);
    EXPECT_EQ(step(Status::stale, 1, 0, "2026-01-06T08:00:00Z").status, Status::opel1);
}

TEST_F(HysteresisTest, EscalationIsImmediateByDefault) {
    EXPECT_EQ(step(Status::opel1, 4, 35, "2026-01-06T08:00:00Z").status, Status::opel4);
}

TEST_F(HysteresisTest, EscalateAfterHoldsUntilEveryReportAgreedForTheDuration) {
    rule_.escalate_after = minutes{60};
    EXPECT_EQ(step(Status::opel1, 3, 25, "2026-01-06T08:00:00Z").status, Status::opel1);
    EXPECT_EQ(step(Status::opel1, 2, 15, "2026-01-06T08:30:00Z").status, Status::opel1);
    // At 60 minutes after the first: takes the latest B (4), not the first.
    EXPECT_EQ(step(Status::opel1, 4, 35, "2026-01-06T09:00:00Z").status, Status::opel4);
}

TEST_F(HysteresisTest, AReportAtOrBelowCurrentRestartsTheEscalationHold) {
    rule_.escalate_after = minutes{60};
    step(Status::opel1, 3, 25, "2026-01-06T08:00:00Z");
    step(Status::opel1, 1, 5, "2026-01-06T08:30:00Z");
    EXPECT_EQ(step(Status::opel1, 3, 25, "2026-01-06T09:00:00Z").status, Status::opel1);
    EXPECT_EQ(step(Status::opel1, 3, 25, "2026-01-06T10:00:00Z").status, Status::opel3);
}

TEST_F(HysteresisTest, DeescalationWithoutMarginOrHoldIsImmediate) {
    EXPECT_EQ(step(Status::opel4, 1, 5, "2026-01-06T08:00:00Z").status, Status::opel1);
}

struct MarginCase {
    int current;
    int target;
    double total;
    double margin;
    int expected;
};

std::ostream& operator<<(std::ostream& out, const MarginCase& c) {
    return out << "C=" << c.current << " B=" << c.target << " total=" << c.total
               << " margin=" << c.margin << " -> " << c.expected;
}

class DeescalationMarginTest : public ::testing::TestWithParam<MarginCase> {};

TEST_P(DeescalationMarginTest, StepsDownWhileTotalIsAtLeastMarginBelowTheCutoff) {
    const MarginCase& c = GetParam();
    HoldState hold;
    Hysteresis rule;
    rule.deescalation_margin = c.margin;
    const auto out = apply_hysteresis(status_of_level(c.current), c.target, c.total,
                                      Bands{{10, 20, 30}}, rule, at("2026-01-06T08:00:00Z"), hold);
    EXPECT_EQ(out.status, status_of_level(c.expected))
        << "C=" << c.current << " B=" << c.target << " total=" << c.total;
}

INSTANTIATE_TEST_SUITE_P(Boundaries, DeescalationMarginTest,
                         ::testing::Values(
                             // C=3 (cut-off 20), margin 2: needs total <= 18 to leave 3.
                             MarginCase{3, 2, 19, 2, 3}, MarginCase{3, 2, 18, 2, 2},
                             // From 4 to band 1 with margin 2: 30-2=28, 20-2=18, 10-2=8.
                             MarginCase{4, 1, 9, 2, 2}, MarginCase{4, 1, 8, 2, 1},
                             MarginCase{4, 1, 18.5, 2, 3}, MarginCase{4, 1, 28, 2, 3},
                             MarginCase{4, 1, 28.5, 2, 4},
                             // Margin 0: total below the cut-off is enough (band already says so).
                             MarginCase{3, 2, 19.99, 0, 2},
                             // Never below B (a floor may hold B up while the total is tiny).
                             MarginCase{4, 3, 0, 2, 3}));

TEST_F(HysteresisTest, DeescalateAfterHoldsOnAsAtTimeAndTakesLatestCandidate) {
    rule_.deescalate_after = minutes{240};
    EXPECT_EQ(step(Status::opel4, 3, 25, "2026-01-06T08:00:00Z").status, Status::opel4);
    EXPECT_EQ(step(Status::opel4, 2, 15, "2026-01-06T10:00:00Z").status, Status::opel4);
    EXPECT_EQ(step(Status::opel4, 1, 5, "2026-01-06T11:59:59Z").status, Status::opel4);
    const auto out = step(Status::opel4, 2, 15, "2026-01-06T12:00:00Z");
    EXPECT_EQ(out.status, Status::opel2);
    EXPECT_TRUE(out.note.empty());
    EXPECT_EQ(hold_, HoldState{});
}

TEST_F(HysteresisTest, ASitrepBreakingTheConditionRestartsTheDeescalationHold) {
    rule_.deescalate_after = minutes{240};
    step(Status::opel4, 2, 15, "2026-01-06T08:00:00Z");
    step(Status::opel4, 4, 35, "2026-01-06T10:00:00Z");  // breaks the hold
    EXPECT_EQ(step(Status::opel4, 2, 15, "2026-01-06T12:00:00Z").status, Status::opel4);
    EXPECT_EQ(step(Status::opel4, 2, 15, "2026-01-06T15:59:00Z").status, Status::opel4);
    EXPECT_EQ(step(Status::opel4, 2, 15, "2026-01-06T16:00:00Z").status, Status::opel2);
}

TEST_F(HysteresisTest, WithinMarginIsNotACandidateAndBreaksTheHold) {
    rule_.deescalate_after = minutes{60};
    rule_.deescalation_margin = 2;
    step(Status::opel3, 2, 15, "2026-01-06T08:00:00Z");
    const auto held = step(Status::opel3, 2, 19, "2026-01-06T08:30:00Z");  // 19 > 20 - 2
    EXPECT_EQ(held.status, Status::opel3);
    EXPECT_NE(held.note.find("not 2 below"), std::string::npos);
    EXPECT_EQ(step(Status::opel3, 2, 15, "2026-01-06T09:00:00Z").status, Status::opel3);
    EXPECT_EQ(step(Status::opel3, 2, 15, "2026-01-06T10:00:00Z").status, Status::opel2);
}

TEST_F(HysteresisTest, HoldNoteSaysWhatIsHeldAndSinceWhen) {
    rule_.deescalate_after = minutes{240};
    const auto out = step(Status::opel4, 2, 15, "2026-01-06T08:00:00Z");
    // People-facing, so Europe/London, with the earliest end of the hold.
    EXPECT_EQ(out.note,
              "de-escalation to OPEL 2 held since 2026-01-06 08:00 GMT, until 2026-01-06 12:00 GMT "
              "at the earliest, while sitreps stay below the cut-off (deescalate_after 240 min)");
}

}  // namespace
}  // namespace opel::engine

#include "engine/scoring.h"

#include <gtest/gtest.h>

#include "support/engine_fixtures.h"

namespace opel::engine {
namespace {

using opel::testing::at;

struct ScoreCase {
    Direction direction;
    std::array<double, 3> thresholds;
    double value;
    int expected;
};

std::ostream& operator<<(std::ostream& out, const ScoreCase& c) {
    return out << (c.direction == Direction::higher_is_worse ? "higher" : "lower") << " "
               << c.thresholds[0] << "/" << c.thresholds[1] << "/" << c.thresholds[2] << " value "
               << c.value << " -> " << c.expected;
}

class ParameterScoreTest : public ::testing::TestWithParam<ScoreCase> {};

TEST_P(ParameterScoreTest, ScoresOnePlusThresholdsReachedInTheWorseDirection) {
    const ScoreCase& c = GetParam();
    EXPECT_EQ(score_value(c.direction, c.thresholds, c.value), c.expected) << "value " << c.value;
}

constexpr auto higher = Direction::higher_is_worse;
constexpr auto lower = Direction::lower_is_worse;

INSTANTIATE_TEST_SUITE_P(
    Boundaries, ParameterScoreTest,
    ::testing::Values(
        // higher_is_worse 15/30/60: on a threshold takes the worse score.
        ScoreCase{higher, {15, 30, 60}, 14.999, 1}, ScoreCase{higher, {15, 30, 60}, 15, 2},
        ScoreCase{higher, {15, 30, 60}, 29.999, 2}, ScoreCase{higher, {15, 30, 60}, 30, 3},
        ScoreCase{higher, {15, 30, 60}, 60, 4}, ScoreCase{higher, {15, 30, 60}, 1e9, 4},
        ScoreCase{higher, {15, 30, 60}, -5, 1},
        // lower_is_worse 95/76/60 (4-hour performance).
        ScoreCase{lower, {95, 76, 60}, 95.001, 1}, ScoreCase{lower, {95, 76, 60}, 95, 2},
        ScoreCase{lower, {95, 76, 60}, 76, 3}, ScoreCase{lower, {95, 76, 60}, 60.5, 3},
        ScoreCase{lower, {95, 76, 60}, 60, 4}, ScoreCase{lower, {95, 76, 60}, 0, 4},
        // Equal thresholds: reaching them jumps several scores at once.
        ScoreCase{higher, {20, 20, 20}, 19, 1}, ScoreCase{higher, {20, 20, 20}, 20, 4},
        ScoreCase{lower, {50, 50, 10}, 50, 3}, ScoreCase{lower, {50, 50, 10}, 10, 4}));

struct BandCase {
    std::array<double, 3> cutoffs;
    double total;
    int expected;
};

std::ostream& operator<<(std::ostream& out, const BandCase& c) {
    return out << "bands " << c.cutoffs[0] << "/" << c.cutoffs[1] << "/" << c.cutoffs[2]
               << " total " << c.total << " -> " << c.expected;
}

class BandLevelTest : public ::testing::TestWithParam<BandCase> {};

TEST_P(BandLevelTest, LevelIsOnePlusCutoffsAtOrBelowTheTotal) {
    const BandCase& c = GetParam();
    EXPECT_EQ(band_level(Bands{c.cutoffs}, c.total), c.expected) << "total " << c.total;
}

INSTANTIATE_TEST_SUITE_P(
    Boundaries, BandLevelTest,
    ::testing::Values(BandCase{{14, 20, 27}, 13, 1}, BandCase{{14, 20, 27}, 14, 2},
                      BandCase{{14, 20, 27}, 19.5, 2}, BandCase{{14, 20, 27}, 20, 3},
                      BandCase{{14, 20, 27}, 27, 4}, BandCase{{14, 20, 27}, 36, 4},
                      BandCase{{20, 20, 20}, 19, 1}, BandCase{{20, 20, 20}, 20, 4},
                      BandCase{{10, 30, 30}, 30, 4}));

Expression expr(ExpressionKind kind, std::vector<std::size_t> num, std::vector<std::size_t> den) {
    Expression e;
    e.kind = kind;
    e.numerator_index = std::move(num);
    e.denominator_index = std::move(den);
    return e;
}

TEST(ExpressionTest, MeasureIsTheValueItself) {
    EXPECT_EQ(evaluate_expression(expr(ExpressionKind::measure, {1}, {}), {1.0, 42.5}), 42.5);
}

TEST(ExpressionTest, MissingMeasureIsUnavailable) {
    EXPECT_FALSE(evaluate_expression(expr(ExpressionKind::measure, {1}, {}), {1.0, std::nullopt}));
}

TEST(ExpressionTest, PercentSumsNumeratorsAndDenominators) {
    // 100 × (10 + 5) / (40 + 20) = 25.
    const MeasureValues v{10.0, 5.0, 40.0, 20.0};
    EXPECT_DOUBLE_EQ(*evaluate_expression(expr(ExpressionKind::percent, {0, 1}, {2, 3}), v), 25);
}

TEST(ExpressionTest, PercentUsesTheSpecifiedOrderOfOperations) {
    // (100 × 1) / 3 exactly as a double, not 100 × (1 / 3).
    const MeasureValues v{1.0, 3.0};
    EXPECT_EQ(*evaluate_expression(expr(ExpressionKind::percent, {0}, {1}), v), (100.0 * 1) / 3);
}

TEST(ExpressionTest, ZeroDenominatorIsUnavailable) {
    const MeasureValues v{5.0, 0.0};
    EXPECT_FALSE(evaluate_expression(expr(ExpressionKind::percent, {0}, {1}), v));
    EXPECT_FALSE(evaluate_expression(expr(ExpressionKind::percent_change, {0}, {1}), v));
}

TEST(ExpressionTest, PercentChangeIsRelativeToBaseline) {
    EXPECT_DOUBLE_EQ(
        *evaluate_expression(expr(ExpressionKind::percent_change, {0}, {1}), {110.0, 100.0}), 10);
    EXPECT_DOUBLE_EQ(
        *evaluate_expression(expr(ExpressionKind::percent_change, {0}, {1}), {80.0, 100.0}), -20);
}

TEST(ExpressionTest, AnyMissingInputMakesPercentUnavailable) {
    const MeasureValues v{10.0, std::nullopt, 40.0};
    EXPECT_FALSE(evaluate_expression(expr(ExpressionKind::percent, {0, 1}, {2}), v));
    EXPECT_FALSE(evaluate_expression(expr(ExpressionKind::percent, {0}, {1}), v));
}

class CardEvaluationTest : public ::testing::Test {
protected:
    // Card with pa (measure 0, higher 10/20/30, weight 1), pb (measure 1, lower 90/80/70,
    // weight 2); bands 5/8/11; max_age 60 min.
    CardEvaluationTest() {
        Parameter pa;
        pa.id = "pa";
        pa.expression = expr(ExpressionKind::measure, {0}, {});
        pa.thresholds = {10, 20, 30};
        Parameter pb;
        pb.id = "pb";
        pb.expression = expr(ExpressionKind::measure, {1}, {});
        pb.direction = Direction::lower_is_worse;
        pb.thresholds = {90, 80, 70};
        pb.weight = 2;
        card_.parameters = {pa, pb};
        card_.bands.cutoffs = {5, 8, 11};
        card_.max_age = std::chrono::minutes{60};
        FloorRule floor;
        floor.parameter = "pa";
        floor.min_score = 4;
        floor.min_level = 3;
        floor.parameter_index = 0;
        card_.floors = {floor};
    }
    ActionCard card_;
    const TimePoint t0_ = at("2026-01-06T08:00:00Z");
};

TEST_F(CardEvaluationTest, TotalIsWeightedSumAndNormalisedOnZeroToHundred) {
    // pa 20 -> 3; pb 85 -> 2 (×2 = 4); total 7; min 3, max 12 -> (100 × 4) / 9.
    const CardEvaluation e = evaluate_card(card_, {20.0, 85.0}, {}, t0_);
    ASSERT_FALSE(e.unknown);
    EXPECT_EQ(e.total, 7);
    EXPECT_DOUBLE_EQ(e.normalised, (100.0 * (7 - 3)) / (12 - 3));
    EXPECT_EQ(e.band_level, 2);
    EXPECT_EQ(e.level, 2);
    EXPECT_FALSE(e.floor_rule);
}

TEST_F(CardEvaluationTest, FloorRuleRaisesTheBandLevel) {
    // pa 30 -> 4 (floor: >= OPEL 3); pb 95 -> 1 (×2); total 6 -> band 2.
    const CardEvaluation e = evaluate_card(card_, {30.0, 95.0}, {}, t0_);
    EXPECT_EQ(e.band_level, 2);
    EXPECT_EQ(e.level, 3);
    ASSERT_TRUE(e.floor_rule);
    EXPECT_EQ(*e.floor_rule, 0U);
}

TEST_F(CardEvaluationTest, FloorNeverLowersTheBandLevel) {
    // pa 30 -> 4, pb 60 -> 4 (×2): total 12 -> band 4; floor says >= 3.
    const CardEvaluation e = evaluate_card(card_, {30.0, 60.0}, {}, t0_);
    EXPECT_EQ(e.level, 4);
    EXPECT_FALSE(e.floor_rule);
}

TEST_F(CardEvaluationTest, HighestFiringFloorWins) {
    FloorRule second = card_.floors[0];
    second.min_score = 3;
    second.min_level = 4;
    card_.floors.push_back(second);
    const CardEvaluation e = evaluate_card(card_, {30.0, 95.0}, {}, t0_);
    EXPECT_EQ(e.level, 4);
    EXPECT_EQ(*e.floor_rule, 1U);
}

TEST_F(CardEvaluationTest, CarryForwardUsesLastValueAtExactlyMaxAge) {
    const std::vector<std::optional<CarriedValue>> carried{std::nullopt, CarriedValue{75, t0_}};
    const CardEvaluation e =
        evaluate_card(card_, {5.0, std::nullopt}, carried, t0_ + std::chrono::minutes{60});
    ASSERT_FALSE(e.unknown);
    EXPECT_TRUE(e.parameters[1].carried_forward);
    EXPECT_EQ(e.parameters[1].carried_from, t0_);
    EXPECT_EQ(e.parameters[1].value, 75);
    EXPECT_EQ(e.parameters[1].score, 3);
    EXPECT_FALSE(e.parameters[1].fresh);
}

TEST_F(CardEvaluationTest, CarryForwardPastMaxAgeIsUnknown) {
    const std::vector<std::optional<CarriedValue>> carried{std::nullopt, CarriedValue{75, t0_}};
    const CardEvaluation e = evaluate_card(card_, {5.0, std::nullopt}, carried,
                                           t0_ + std::chrono::minutes{60} + Duration{1});
    EXPECT_TRUE(e.unknown);
    EXPECT_NE(e.unknown_reason.find("pb"), std::string::npos);
    EXPECT_NE(e.unknown_reason.find("max_age"), std::string::npos);
}

TEST_F(CardEvaluationTest, CarryForwardWithoutMaxAgeHasNoLimit) {
    card_.max_age.reset();
    const std::vector<std::optional<CarriedValue>> carried{std::nullopt, CarriedValue{75, t0_}};
    const CardEvaluation e =
        evaluate_card(card_, {5.0, std::nullopt}, carried, t0_ + std::chrono::hours{24 * 365});
    EXPECT_FALSE(e.unknown);
    EXPECT_TRUE(e.parameters[1].carried_forward);
}

TEST_F(CardEvaluationTest, CarryForwardWithNothingCarriedIsUnknown) {
    const CardEvaluation e = evaluate_card(card_, {5.0, std::nullopt}, {}, t0_);
    EXPECT_TRUE(e.unknown);
    EXPECT_NE(e.unknown_reason.find("no earlier value"), std::string::npos);
}

TEST_F(CardEvaluationTest, WorstPolicyScoresFourWithNoValue) {
    card_.missing = MissingPolicy::worst;
    const CardEvaluation e = evaluate_card(card_, {5.0, std::nullopt}, {}, t0_);
    ASSERT_FALSE(e.unknown);
    EXPECT_TRUE(e.parameters[1].worst_policy);
    EXPECT_FALSE(e.parameters[1].value);
    EXPECT_EQ(e.parameters[1].score, 4);
    EXPECT_EQ(e.total, 1 + 2 * 4);
}

TEST_F(CardEvaluationTest, WorstPolicyScoreTriggersFloorRules) {
    card_.missing = MissingPolicy::worst;
    const CardEvaluation e = evaluate_card(card_, {std::nullopt, 95.0}, {}, t0_);
    EXPECT_EQ(e.level, 3);
    EXPECT_TRUE(e.floor_rule);
}

TEST_F(CardEvaluationTest, UnknownPolicyMakesTheResultUnknown) {
    card_.missing = MissingPolicy::unknown;
    const std::vector<std::optional<CarriedValue>> carried{std::nullopt, CarriedValue{75, t0_}};
    const CardEvaluation e = evaluate_card(card_, {5.0, std::nullopt}, carried, t0_);
    EXPECT_TRUE(e.unknown);
    EXPECT_EQ(e.level, 0);
}

TEST_F(CardEvaluationTest, FloorsNeverApplyToAnUnknownResult) {
    const CardEvaluation e = evaluate_card(card_, {30.0, std::nullopt}, {}, t0_);
    EXPECT_TRUE(e.unknown);
    EXPECT_EQ(e.level, 0);
    EXPECT_FALSE(e.floor_rule);
}

}  // namespace
}  // namespace opel::engine

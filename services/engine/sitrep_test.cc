#include "engine/sitrep.h"

#include <gtest/gtest.h>

#include "engine/model.h"
#include "support/engine_fixtures.h"

namespace opel::engine {
namespace {

using opel::testing::at;
using opel::testing::sitrep;

class SitrepValidatorTest : public ::testing::Test {
protected:
    SitrepValidatorTest() : model_(config()) {}
    static EngineConfig config() {
        EngineConfig c = opel::testing::small_config();
        c.measures[0].integer = true;     // a
        c.measures[0].at_most = {"b"};    // a <= b
        c.measures[4].at_most = {"den"};  // num <= den
        return c;
    }
    std::vector<FieldError> validate(const Sitrep& s, std::optional<TimePoint> now = std::nullopt) {
        return validate_sitrep(s, model_, now, std::chrono::minutes{5});
    }
    Model model_;
};

TEST_F(SitrepValidatorTest, ValidSitrepHasNoErrors) {
    EXPECT_TRUE(validate(sitrep("S1", "2026-01-06T08:00:00Z", {{"a", 5}, {"b", 90}})).empty());
}

TEST_F(SitrepValidatorTest, ReportsEveryProblemAtOnce) {
    Sitrep s = sitrep("S1", "2026-01-06T08:00:00Z",
                      {{"a", 5.5}, {"zz", 1}, {"b", -1}, {"num", 10}, {"den", 5}});
    s.declared_level = 5;
    const auto errors = validate(s);
    const std::vector<FieldError> expected{
        {"declared_level", "invalid_level", "declared_level must be an OPEL level 1..4, got 5"},
        {"declared_reason", "missing_reason",
         "a declared level needs a declared_reason (the clinical judgement behind it)"},
        {"measures.a", "not_integer", "a must be a whole number (count), got 5.5"},
        {"measures.a", "part_exceeds_whole", "a = 5.5 exceeds b = -1"},
        {"measures.b", "out_of_range", "b = -1 is outside 0..100000"},
        {"measures.num", "part_exceeds_whole", "num = 10 exceeds den = 5"},
        {"measures.zz", "unknown_measure", "measure 'zz' is not in the catalogue"},
    };
    EXPECT_EQ(errors, expected);
}

TEST_F(SitrepValidatorTest, PartEqualToWholeIsValid) {
    EXPECT_TRUE(validate(sitrep("S1", "2026-01-06T08:00:00Z", {{"num", 5}, {"den", 5}})).empty());
}

TEST_F(SitrepValidatorTest, UnknownSiteAndSystemNodeAreRejected) {
    EXPECT_EQ(validate(sitrep("XYZ", "2026-01-06T08:00:00Z", {{"a", 1}}))[0].code, "unknown_site");
    EXPECT_EQ(validate(sitrep("loc", "2026-01-06T08:00:00Z", {{"a", 1}}))[0].code, "not_a_site");
}

TEST_F(SitrepValidatorTest, MissingSiteTimeAndMeasuresAreNamed) {
    const auto errors = validate(Sitrep{});
    ASSERT_EQ(errors.size(), 3U);
    EXPECT_EQ(errors[0].field, "site_id");
    EXPECT_EQ(errors[1].field, "as_at");
    EXPECT_EQ(errors[2].field, "measures");
}

TEST_F(SitrepValidatorTest, FutureAsAtBeyondSkewIsRejectedOnlyWithAClock) {
    const Sitrep s = sitrep("S1", "2026-01-06T08:05:01Z", {{"a", 1}});
    EXPECT_TRUE(validate(s).empty());
    EXPECT_TRUE(
        validate(sitrep("S1", "2026-01-06T08:05:00Z", {{"a", 1}}), at("2026-01-06T08:00:00Z"))
            .empty());
    const auto errors = validate(s, at("2026-01-06T08:00:00Z"));
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].code, "future_as_at");
}

TEST_F(SitrepValidatorTest, NonFiniteValuesAreRejected) {
    const auto errors = validate(
        sitrep("S1", "2026-01-06T08:00:00Z", {{"b", std::numeric_limits<double>::quiet_NaN()}}));
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].code, "not_a_number");
}

TEST_F(SitrepValidatorTest, OversizeTextIsRejected) {
    Sitrep s = sitrep("S1", "2026-01-06T08:00:00Z", {{"a", 1}});
    s.comment.assign(max_text_length + 1, 'x');
    s.submission_id.assign(max_id_length + 1, 'y');
    const auto errors = validate(s);
    ASSERT_EQ(errors.size(), 2U);
    EXPECT_EQ(errors[0].code, "too_long");
    EXPECT_EQ(errors[1].code, "too_long");
}

TEST_F(SitrepValidatorTest, DefaultSubmissionIdIsSiteAsAtAndTheMeasures) {
    // The digest is stored in ids, so it may never change: pinned for no measures and one.
    EXPECT_EQ(sitrep("S1", "2026-01-06T08:00:00Z", {}).effective_submission_id(),
              "S1~f52a15e9a9b5e89b@2026-01-06T08:00:00Z");
    EXPECT_EQ(sitrep("S1", "2026-01-06T08:00:00Z", {{"a", 1}}).effective_submission_id(),
              "S1~1657fda944ccb4b7@2026-01-06T08:00:00Z");
    const auto id = [](double a) {
        return sitrep("S1", "2026-01-06T08:00:00Z", {{"a", a}}).effective_submission_id();
    };
    EXPECT_NE(id(1), id(2));
    EXPECT_EQ(id(0), id(-0.0));
    EXPECT_NE(sitrep("S1", "2026-01-06T08:00:00Z", {{"b", 1}}).effective_submission_id(), id(1));
    EXPECT_TRUE(id(1).ends_with("@2026-01-06T08:00:00Z"));
}

TEST_F(SitrepValidatorTest, TimesBefore2000AreRefused) {
    const auto errors = validate(sitrep("S1", "1970-01-01T00:00:00Z", {{"a", 1}}));
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].field, "as_at");
    EXPECT_EQ(errors[0].code, "before_2000");
}

TEST_F(SitrepValidatorTest, ExtremeValuesAreEchoedExactly) {
    const auto errors = validate(sitrep("S1", "2026-01-06T08:00:00Z", {{"a", 1e300}}));
    ASSERT_FALSE(errors.empty());
    EXPECT_NE(errors[0].message.find("1e+300"), std::string::npos) << errors[0].message;
}

}  // namespace
}  // namespace opel::engine

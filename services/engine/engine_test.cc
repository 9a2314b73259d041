#include "engine/engine.h"

#include <gtest/gtest.h>

#include "support/engine_fixtures.h"

namespace opel::engine {
namespace {

using opel::testing::at;
using opel::testing::node;
using opel::testing::sitrep;
using std::chrono::minutes;

// card4: pa = a (higher worse 10/20/30), pb = b (lower worse 90/80/70), bands 3/5/7 on a total
// of 2..8; reporting 60 min + grace 30 min. Handy measure sets:
const std::initializer_list<std::pair<const char*, double>> level1{{"a", 5}, {"b", 95}};   // 2
const std::initializer_list<std::pair<const char*, double>> level2{{"a", 15}, {"b", 95}};  // 3
const std::initializer_list<std::pair<const char*, double>> level3{{"a", 25}, {"b", 75}};  // 6
const std::initializer_list<std::pair<const char*, double>> level4{{"a", 35}, {"b", 65}};  // 8

class EngineTest : public ::testing::Test {
protected:
    Engine& engine() {
        if (!engine_) {
            engine_.emplace(std::move(config_));
        }
        return *engine_;
    }
    SubmitOutcome submit(const Sitrep& s) { return engine().submit(s, std::nullopt); }
    NodeResult result(std::string_view id) { return engine().result(node(engine(), id)); }
    Status status(std::string_view id) { return result(id).status; }

    EngineConfig config_ = opel::testing::small_config();
    std::optional<Engine> engine_;
};

TEST_F(EngineTest, FirstSitrepTakesItsLevelAtOnceAsTransitionOne) {
    const SubmitOutcome out = submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    ASSERT_EQ(out.status, SubmitStatus::accepted);
    ASSERT_FALSE(out.events.empty());
    const Event& e = out.events.front();
    EXPECT_EQ(e.kind, EventKind::escalated);  // a first level at OPEL 3: an escalation
    EXPECT_EQ(e.transition_id, "S1#1");
    EXPECT_EQ(e.path, "national/region/ICS/loc/S1");
    EXPECT_EQ(e.from, Status::unknown);
    EXPECT_EQ(e.to, Status::opel3);
    ASSERT_EQ(e.actions.size(), 1U);
    EXPECT_EQ(e.actions[0].action, "act at level 3");
    EXPECT_EQ(out.results.front().node_id, "S1");
    EXPECT_EQ(out.results.front().decided_by, "total 6 is in the OPEL 3 band (>= 5)");
}

// UNKNOWN to OPEL 1 or 2 is news that the level is known; to OPEL 3 or 4 it is pressure, and
// the alert is an escalation (so it is acknowledged and escalated like any other), also
// when a level returns after UNKNOWN.
TEST_F(EngineTest, AFirstLevelIsKnownBelowOpel3AndAnEscalationFromOpel3) {
    const SubmitOutcome calm = submit(sitrep("S1", "2026-01-06T08:00:00Z", level2));
    ASSERT_FALSE(calm.events.empty());
    EXPECT_EQ(calm.events.front().kind, EventKind::known);
    EXPECT_EQ(calm.events.front().to, Status::opel2);
    const SubmitOutcome pressed = submit(sitrep("S2", "2026-01-06T08:00:00Z", level4));
    ASSERT_FALSE(pressed.events.empty());
    EXPECT_EQ(pressed.events.front().kind, EventKind::escalated);
    EXPECT_EQ(pressed.events.front().transition_id, "S2#1");
    EXPECT_EQ(pressed.events.front().from, Status::unknown);
    EXPECT_EQ(pressed.events.front().to, Status::opel4);
    EXPECT_FALSE(pressed.events.front().actions.empty());
}

TEST_F(EngineTest, ResultExplainsEveryParameter) {
    const SubmitOutcome out = submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    const NodeResult& r = out.results.front();
    ASSERT_EQ(r.parameters.size(), 2U);
    EXPECT_EQ(r.parameters[0].id, "pa");
    EXPECT_EQ(r.parameters[0].value, 25);
    EXPECT_EQ(r.parameters[0].score, 3);
    EXPECT_EQ(r.parameters[1].value, 75);
    EXPECT_EQ(r.parameters[1].score, 3);
    EXPECT_EQ(r.total, 6);
    EXPECT_DOUBLE_EQ(r.normalised, (100.0 * (6 - 2)) / (8 - 2));
    EXPECT_EQ(r.computed, Status::opel3);
    EXPECT_EQ(r.card, "card4");
}

TEST_F(EngineTest, AncestorsAreRecomputedDeepestFirst) {
    const SubmitOutcome out = submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    std::vector<std::string> ids;
    for (const NodeResult& r : out.results) {
        ids.push_back(r.node_id);
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"S1", "loc", "ICS", "region", "national"}));
    EXPECT_EQ(status("loc"), Status::opel3);
    EXPECT_DOUBLE_EQ(result("loc").coverage_percent, 25);  // S1 weight 1 of 4
    EXPECT_EQ(status("ICS"), Status::opel3);
    EXPECT_DOUBLE_EQ(result("ICS").coverage_percent, 50);  // loc2 has nobody reporting
    EXPECT_EQ(status("national"), Status::opel3);
}

TEST_F(EngineTest, WeightedMeanCombinesCardsOfDifferentSizesOnTheNormalisedScale) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level1));       // card4 normalised 0
    submit(sitrep("S3", "2026-01-06T08:00:00Z", {{"c", 25}}));  // card2: 2×3=6 of 2..8
    EXPECT_DOUBLE_EQ(result("S3").normalised, (100.0 * (6 - 2)) / (8 - 2));
    EXPECT_EQ(status("loc2"), Status::opel3);  // max_level of S3
    // ICS = (1 × 0 + 1 × 66.67) / 2 = 33.3 -> band 2 (25/50/75).
    EXPECT_DOUBLE_EQ(result("ICS").normalised, (1 * 0.0 + 1 * ((100.0 * 4) / 6)) / 2);
    EXPECT_EQ(status("ICS"), Status::opel2);
}

TEST_F(EngineTest, ChildWeightsWeightTheMean) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level4));  // 100, weight 1
    submit(sitrep("S2", "2026-01-06T08:00:00Z", level1));  // 0, weight 3
    EXPECT_DOUBLE_EQ(result("loc").normalised, 25);
    EXPECT_EQ(status("loc"), Status::opel2);
    EXPECT_DOUBLE_EQ(result("loc").coverage_percent, 100);
}

TEST_F(EngineTest, CoverageBelowMinimumMakesTheNodeUnknown) {
    config_.nodes[3].min_coverage_percent = 50;
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    EXPECT_EQ(status("loc"), Status::unknown);
    EXPECT_EQ(result("loc").decided_by, "UNKNOWN: coverage 25% is below the minimum 50%");
    submit(sitrep("S2", "2026-01-06T08:00:00Z", level3));
    EXPECT_EQ(status("loc"), Status::opel3);
}

TEST_F(EngineTest, CoverageExactlyAtMinimumIsEnough) {
    config_.nodes[3].min_coverage_percent = 25;
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    EXPECT_EQ(status("loc"), Status::opel3);
}

TEST_F(EngineTest, NodeFloorRuleCountsChildrenAtOrAboveTheLevel) {
    config_.nodes[3].floors.push_back({1, 3, "any site at OPEL 3"});
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));  // 66.7, weight 1
    submit(sitrep("S2", "2026-01-06T08:00:00Z", level1));  // 0, weight 3 -> mean 16.7, band 1
    EXPECT_EQ(result("loc").band_level, Status::opel1);
    EXPECT_EQ(status("loc"), Status::opel3);
    EXPECT_NE(result("loc").decided_by.find("floor rule: 1 children at OPEL 3"), std::string::npos);
}

TEST_F(EngineTest, NodeFloorRuleNeedsEnoughChildren) {
    config_.nodes[3].floors.push_back({2, 3, ""});
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    submit(sitrep("S2", "2026-01-06T08:00:00Z", level1));
    EXPECT_EQ(status("loc"), Status::opel1);
}

TEST_F(EngineTest, NodeStepsDownOnlyByItsMargin) {
    config_.nodes[3].deescalation_margin = 20;
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));                  // loc 66.7 -> 3
    submit(sitrep("S1", "2026-01-06T08:30:00Z", {{"a", 15}, {"b", 85}}));  // total 4 -> 33.3
    EXPECT_EQ(result("loc").computed, Status::opel2);
    EXPECT_EQ(status("loc"), Status::opel3);               // 33.3 > 50 - 20
    submit(sitrep("S1", "2026-01-06T09:00:00Z", level2));  // 16.7 <= 30
    EXPECT_EQ(status("loc"), Status::opel2);
}

TEST_F(EngineTest, MaxLevelNodeTakesTheWorstChildHeldLevel) {
    config_.nodes.push_back(config_.nodes[7]);
    config_.nodes.back().id = "S4";
    config_.nodes.back().weight = 10;
    submit(sitrep("S3", "2026-01-06T08:00:00Z", {{"c", 35}}));  // 2×4 = 8 -> 4
    submit(sitrep("S4", "2026-01-06T08:00:00Z", {{"c", 5}}));   // 2 -> 1
    EXPECT_EQ(status("loc2"), Status::opel4);
    EXPECT_EQ(result("loc2").decided_by, "worst child level OPEL 4 (S3), coverage 100%");
}

TEST_F(EngineTest, PillarsAverageDescendantSitesByProviderType) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level4));       // acute 100, w1
    submit(sitrep("S2", "2026-01-06T08:00:00Z", level1));       // acute 0, w3
    submit(sitrep("S3", "2026-01-06T08:00:00Z", {{"c", 35}}));  // community 100
    const auto pillars = result("ICS").pillars;
    ASSERT_EQ(pillars.size(), 2U);
    EXPECT_EQ(pillars[0].provider_type, ProviderType::acute);
    EXPECT_DOUBLE_EQ(pillars[0].normalised, 25);
    EXPECT_EQ(pillars[0].status, Status::opel2);
    EXPECT_EQ(pillars[1].provider_type, ProviderType::community);
    EXPECT_EQ(pillars[1].status, Status::opel4);
    // Pillars do not change the node's own level: mean of loc (25) and loc2 (100) = 62.5.
    EXPECT_EQ(status("ICS"), Status::opel3);
}

// Every provider type is a pillar of its own, paediatric (the last enum value) included.
TEST_F(EngineTest, EveryProviderTypeHasItsPillar) {
    const ProviderType types[] = {ProviderType::mental_health, ProviderType::nhs111,
                                  ProviderType::paediatric};
    const char* ids[] = {"MH", "111", "PAED"};
    for (std::size_t i = 0; i < 3; ++i) {
        NodeConfig n;
        n.id = ids[i];
        n.kind = NodeKind::site;
        n.parent = "loc2";
        n.provider_type = types[i];
        n.card = "card2";
        config_.nodes.push_back(n);
    }
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level1));
    submit(sitrep("MH", "2026-01-06T08:00:00Z", {{"c", 15}}));    // card2: 2x2=4 -> OPEL 2
    submit(sitrep("111", "2026-01-06T08:00:00Z", {{"c", 25}}));   // 2x3=6 -> OPEL 3
    submit(sitrep("PAED", "2026-01-06T08:00:00Z", {{"c", 35}}));  // 2x4=8 -> OPEL 4
    std::vector<std::pair<ProviderType, Status>> pillars;
    for (const PillarResult& p : result("ICS").pillars) {
        pillars.emplace_back(p.provider_type, p.status);
    }
    EXPECT_EQ(pillars, (std::vector<std::pair<ProviderType, Status>>{
                           {ProviderType::acute, Status::opel1},
                           {ProviderType::community, Status::unknown},  // S3 has not reported
                           {ProviderType::mental_health, Status::opel2},
                           {ProviderType::nhs111, Status::opel3},
                           {ProviderType::paediatric, Status::opel4}}));
}

TEST_F(EngineTest, SiteGoesStaleExactlyAtTheDeadline) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level2));
    EXPECT_EQ(engine().next_deadline(), at("2026-01-06T09:30:00Z"));
    EXPECT_TRUE(engine().advance_to(at("2026-01-06T09:29:59Z")).events.empty());
    const Tick tick = engine().advance_to(at("2026-01-06T09:30:00Z"));
    ASSERT_FALSE(tick.events.empty());
    EXPECT_EQ(tick.events[0].kind, EventKind::stale);
    EXPECT_EQ(tick.events[0].transition_id, "S1#2");
    EXPECT_EQ(tick.events[0].at, at("2026-01-06T09:30:00Z"));
    EXPECT_EQ(status("S1"), Status::stale);
    EXPECT_EQ(status("loc"), Status::unknown);  // no child reporting any more
    EXPECT_FALSE(engine().next_deadline());
}

TEST_F(EngineTest, SiteThatNeverReportedNeverGoesStale) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level2));
    engine().advance_to(at("2026-02-06T08:00:00Z"));
    EXPECT_EQ(status("S2"), Status::unknown);
    EXPECT_EQ(result("S2").transition_number, 0U);
}

TEST_F(EngineTest, StreamTimeFiresEarlierDeadlinesBeforeTheSitrep) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level2));
    const SubmitOutcome out = submit(sitrep("S2", "2026-01-06T10:00:00Z", level2));
    ASSERT_GE(out.events.size(), 2U);
    EXPECT_EQ(out.events[0].node_id, "S1");
    EXPECT_EQ(out.events[0].kind, EventKind::stale);
    EXPECT_EQ(engine().now(), at("2026-01-06T10:00:00Z"));
}

TEST_F(EngineTest, RejectedSitrepDoesNotMoveStreamTime) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level2));
    const SubmitOutcome out = submit(sitrep("S2", "2026-01-06T10:00:00Z", {{"zz", 1}}));
    EXPECT_EQ(out.status, SubmitStatus::rejected);
    EXPECT_TRUE(out.events.empty());
    EXPECT_EQ(status("S1"), Status::opel2);
    EXPECT_EQ(engine().now(), at("2026-01-06T08:00:00Z"));
}

TEST_F(EngineTest, NextSitrepRecoversAStaleSiteAtOnce) {
    config_.cards[0].hysteresis.deescalate_after = minutes{600};
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level4));
    engine().advance_to(at("2026-01-06T12:00:00Z"));
    const SubmitOutcome out = submit(sitrep("S1", "2026-01-06T12:00:00Z", level1));
    ASSERT_FALSE(out.events.empty());
    EXPECT_EQ(out.events[0].kind, EventKind::recovered);
    EXPECT_EQ(out.events[0].to, Status::opel1);  // no hysteresis after STALE
    EXPECT_EQ(out.events[0].transition_id, "S1#3");
}

TEST_F(EngineTest, SitrepAlreadyPastItsDeadlineLeavesTheSiteStale) {
    Engine& e = engine();
    e.submit(sitrep("S1", "2026-01-06T08:00:00Z", level2), at("2026-01-06T08:00:00Z"));
    e.advance_to(at("2026-01-06T10:00:00Z"));
    ASSERT_EQ(status("S1"), Status::stale);
    const SubmitOutcome out =
        e.submit(sitrep("S1", "2026-01-06T08:30:00Z", level3), at("2026-01-06T10:00:00Z"));
    EXPECT_EQ(out.status, SubmitStatus::accepted);
    EXPECT_EQ(status("S1"), Status::stale);
    EXPECT_EQ(result("S1").transition_number, 2U);
    EXPECT_EQ(result("S1").total, 6);  // the figures are still kept and shown
    for (const Event& ev : out.events) {
        EXPECT_NE(ev.node_id, "S1");
    }
}

TEST_F(EngineTest, WallClockFiresOverdueDeadlinesOnSubmit) {
    Engine& e = engine();
    e.submit(sitrep("S1", "2026-01-06T08:00:00Z", level2), at("2026-01-06T08:00:00Z"));
    const SubmitOutcome out =
        e.submit(sitrep("S2", "2026-01-06T09:40:00Z", level2), at("2026-01-06T09:40:00Z"));
    ASSERT_FALSE(out.events.empty());
    EXPECT_EQ(out.events[0].node_id, "S1");
    EXPECT_EQ(out.events[0].kind, EventKind::stale);
}

TEST_F(EngineTest, IdenticalResendIsADuplicateWithNoSecondEffect) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    const SubmitOutcome dup = submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    EXPECT_EQ(dup.status, SubmitStatus::duplicate);
    EXPECT_EQ(dup.original_status, SubmitStatus::accepted);
    EXPECT_TRUE(dup.events.empty());
    EXPECT_EQ(status("S1"), Status::opel3);
}

TEST_F(EngineTest, OtherFiguresForTheSameTimeAreACorrection) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    const SubmitOutcome fixed = submit(sitrep("S1", "2026-01-06T08:00:00Z", level2));
    EXPECT_EQ(fixed.status, SubmitStatus::accepted);
    ASSERT_TRUE(fixed.corrects.has_value());
    EXPECT_EQ(*fixed.corrects, at("2026-01-06T08:00:00Z"));
    EXPECT_NE(fixed.submission_id,
              submit(sitrep("S1", "2026-01-06T08:00:00Z", level3)).submission_id);
}

TEST_F(EngineTest, ExplicitIdReusedForOtherContentIsRejectedBeforeValidation) {
    auto first = sitrep("S1", "2026-01-06T08:00:00Z", level3);
    first.submission_id = "bi-server-42";
    submit(first);
    auto other = sitrep("S2", "2026-01-06T08:00:00Z", {{"zz", 1}});  // also invalid
    other.submission_id = "bi-server-42";
    const SubmitOutcome out = submit(other);
    EXPECT_EQ(out.status, SubmitStatus::rejected);
    ASSERT_EQ(out.errors.size(), 1U);
    EXPECT_EQ(out.errors[0].field, "submission_id");
    EXPECT_EQ(out.errors[0].code, "idempotency_conflict");
    EXPECT_NE(out.errors[0].message.find("site S1, not S2"), std::string::npos)
        << out.errors[0].message;
    EXPECT_EQ(status("S2"), Status::unknown);
    auto resent = first;
    resent.comment = "a comment is not part of the content";
    EXPECT_EQ(submit(resent).status, SubmitStatus::duplicate);
}

TEST_F(EngineTest, SitrepsBeyondTheBackfillLimitAreRejected) {
    submit(sitrep("S1", "2026-01-20T08:00:00Z", level3));
    const SubmitOutcome old = submit(sitrep("S1", "2026-01-06T07:59:59Z", level3));
    EXPECT_EQ(old.status, SubmitStatus::rejected);
    ASSERT_EQ(old.errors.size(), 1U);
    EXPECT_EQ(old.errors[0].code, "beyond_backfill");
    // Exactly 14 days back is still history (LATE).
    EXPECT_EQ(submit(sitrep("S1", "2026-01-06T08:00:00Z", level3)).status, SubmitStatus::late);
}

TEST_F(EngineTest, RejectedSubmissionMayBeSentAgainCorrected) {
    EXPECT_EQ(submit(sitrep("S1", "2026-01-06T08:00:00Z", {{"a", -1}})).status,
              SubmitStatus::rejected);
    EXPECT_EQ(status("S1"), Status::unknown);
    EXPECT_EQ(submit(sitrep("S1", "2026-01-06T08:00:00Z", level2)).status, SubmitStatus::accepted);
}

TEST_F(EngineTest, OlderSitrepIsLateAndDoesNotMoveCurrentState) {
    submit(sitrep("S1", "2026-01-06T10:00:00Z", level3));
    const SubmitOutcome late = submit(sitrep("S1", "2026-01-06T09:00:00Z", level1));
    EXPECT_EQ(late.status, SubmitStatus::late);
    EXPECT_TRUE(late.events.empty());
    EXPECT_EQ(status("S1"), Status::opel3);
    EXPECT_EQ(result("S1").as_at, at("2026-01-06T10:00:00Z"));
    EXPECT_EQ(submit(sitrep("S1", "2026-01-06T09:00:00Z", level1)).status, SubmitStatus::duplicate);
}

TEST_F(EngineTest, EqualAsAtWithNewSubmissionIdIsACorrection) {
    submit(sitrep("S1", "2026-01-06T10:00:00Z", level3));
    Sitrep fix = sitrep("S1", "2026-01-06T10:00:00Z", level1);
    fix.submission_id = "S1-10:00-correction";
    const SubmitOutcome out = submit(fix);
    EXPECT_EQ(out.status, SubmitStatus::accepted);
    EXPECT_EQ(status("S1"), Status::opel1);
    EXPECT_EQ(result("S1").submission_id, "S1-10:00-correction");
}

TEST_F(EngineTest, CarriedForwardValuesAreMarkedInTheResult) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    const SubmitOutcome out = submit(sitrep("S1", "2026-01-06T08:30:00Z", {{"a", 25}}));
    const NodeResult& r = out.results.front();
    EXPECT_FALSE(r.parameters[0].carried_forward);
    EXPECT_TRUE(r.parameters[1].carried_forward);
    EXPECT_EQ(r.parameters[1].carried_from, at("2026-01-06T08:00:00Z"));
    EXPECT_EQ(r.parameters[1].value, 75);
    EXPECT_EQ(r.status, Status::opel3);
}

TEST_F(EngineTest, CarryForwardKeepsTheAsAtOfTheSitrepThatProducedTheValue) {
    config_.cards[0].max_age = minutes{60};
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    submit(sitrep("S1", "2026-01-06T08:30:00Z", {{"a", 25}}));  // b carried from 08:00
    submit(sitrep("S1", "2026-01-06T09:00:00Z", {{"a", 25}}));  // 60 min: still usable
    EXPECT_EQ(status("S1"), Status::opel3);
    submit(sitrep("S1", "2026-01-06T09:01:00Z", {{"a", 25}}));  // 61 min: too old
    EXPECT_EQ(status("S1"), Status::unknown);
    EXPECT_NE(result("S1").decided_by.find("older than max_age 60 min"), std::string::npos);
}

TEST_F(EngineTest, LateSitrepDoesNotProvideCarryForwardValues) {
    submit(sitrep("S1", "2026-01-06T10:00:00Z", {{"a", 25}, {"b", 75}}));
    submit(sitrep("S1", "2026-01-06T09:00:00Z", {{"a", 25}, {"b", 95}}));  // late
    submit(sitrep("S1", "2026-01-06T10:30:00Z", {{"a", 25}}));
    EXPECT_EQ(result("S1").parameters[1].value, 75);
}

TEST_F(EngineTest, UnknownResultLeavesTheSiteOutOfItsParents) {
    const SubmitOutcome out = submit(sitrep("S1", "2026-01-06T08:00:00Z", {{"a", 25}}));
    EXPECT_EQ(out.status, SubmitStatus::accepted);
    EXPECT_EQ(status("S1"), Status::unknown);
    EXPECT_EQ(status("loc"), Status::unknown);
    EXPECT_TRUE(out.events.empty());  // UNKNOWN -> UNKNOWN is no transition
}

TEST_F(EngineTest, KnownSiteBecomingUnknownIsATransition) {
    config_.cards[0].missing = MissingPolicy::unknown;
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    const SubmitOutcome out = submit(sitrep("S1", "2026-01-06T08:30:00Z", {{"a", 25}}));
    ASSERT_FALSE(out.events.empty());
    EXPECT_EQ(out.events[0].kind, EventKind::unknown);
    EXPECT_EQ(out.events[0].transition_id, "S1#2");
}

TEST_F(EngineTest, DeescalationIsHeldOnAsAtTimeThroughTheEngine) {
    config_.cards[0].hysteresis.deescalate_after = minutes{120};
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level4));
    submit(sitrep("S1", "2026-01-06T09:00:00Z", level1));
    EXPECT_EQ(status("S1"), Status::opel4);
    EXPECT_NE(result("S1").decided_by.find("de-escalation to OPEL 1 held since"),
              std::string::npos);
    submit(sitrep("S1", "2026-01-06T10:00:00Z", level2));
    EXPECT_EQ(status("S1"), Status::opel4);
    const SubmitOutcome out = submit(sitrep("S1", "2026-01-06T11:00:00Z", level2));
    EXPECT_EQ(status("S1"), Status::opel2);
    ASSERT_FALSE(out.events.empty());
    EXPECT_EQ(out.events[0].kind, EventKind::deescalated);
    EXPECT_EQ(out.events[0].stand_down_note, "stand down to 2");
    EXPECT_EQ(out.events[0].transition_id, "S1#2");
}

TEST_F(EngineTest, DeclaredLevelDifferingFromComputedIsAnEventOfItsOwn) {
    Sitrep s = sitrep("S1", "2026-01-06T08:00:00Z", level1);
    s.declared_level = 4;
    s.declared_reason = "theatres closed by flooding";
    const SubmitOutcome out = submit(s);
    const auto mismatch = std::find_if(out.events.begin(), out.events.end(), [](const Event& e) {
        return e.kind == EventKind::declared_mismatch;
    });
    ASSERT_NE(mismatch, out.events.end());
    EXPECT_EQ(mismatch->declared_level, 4);
    EXPECT_EQ(mismatch->computed, Status::opel1);
    EXPECT_EQ(mismatch->declared_reason, "theatres closed by flooding");
    EXPECT_EQ(result("S1").declared_level, 4);
    EXPECT_EQ(status("S1"), Status::opel1);  // declared does not replace computed

    s.as_at = at("2026-01-06T08:30:00Z");
    EXPECT_TRUE(submit(s).events.empty());  // same mismatch: not repeated
    s.as_at = at("2026-01-06T09:00:00Z");
    s.declared_level = 1;
    EXPECT_TRUE(submit(s).events.empty());  // agreement clears it
    s.as_at = at("2026-01-06T09:30:00Z");
    s.declared_level = 4;
    EXPECT_EQ(submit(s).events.size(), 1U);  // a new disagreement is reported again
}

TEST_F(EngineTest, FloorRuleDecidesAndSaysSo) {
    config_.cards[0].floors.push_back({"pa", 4, 4, "handover over 60 min", 0});
    submit(sitrep("S1", "2026-01-06T08:00:00Z", {{"a", 30}, {"b", 95}}));  // 4+1 = 5 -> band 3
    EXPECT_EQ(result("S1").band_level, Status::opel3);
    EXPECT_EQ(status("S1"), Status::opel4);
    EXPECT_EQ(result("S1").decided_by,
              "floor rule: pa scores 4 (>= 4) so at least OPEL 4 - handover over 60 min; total 5 "
              "is in the OPEL 3 band (>= 5)");
}

TEST_F(EngineTest, TransitionNumbersArePerNode) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level1));
    submit(sitrep("S1", "2026-01-06T08:10:00Z", level4));
    const SubmitOutcome out = submit(sitrep("S1", "2026-01-06T08:20:00Z", level2));
    std::vector<std::string> ids;
    for (const Event& e : out.events) {
        ids.push_back(e.transition_id);
    }
    EXPECT_EQ(ids.front(), "S1#3");
    EXPECT_EQ(result("loc").transition_number, 3U);
    EXPECT_EQ(result("S2").transition_number, 0U);
}

}  // namespace
}  // namespace opel::engine

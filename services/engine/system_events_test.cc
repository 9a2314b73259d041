// System action cards on system nodes' alerts, and the sustained-pressure event with its
// exact timing rules (engine.h advance_to; SPEC §5).
#include <gtest/gtest.h>

#include <algorithm>

#include "engine/engine.h"
#include "support/engine_fixtures.h"

namespace opel::engine {
namespace {

using opel::testing::at;
using opel::testing::node;
using opel::testing::sitrep;
using std::chrono::hours;
using std::chrono::minutes;

// small_config's card4 (reporting every 60 min + 30 min grace): S1 alone in `loc` at weight
// 1 of 4 gives loc its own level through loc's weighted mean only partly, so the tests below
// watch S1 and the max_level locality loc2 (S3, card2).
const std::initializer_list<std::pair<const char*, double>> level1{{"a", 5}, {"b", 95}};
const std::initializer_list<std::pair<const char*, double>> level3{{"a", 25}, {"b", 75}};
const std::initializer_list<std::pair<const char*, double>> level4{{"a", 35}, {"b", 65}};

std::vector<const Event*> of_kind(const std::vector<Event>& events, EventKind kind) {
    std::vector<const Event*> out;
    for (const Event& e : events) {
        if (e.kind == kind) {
            out.push_back(&e);
        }
    }
    return out;
}

const Event* for_node(const std::vector<Event>& events, std::string_view id) {
    const auto it = std::find_if(events.begin(), events.end(),
                                 [id](const Event& e) { return e.node_id == id; });
    return it == events.end() ? nullptr : &*it;
}

// The sustained_pressure event about `id` among `events`, if any.
const Event* sustained_for(const std::vector<Event>& events, std::string_view id) {
    const auto it = std::find_if(events.begin(), events.end(), [id](const Event& e) {
        return e.node_id == id && e.kind == EventKind::sustained_pressure;
    });
    return it == events.end() ? nullptr : &*it;
}

// "2026-01-06T<hh>:<mm>:00Z".
std::string on_the_6th(int hour, int minute = 0) {
    const auto two = [](int v) { return (v < 10 ? "0" : "") + std::to_string(v); };
    return "2026-01-06T" + two(hour) + ":" + two(minute) + ":00Z";
}

SystemCard locality_card() {
    SystemCard c;
    c.id = "locality";
    c.name = "Locality system card";
    for (int level = 1; level <= 4; ++level) {
        c.actions[static_cast<std::size_t>(level - 1)].actions = {
            {"locality director on call", "system action at level " + std::to_string(level)}};
    }
    c.actions[3].includes_lower_levels = true;
    c.actions[1].stand_down_note = "locality stands down to 2";
    return c;
}

// small_config's engine, built on first use so a test may change `config_` before.
class SmallConfigTest : public ::testing::Test {
protected:
    Engine& engine() {
        if (!engine_) {
            engine_.emplace(std::move(config_));
        }
        return *engine_;
    }
    SubmitOutcome submit(const Sitrep& s) { return engine().submit(s, std::nullopt); }

    EngineConfig config_ = opel::testing::small_config();
    std::optional<Engine> engine_;
};

using SystemCardTest = SmallConfigTest;

TEST_F(SystemCardTest, ASystemNodesAlertQuotesItsSystemCardNotASitesCard) {
    config_.system_cards.push_back(locality_card());
    config_.nodes[6].system_card = "locality";  // loc2 (max_level over S3)
    ASSERT_EQ(config_.nodes[6].id, "loc2");
    const SubmitOutcome out = submit(sitrep("S3", "2026-01-06T08:00:00Z", {{"c", 35}}));
    const Event* loc2 = for_node(out.events, "loc2");
    ASSERT_NE(loc2, nullptr);
    EXPECT_EQ(loc2->to, Status::opel4);
    ASSERT_EQ(loc2->actions.size(), 4U);  // OPEL 4 includes the lower levels
    EXPECT_EQ(loc2->actions[0].role, "locality director on call");
    EXPECT_EQ(loc2->actions[0].level, 1);
    EXPECT_EQ(loc2->actions[3].action, "system action at level 4");
    EXPECT_TRUE(loc2->actions_note.empty());
    EXPECT_EQ(engine().result(node(engine(), "loc2")).card, "locality");
    // The site's own alert still quotes its card.
    const Event* s3 = for_node(out.events, "S3");
    ASSERT_NE(s3, nullptr);
    ASSERT_FALSE(s3->actions.empty());
    EXPECT_EQ(s3->actions.back().role, "site manager");
    // Down to OPEL 2: the system card's stand-down note.
    const SubmitOutcome down = submit(sitrep("S3", "2026-01-06T09:00:00Z", {{"c", 15}}));
    const Event* eased = for_node(down.events, "loc2");
    ASSERT_NE(eased, nullptr);
    EXPECT_EQ(eased->kind, EventKind::deescalated);
    EXPECT_EQ(eased->stand_down_note, "locality stands down to 2");
}

// The ICS names card4 as the default for its sites; that card's site roles must not appear
// in the ICS's own alerts: without a system card the alert says so instead.
TEST_F(SystemCardTest, ASystemNodeWithoutASystemCardSaysSoInsteadOfQuotingASitesRoles) {
    const SubmitOutcome out = submit(sitrep("S1", "2026-01-06T08:00:00Z", level4));
    const Event* ics = for_node(out.events, "ICS");
    ASSERT_NE(ics, nullptr);
    EXPECT_TRUE(engine::is_level(ics->to));
    EXPECT_TRUE(ics->actions.empty());
    EXPECT_NE(ics->actions_note.find("No system action card for"), std::string::npos)
        << ics->actions_note;
    EXPECT_NE(ics->actions_note.find("(ICS)"), std::string::npos) << ics->actions_note;
    EXPECT_EQ(engine().result(node(engine(), "ICS")).card, "");
}

TEST(SystemCardCheckTest, ReferencesAndIdsAreChecked) {
    EngineConfig c = opel::testing::small_config();
    c.system_cards.push_back(locality_card());
    c.system_cards.push_back(locality_card());  // duplicate id
    c.nodes[3].system_card = "nowhere";         // loc: no such system card
    c.nodes[4].system_card = "locality";        // S1: a site
    std::vector<std::string> found;
    for (const ConfigProblem& p : check_config(c)) {
        found.push_back(p.field + ": " + p.message);
    }
    EXPECT_EQ(found, (std::vector<std::string>{
                         "id: duplicate system card id 'locality'",
                         "system_card: no system card with id 'nowhere'",
                         "system_card: a site is scored by a card ('card'); system cards are for "
                         "localities, ICSs and regions",
                     }));
}

// Sustained after 4 hours; card4 reports every 60 min + 30 min grace, so sitreps every hour
// keep S1 fresh.
class SustainedPressureTest : public SmallConfigTest {
protected:
    SustainedPressureTest() { config_.sustained_pressure = hours{4}; }
    // Daemon mode: the wall clock is `now` (as_at == now here).
    SubmitOutcome submit_at(const std::string& when,
                            std::initializer_list<std::pair<const char*, double>> m) {
        return engine().submit(sitrep("S1", when, m), at(when));
    }
};

TEST_F(SustainedPressureTest, FiresOnceExactlyWhenTheRunReachesTheConfiguredTime) {
    submit_at(on_the_6th(8), level3);  // S1 OPEL 3 from 08:00
    for (int h = 9; h <= 11; ++h) {
        const auto out = submit_at(on_the_6th(h), level3);
        EXPECT_TRUE(of_kind(out.events, EventKind::sustained_pressure).empty()) << h;
    }
    EXPECT_EQ(engine().next_deadline(), at(on_the_6th(12)));  // before S1's staleness (12:30)
    EXPECT_TRUE(engine().advance_to(at("2026-01-06T11:59:59Z")).events.empty());
    const Tick tick = engine().advance_to(at(on_the_6th(12)));
    const auto fired = of_kind(tick.events, EventKind::sustained_pressure);
    EXPECT_EQ(fired.size(), tick.events.size());
    // Each with the node's unchanged result, so a daemon stores the reported run.
    EXPECT_EQ(tick.results.size(), fired.size());
    // S1, and its ancestors held at OPEL 3+ since 08:00 too (loc, ICS, region, national).
    const Event* s1 = nullptr;
    for (const Event* e : fired) {
        EXPECT_EQ(e->at, at("2026-01-06T12:00:00Z"));
        EXPECT_EQ(e->pressure_since, at("2026-01-06T08:00:00Z"));
        if (e->node_id == "S1") {
            s1 = e;
        }
    }
    ASSERT_NE(s1, nullptr);
    EXPECT_EQ(s1->to, Status::opel3);
    EXPECT_EQ(s1->from, Status::opel3);
    EXPECT_EQ(s1->transition_id, "S1#1");
    ASSERT_FALSE(s1->actions.empty());
    EXPECT_EQ(s1->actions.back().action, "act at level 3");
    // Once per run: hours more at OPEL 3 say nothing more.
    for (int h = 12; h <= 23; ++h) {
        const auto out = submit_at(on_the_6th(h, 15), level3);
        for (const Event* e : of_kind(out.events, EventKind::sustained_pressure)) {
            ADD_FAILURE() << e->node_id << " at " << h << " since "
                          << e->pressure_since->time_since_epoch().count();
        }
    }
}

TEST_F(SustainedPressureTest, OpelThreeAndFourAreOneRun) {
    submit_at(on_the_6th(8), level3);
    submit_at(on_the_6th(9), level4);  // a new transition, the same run
    submit_at(on_the_6th(10), level3);
    submit_at(on_the_6th(11), level4);
    const Tick tick = engine().advance_to(at(on_the_6th(12)));
    const Event* s1 = sustained_for(tick.events, "S1");
    ASSERT_NE(s1, nullptr);
    EXPECT_EQ(s1->pressure_since, at("2026-01-06T08:00:00Z"));
    EXPECT_EQ(s1->to, Status::opel4);
    EXPECT_EQ(s1->transition_id, "S1#4");  // the current transition
}

TEST_F(SustainedPressureTest, FallingBelowOpelThreeEndsTheRunAndANewOneStartsAfresh) {
    submit_at(on_the_6th(8), level3);
    submit_at(on_the_6th(9), level3);
    submit_at(on_the_6th(10), level3);
    submit_at(on_the_6th(11), level1);      // the run ends at 11:00
    submit_at(on_the_6th(11, 30), level4);  // a new run from 11:30
    EXPECT_EQ(sustained_for(engine().advance_to(at(on_the_6th(12))).events, "S1"), nullptr);
    submit_at(on_the_6th(12, 30), level4);
    submit_at(on_the_6th(13, 30), level4);
    submit_at(on_the_6th(14, 30), level4);
    const Tick tick = engine().advance_to(at(on_the_6th(15, 30)));
    const Event* s1 = sustained_for(tick.events, "S1");
    ASSERT_NE(s1, nullptr);
    EXPECT_EQ(s1->at, at("2026-01-06T15:30:00Z"));
    EXPECT_EQ(s1->pressure_since, at("2026-01-06T11:30:00Z"));
}

// S1 silent after 08:00 goes STALE at 09:30 (60 + 30 min): staleness breaks the run.
TEST_F(SustainedPressureTest, StaleBreaksTheRun) {
    submit_at(on_the_6th(8), level4);
    const Tick tick = engine().advance_to(at(on_the_6th(13)));
    const Event* s1 = for_node(tick.events, "S1");
    ASSERT_NE(s1, nullptr);
    EXPECT_EQ(s1->kind, EventKind::stale);
    EXPECT_EQ(sustained_for(tick.events, "S1"), nullptr);
}

// At one instant staleness comes first: a site that goes stale at the very moment its run
// would have been sustained is not reported as sustained.
TEST_F(SustainedPressureTest, AtTheSameInstantStalenessComesFirst) {
    config_.sustained_pressure = minutes{90};  // 08:00 + 90 min = the staleness deadline
    submit_at(on_the_6th(8), level4);
    const Tick tick = engine().advance_to(at(on_the_6th(9, 30)));
    const Event* s1 = for_node(tick.events, "S1");
    ASSERT_NE(s1, nullptr);
    EXPECT_EQ(s1->kind, EventKind::stale);
    EXPECT_EQ(sustained_for(tick.events, "S1"), nullptr);
}

TEST_F(SustainedPressureTest, TheRunSurvivesARestartAndAChangedTimeAppliesToIt) {
    submit_at(on_the_6th(8), level3);
    submit_at(on_the_6th(9), level3);
    EngineConfig shorter = engine().model().config();
    shorter.sustained_pressure = minutes{30};  // already past for the run since 08:00
    Engine restarted(std::move(shorter));
    for (NodeIndex i = 0; i < engine().model().node_count(); ++i) {
        restarted.restore(i, engine().snapshot(i));
    }
    restarted.restore_now(engine().now());
    EXPECT_EQ(restarted.next_deadline(), at("2026-01-06T08:30:00Z"));
    const Tick tick = restarted.advance_to(at(on_the_6th(9, 5)));
    const Event* s1 = sustained_for(tick.events, "S1");
    ASSERT_NE(s1, nullptr);
    EXPECT_EQ(s1->at, at("2026-01-06T08:30:00Z"));
    // Reported is remembered: a second restart does not report the run again.
    Engine again(restarted.model().config());
    for (NodeIndex i = 0; i < restarted.model().node_count(); ++i) {
        again.restore(i, restarted.snapshot(i));
    }
    EXPECT_EQ(sustained_for(again.advance_to(at(on_the_6th(9, 6))).events, "S1"), nullptr);
}

TEST_F(SustainedPressureTest, OffWhenNotConfigured) {
    config_.sustained_pressure.reset();
    submit_at(on_the_6th(8), level4);
    for (int h = 9; h <= 20; ++h) {
        const auto out = submit_at(on_the_6th(h), level4);
        EXPECT_TRUE(of_kind(out.events, EventKind::sustained_pressure).empty()) << h;
    }
}

}  // namespace
}  // namespace opel::engine

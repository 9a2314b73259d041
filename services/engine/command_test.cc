#include "engine/command.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "engine/engine.h"
#include "support/engine_fixtures.h"

namespace opel::engine {
namespace {

using opel::testing::at;
using opel::testing::node;
using opel::testing::sitrep;

// card4 (engine_fixtures.h): level1 totals 2 (OPEL 1), level3 6 (OPEL 3), level4 8 (OPEL 4).
const std::initializer_list<std::pair<const char*, double>> level1{{"a", 5}, {"b", 95}};
const std::initializer_list<std::pair<const char*, double>> level3{{"a", 25}, {"b", 75}};
const std::initializer_list<std::pair<const char*, double>> level4{{"a", 35}, {"b", 65}};

std::vector<std::string> codes(const SubmitOutcome& out) {
    std::vector<std::string> found;
    for (const FieldError& e : out.errors) {
        found.push_back(e.field + "/" + e.code);
    }
    return found;
}

const Event* find_event(const SubmitOutcome& out, EventKind kind) {
    const auto it = std::find_if(out.events.begin(), out.events.end(),
                                 [kind](const Event& e) { return e.kind == kind; });
    return it == out.events.end() ? nullptr : &*it;
}

class CommandTest : public ::testing::Test {
protected:
    SubmitOutcome submit(const Sitrep& s) { return engine_.submit(s, std::nullopt); }
    NodeResult result(std::string_view id) { return engine_.result(node(engine_, id)); }
    SubmitOutcome ack(std::string id, std::string by = "Jane Smith", std::string note = "") {
        return engine_.acknowledge({std::move(id), std::move(by), std::move(note)}, now);
    }
    SubmitOutcome declare(int level, std::optional<TimePoint> until = std::nullopt,
                          std::string site = "S1") {
        return engine_.declare({std::move(site), level, "staffing", "Dr Lee", until}, now);
    }

    Engine engine_{opel::testing::small_config()};
    TimePoint now = at("2026-01-06T08:05:00Z");
};

TEST(TransitionIdTest, IsANodeIdAndAWholeNumberFromOne) {
    const auto ok = parse_transition_id("RWJ#7");
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(ok->node_id, "RWJ");
    EXPECT_EQ(ok->number, 7U);
    const auto odd = parse_transition_id("A#B#12");  // the last '#' separates the number
    ASSERT_TRUE(odd.has_value());
    EXPECT_EQ(odd->node_id, "A#B");
    EXPECT_EQ(odd->number, 12U);
    for (const char* bad : {"RWJ", "#3", "RWJ#", "RWJ#0", "RWJ#07", "RWJ#-1", "RWJ#+1", "RWJ#1x",
                            "RWJ# 1", "RWJ#99999999999999999999"}) {
        const auto r = parse_transition_id(bad);
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_EQ(r.error().field, "transition_id") << bad;
        EXPECT_EQ(r.error().code, "malformed") << bad;
        EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
    }
    EXPECT_EQ(parse_transition_id("").error().code, "missing_field");
    EXPECT_EQ(parse_transition_id(std::string(201, 'A') + "#1").error().code, "malformed");
}

TEST(CommandKeyTest, AcknowledgementsByTransitionAndDeclarationsByIdOrContent) {
    EXPECT_EQ(command_key(Acknowledgement{"RWJ#7", "Jane", "note"}), "ack/RWJ#7");
    EXPECT_EQ(command_key(Acknowledgement{"RWJ#7", "Bob", ""}), "ack/RWJ#7");
    const Declaration d{"RWJ", 4, "staffing", "Dr Lee", at("2026-01-06T18:00:00Z")};
    EXPECT_EQ(command_key(d, "cli-1"), "declare/cli-1");
    const std::string key = command_key(d, "");
    EXPECT_EQ(key.rfind("declare/RWJ/4/2026-01-06T18:00:00Z/", 0), 0U) << key;
    EXPECT_EQ(command_key(d, ""), key);  // the same content, the same key
    Declaration other = d;
    other.reason = "norovirus";
    EXPECT_NE(command_key(other, ""), key);
    other = d;
    other.by = "Dr Lee2";
    EXPECT_NE(command_key(other, ""), key);
    other = d;
    other.until.reset();
    EXPECT_EQ(command_key(other, "").rfind("declare/RWJ/4/-/", 0), 0U);
}

TEST_F(CommandTest, AcknowledgingTheCurrentTransitionShowsOnTheResultUntilTheNext) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));  // S1#1
    const SubmitOutcome out = ack("S1#1", "Jane Smith", "bed meeting at 09:00");
    ASSERT_EQ(out.status, SubmitStatus::accepted) << ::testing::PrintToString(codes(out));
    ASSERT_EQ(out.results.size(), 1U);  // the node's own result, nothing rolled up
    const Acknowledged expected{"S1#1", "Jane Smith", now, "bed meeting at 09:00"};
    EXPECT_EQ(out.results[0].acknowledged, expected);
    EXPECT_EQ(result("S1").acknowledged, expected);
    ASSERT_EQ(out.events.size(), 1U);
    const Event& e = out.events[0];
    EXPECT_EQ(e.kind, EventKind::acknowledged);
    EXPECT_EQ(e.transition_id, "S1#1");
    EXPECT_EQ(e.path, "national/region/ICS/loc/S1");
    EXPECT_EQ(e.by, "Jane Smith");
    EXPECT_EQ(e.note, "bed meeting at 09:00");
    EXPECT_EQ(e.at, now);
    EXPECT_EQ(e.to, Status::opel3);

    submit(sitrep("S1", "2026-01-06T08:10:00Z", level3));  // no transition: still acknowledged
    EXPECT_EQ(result("S1").acknowledged, expected);
    submit(sitrep("S1", "2026-01-06T08:20:00Z", level4));  // S1#2: a new alert, not acknowledged
    EXPECT_EQ(result("S1").transition_number, 2U);
    EXPECT_EQ(result("S1").acknowledged, std::nullopt);
}

TEST_F(CommandTest, AcknowledgingAnEarlierTransitionIsAnEventOnly) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level1));  // S1#1
    submit(sitrep("S1", "2026-01-06T08:10:00Z", level4));  // S1#2
    const SubmitOutcome out = ack("S1#1");
    ASSERT_EQ(out.status, SubmitStatus::accepted);
    EXPECT_TRUE(out.results.empty());
    ASSERT_EQ(out.events.size(), 1U);
    EXPECT_EQ(out.events[0].transition_id, "S1#1");
    EXPECT_EQ(result("S1").acknowledged, std::nullopt);
}

TEST_F(CommandTest, SystemNodesTransitionsCanBeAcknowledged) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    ASSERT_EQ(result("loc").transition_number, 1U);
    const SubmitOutcome out = ack("loc#1");
    ASSERT_EQ(out.status, SubmitStatus::accepted);
    EXPECT_EQ(result("loc").acknowledged->by, "Jane Smith");
}

TEST_F(CommandTest, AnAcknowledgementOfNoSuchTransitionIsRejectedAndChangesNothing) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    const NodeResult before = result("S1");
    SubmitOutcome out = ack("S1#2");
    EXPECT_EQ(out.status, SubmitStatus::rejected);
    EXPECT_EQ(codes(out), std::vector<std::string>{"transition_id/unknown_transition"});
    EXPECT_EQ(out.errors[0].message,
              "transition_id 'S1#2': S1 has made 1 status transition (the latest is S1#1), so "
              "there is nothing to acknowledge");
    EXPECT_TRUE(out.results.empty());
    EXPECT_TRUE(out.events.empty());
    EXPECT_EQ(ack("S2#1").errors[0].message,
              "transition_id 'S2#1': S2 has made 0 status transitions, so there is nothing to "
              "acknowledge");
    EXPECT_EQ(codes(ack("XYZ#1")), std::vector<std::string>{"transition_id/unknown_node"});
    // Every problem at once.
    out = ack("S1", "", std::string(max_text_length + 1, 'x'));
    EXPECT_EQ(codes(out), (std::vector<std::string>{"by/missing_field", "note/too_long",
                                                    "transition_id/malformed"}));
    EXPECT_EQ(codes(ack("S1#1", std::string(max_id_length + 1, 'J'))),
              std::vector<std::string>{"by/too_long"});
    EXPECT_EQ(result("S1").acknowledged, before.acknowledged);
}

Unacknowledged report(std::string transition_id,
                      Unacknowledged::FollowUp follow_up = Unacknowledged::FollowUp::step,
                      std::int64_t number = 1) {
    return {
        std::move(transition_id), "gm-escalations", at("2026-01-06T08:00:00Z"), follow_up, number,
        {"director-on-call"},     "opel-notifyd"};
}

TEST(CommandKeyTest, UnacknowledgedReportsByTransitionRouteAndFollowUp) {
    EXPECT_EQ(command_key(report("RWJ#3")), "unack/RWJ#3/gm-escalations/step-1");
    EXPECT_EQ(command_key(report("RWJ#3", Unacknowledged::FollowUp::reminder, 2)),
              "unack/RWJ#3/gm-escalations/reminder-2");
    EXPECT_EQ(follow_up_text(report("RWJ#3")), "step 1 to director-on-call (route gm-escalations)");
}

TEST_F(CommandTest, AnOpenEscalationReportedUnacknowledgedIsAnEventOnly) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));  // S1#1
    const NodeResult before = result("S1");
    const SubmitOutcome out = engine_.report_unacknowledged(report("S1#1"), now);
    ASSERT_EQ(out.status, SubmitStatus::accepted) << ::testing::PrintToString(codes(out));
    EXPECT_TRUE(out.results.empty());  // nothing about the node changed
    ASSERT_EQ(out.events.size(), 1U);
    const Event& e = out.events[0];
    EXPECT_EQ(e.kind, EventKind::unacknowledged);
    EXPECT_EQ(to_string(e.kind), "unacknowledged");
    EXPECT_EQ(e.transition_id, "S1#1");
    EXPECT_EQ(e.path, "national/region/ICS/loc/S1");
    EXPECT_EQ(e.to, Status::opel3);
    EXPECT_EQ(e.at, now);
    EXPECT_EQ(e.by, "opel-notifyd");
    EXPECT_EQ(e.unacknowledged, report("S1#1"));
    EXPECT_EQ(e.result.transition_number, 1U);
    EXPECT_EQ(result("S1").acknowledged, before.acknowledged);
    // Systems' escalations too.
    EXPECT_EQ(engine_.report_unacknowledged(report("loc#1"), now).status, SubmitStatus::accepted);
}

TEST_F(CommandTest, AnEscalationNoLongerOpenIsNotReportedUnacknowledged) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));  // S1#1
    ASSERT_EQ(ack("S1#1", "Jane Smith").status, SubmitStatus::accepted);
    SubmitOutcome out = engine_.report_unacknowledged(report("S1#1"), now);
    EXPECT_EQ(out.status, SubmitStatus::rejected);
    EXPECT_EQ(codes(out), std::vector<std::string>{"transition_id/acknowledged"});
    EXPECT_EQ(out.errors[0].message,
              "transition_id 'S1#1' was acknowledged by Jane Smith at 2026-01-06T08:05:00Z: "
              "nothing is open");
    EXPECT_TRUE(out.events.empty());

    submit(sitrep("S1", "2026-01-06T08:10:00Z", level4));  // S1#2 supersedes S1#1
    out = engine_.report_unacknowledged(report("S1#1"), now);
    EXPECT_EQ(codes(out), std::vector<std::string>{"transition_id/superseded"});
    EXPECT_EQ(out.errors[0].message,
              "transition_id 'S1#1' is no longer open: the node's current transition is S1#2");
    EXPECT_EQ(codes(engine_.report_unacknowledged(report("S1#3"), now)),
              std::vector<std::string>{"transition_id/unknown_transition"});
    EXPECT_EQ(engine_.report_unacknowledged(report("S1#3"), now).errors[0].message,
              "transition_id 'S1#3': S1 has made 2 status transitions (the latest is S1#2), so "
              "there is nothing to report");
    EXPECT_EQ(engine_.report_unacknowledged(report("S1#2"), now).status, SubmitStatus::accepted);
}

TEST_F(CommandTest, ABadUnacknowledgedReportNamesEveryProblem) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level3));
    Unacknowledged r = report("S1#1", Unacknowledged::FollowUp::reminder, 0);
    r.route.clear();
    r.by.clear();
    r.groups = {"locality", ""};
    EXPECT_EQ(codes(engine_.report_unacknowledged(r, now)),
              (std::vector<std::string>{"by/missing_field", "route/missing_field",
                                        "number/out_of_range", "groups[1]/malformed"}));
    r = report("S1#1");
    r.groups.clear();
    r.route = std::string(max_id_length + 1, 'r');
    EXPECT_EQ(codes(engine_.report_unacknowledged(r, now)),
              (std::vector<std::string>{"route/too_long", "groups/missing_field"}));
    EXPECT_EQ(codes(engine_.report_unacknowledged(report("XYZ#1"), now)),
              std::vector<std::string>{"transition_id/unknown_node"});
}

TEST_F(CommandTest, ADeclarationStandsBesideTheComputedLevelAndRaisesAMismatch) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level1));
    const Status loc_before = result("loc").status;
    const SubmitOutcome out = declare(4);
    ASSERT_EQ(out.status, SubmitStatus::accepted) << ::testing::PrintToString(codes(out));
    const Event* declared = find_event(out, EventKind::declared);
    ASSERT_NE(declared, nullptr);
    EXPECT_EQ(declared->declared_level, 4);
    EXPECT_EQ(declared->declared_reason, "staffing");
    EXPECT_EQ(declared->by, "Dr Lee");
    EXPECT_EQ(declared->computed, Status::opel1);
    const Event* mismatch = find_event(out, EventKind::declared_mismatch);
    ASSERT_NE(mismatch, nullptr);
    EXPECT_EQ(mismatch->declared_level, 4);
    EXPECT_EQ(mismatch->at, now);
    // It carries the site's current transition (the status it disagrees with) like every
    // alert, and acknowledging that id is accepted; it is not a transition of its own.
    EXPECT_EQ(mismatch->transition_id, "S1#1");
    EXPECT_EQ(declared->transition_id, "S1#1");
    EXPECT_EQ(result("S1").transition_number, 1U);
    ASSERT_EQ(out.results.size(), 1U);  // the site only: the roll-up does not change
    const NodeResult r = result("S1");
    EXPECT_EQ(r.declared_level, 4);
    EXPECT_EQ(r.declared_by, "Dr Lee");
    EXPECT_EQ(r.status, Status::opel1);  // declared never replaces computed
    EXPECT_EQ(result("loc").status, loc_before);
    // A declaration agreeing with the computed level raises no mismatch.
    EXPECT_EQ(find_event(declare(1), EventKind::declared_mismatch), nullptr);
}

TEST_F(CommandTest, TheStandingDeclarationOutlivesSitrepsUnlessOneDeclaresItsOwn) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level1));
    declare(3);
    submit(sitrep("S1", "2026-01-06T08:10:00Z", level1));
    EXPECT_EQ(result("S1").declared_level, 3);
    EXPECT_EQ(result("S1").declared_by, "Dr Lee");
    Sitrep own = sitrep("S1", "2026-01-06T08:20:00Z", level1);
    own.declared_level = 2;
    own.declared_reason = "flow team's view";
    submit(own);
    EXPECT_EQ(result("S1").declared_level, 2);
    EXPECT_EQ(result("S1").declared_reason, "flow team's view");
    EXPECT_EQ(result("S1").declared_by, "");
    submit(sitrep("S1", "2026-01-06T08:30:00Z", level1));
    EXPECT_EQ(result("S1").declared_level, 3);  // the standing one again
}

TEST_F(CommandTest, ADeclarationEndsAtItsUntilWithAnEvent) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level1));  // stale deadline 09:30
    const TimePoint until = at("2026-01-06T09:00:00Z");
    ASSERT_EQ(declare(4, until).status, SubmitStatus::accepted);
    EXPECT_EQ(result("S1").declared_until, until);
    EXPECT_EQ(engine_.next_deadline(), until);
    EXPECT_TRUE(engine_.advance_to(until - std::chrono::seconds{1}).events.empty());
    const Tick tick = engine_.advance_to(until);
    ASSERT_EQ(tick.events.size(), 1U);
    EXPECT_EQ(tick.events[0].kind, EventKind::declaration_expired);
    EXPECT_EQ(tick.events[0].declared_level, 4);
    EXPECT_EQ(tick.events[0].until, until);
    EXPECT_EQ(tick.events[0].at, until);
    ASSERT_EQ(tick.results.size(), 1U);
    EXPECT_EQ(tick.results[0].declared_level, 0);
    EXPECT_EQ(engine_.next_deadline(), at("2026-01-06T09:30:00Z"));  // staleness only
    // The mismatch was cleared with it: declaring the same again reports it again.
    now = at("2026-01-06T09:10:00Z");
    EXPECT_NE(find_event(declare(4), EventKind::declared_mismatch), nullptr);
}

TEST_F(CommandTest, ANewDeclarationReplacesTheEndOfTheOld) {
    declare(4, at("2026-01-06T09:00:00Z"));
    declare(3);  // no end
    EXPECT_EQ(engine_.next_deadline(), std::nullopt);
    EXPECT_EQ(result("S1").declared_level, 3);
}

TEST_F(CommandTest, AWithdrawalEndsTheStandingDeclaration) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level1));
    declare(4, at("2026-01-06T09:00:00Z"));
    const SubmitOutcome out = declare(0);
    ASSERT_EQ(out.status, SubmitStatus::accepted);
    ASSERT_EQ(out.events.size(), 1U);
    EXPECT_EQ(out.events[0].kind, EventKind::declared);
    EXPECT_EQ(out.events[0].declared_level, 0);
    EXPECT_EQ(result("S1").declared_level, 0);
    EXPECT_EQ(engine_.next_deadline(), at("2026-01-06T09:30:00Z"));  // its end is gone
    EXPECT_EQ(codes(declare(0)), std::vector<std::string>{"level/nothing_to_withdraw"});
}

TEST_F(CommandTest, ABadDeclarationNamesEveryProblemAndChangesNothing) {
    EXPECT_EQ(codes(engine_.declare({"loc", 5, "", "", at("2026-01-06T08:00:00Z")}, now)),
              (std::vector<std::string>{"site_id/not_a_site", "level/invalid_level",
                                        "reason/missing_field", "by/missing_field",
                                        "until/in_the_past"}));
    EXPECT_EQ(codes(engine_.declare({"XYZ", -1, "r", "b", std::nullopt}, now)),
              (std::vector<std::string>{"site_id/unknown_site", "level/invalid_level"}));
    EXPECT_EQ(codes(engine_.declare({"S1", 0, "r", "b", at("2026-01-06T09:00:00Z")}, now)),
              std::vector<std::string>{"until/unexpected_field"});
    EXPECT_EQ(result("S1").declared_level, 0);
    EXPECT_EQ(engine_.next_deadline(), std::nullopt);
}

TEST_F(CommandTest, AStandingDeclarationAndItsEndSurviveARestart) {
    submit(sitrep("S1", "2026-01-06T08:00:00Z", level1));
    const TimePoint until = at("2026-01-06T09:00:00Z");
    declare(4, until);
    ack("S1#1");
    Engine restarted(opel::testing::small_config());
    for (NodeIndex i = 0; i < engine_.model().node_count(); ++i) {
        restarted.restore(i, engine_.snapshot(i));
    }
    const NodeResult r = restarted.result(node(restarted, "S1"));
    EXPECT_EQ(r.declared_level, 4);
    EXPECT_EQ(r.declared_until, until);
    EXPECT_EQ(r.acknowledged->by, "Jane Smith");
    EXPECT_EQ(restarted.next_deadline(), until);
    const Tick tick = restarted.advance_to(until);
    ASSERT_EQ(tick.events.size(), 1U);
    EXPECT_EQ(tick.events[0].kind, EventKind::declaration_expired);
}

}  // namespace
}  // namespace opel::engine

#include "notifyd/escalation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

namespace opel::notifyd {
namespace {

using engine::EventKind;
using engine::Status;
using std::chrono::minutes;

TimePoint at(std::string_view text) { return *parse_rfc3339(text); }

const TimePoint t0 = at("2026-01-13T08:00:00Z");

engine::Event event(EventKind kind, Status from, Status to, std::string node = "RWJ",
                    std::string transition = "RWJ#7") {
    engine::Event e;
    e.kind = kind;
    e.node_id = std::move(node);
    e.path = "national/north-west/QOP/stockport/" + e.node_id;
    e.transition_id = std::move(transition);
    e.from = from;
    e.to = to;
    e.at = t0;
    return e;
}

// Reminders every 30 min; the director after an hour, the chief executive after two.
Route route(Duration remind_every = minutes(30),
            std::vector<EscalationStep> steps = {{minutes(60), {"director"}},
                                                 {minutes(120), {"chief executive"}}}) {
    Route r;
    r.name = "system OPEL 3+";
    r.subtree = "QOP";
    r.min_level = 3;
    r.groups = {"winter oversight group", "on call"};
    r.escalation.remind_every = remind_every;
    r.escalation.steps = std::move(steps);
    return r;
}

OpenEscalation opened(TimePoint when = t0) {
    return {"RWJ#7", "system OPEL 3+",
            when,    0,
            0,       event(EventKind::escalated, Status::opel3, Status::opel4)};
}

const FollowUp* find(const std::vector<FollowUp>& fs, FollowUp::Kind kind) {
    const auto it =
        std::find_if(fs.begin(), fs.end(), [kind](const FollowUp& f) { return f.kind == kind; });
    return it == fs.end() ? nullptr : &*it;
}

using Groups = std::vector<std::string>;

// next_follow_up in minutes after t0 (readable when a test fails).
std::optional<std::int64_t> minutes_to_next(const OpenEscalation& open, const Route& r) {
    const std::optional<TimePoint> next = next_follow_up(open, r);
    if (!next) {
        return std::nullopt;
    }
    return std::chrono::duration_cast<minutes>(*next - t0).count();
}

// --- opens_escalation -------------------------------------------------------------------

struct OpensCase {
    const char* what;
    engine::Event event;
    bool opens;
};

TEST(OpensEscalationTest, ARiseToOpelThreeOrFourWithATransitionOpensOneAndNothingElseDoes) {
    engine::Event no_transition = event(EventKind::escalated, Status::opel2, Status::opel3);
    no_transition.transition_id.clear();
    engine::Event declared = event(EventKind::declared, Status::opel2, Status::opel4);
    declared.declared_level = 4;
    engine::Event mismatch =
        event(EventKind::declared_mismatch, Status::opel2, Status::opel4, "RWJ", "");
    mismatch.declared_level = 4;
    const std::vector<OpensCase> cases = {
        {"escalated 2 -> 3", event(EventKind::escalated, Status::opel2, Status::opel3), true},
        {"escalated 3 -> 4", event(EventKind::escalated, Status::opel3, Status::opel4), true},
        {"escalated 1 -> 4", event(EventKind::escalated, Status::opel1, Status::opel4), true},
        {"known UNKNOWN -> 3", event(EventKind::known, Status::unknown, Status::opel3), true},
        {"known UNKNOWN -> 4", event(EventKind::known, Status::unknown, Status::opel4), true},
        {"recovered STALE -> 3", event(EventKind::recovered, Status::stale, Status::opel3), true},
        {"recovered STALE -> 4", event(EventKind::recovered, Status::stale, Status::opel4), true},
        {"escalated 1 -> 2", event(EventKind::escalated, Status::opel1, Status::opel2), false},
        {"known UNKNOWN -> 2", event(EventKind::known, Status::unknown, Status::opel2), false},
        {"recovered STALE -> 2", event(EventKind::recovered, Status::stale, Status::opel2), false},
        {"deescalated 4 -> 3", event(EventKind::deescalated, Status::opel4, Status::opel3), false},
        {"deescalated 4 -> 2", event(EventKind::deescalated, Status::opel4, Status::opel2), false},
        {"stale from 4", event(EventKind::stale, Status::opel4, Status::stale), false},
        {"unknown from 4", event(EventKind::unknown, Status::opel4, Status::unknown), false},
        {"acknowledged", event(EventKind::acknowledged, Status::opel3, Status::opel4), false},
        {"declared OPEL 4", declared, false},
        {"declared mismatch", mismatch, false},
        {"declaration expired", event(EventKind::declaration_expired, Status::opel2, Status::opel4),
         false},
        {"config reloaded", event(EventKind::config_reloaded, Status::opel1, Status::opel4), false},
        {"escalated 2 -> 3 without a transition id", no_transition, false},
    };
    for (const OpensCase& c : cases) {
        EXPECT_EQ(opens_escalation(c.event), c.opens) << c.what;
    }
}

// --- closes -----------------------------------------------------------------------------

TEST(ClosesTest, TheAcknowledgementOfItsTransitionClosesIt) {
    const OpenEscalation open = opened();
    EXPECT_TRUE(closes(event(EventKind::acknowledged, Status::opel4, Status::opel4), open));
    EXPECT_FALSE(
        closes(event(EventKind::acknowledged, Status::opel4, Status::opel4, "RWJ", "RWJ#6"), open))
        << "an earlier transition's acknowledgement";
    EXPECT_FALSE(
        closes(event(EventKind::acknowledged, Status::opel4, Status::opel4, "RMC", "RMC#7"), open))
        << "another node's acknowledgement";
}

TEST(ClosesTest, AnyLaterStatusTransitionOfTheSameNodeClosesIt) {
    const OpenEscalation open = opened();
    for (const engine::Event& later : {
             event(EventKind::deescalated, Status::opel4, Status::opel3, "RWJ", "RWJ#8"),
             event(EventKind::deescalated, Status::opel4, Status::opel1, "RWJ", "RWJ#8"),
             event(EventKind::stale, Status::opel4, Status::stale, "RWJ", "RWJ#8"),
             event(EventKind::unknown, Status::opel4, Status::unknown, "RWJ", "RWJ#8"),
             event(EventKind::recovered, Status::stale, Status::opel4, "RWJ", "RWJ#8"),
             event(EventKind::known, Status::unknown, Status::opel4, "RWJ", "RWJ#8"),
             event(EventKind::escalated, Status::opel3, Status::opel4, "RWJ", "RWJ#8"),
         }) {
        EXPECT_TRUE(closes(later, open)) << engine::to_string(later.kind);
    }
}

TEST(ClosesTest, ItsOwnTransitionAnotherNodesOrAMismatchDoNotCloseIt) {
    const OpenEscalation open = opened();
    EXPECT_FALSE(closes(open.event, open)) << "the same transition again (a repeat)";
    EXPECT_FALSE(
        closes(event(EventKind::deescalated, Status::opel4, Status::opel3, "RMC", "RMC#8"), open));
    engine::Event mismatch =
        event(EventKind::declared_mismatch, Status::opel4, Status::opel4, "RWJ", "");
    mismatch.declared_level = 2;
    EXPECT_FALSE(closes(mismatch, open));
    engine::Event declared = event(EventKind::declared, Status::opel4, Status::opel4, "RWJ", "");
    declared.declared_level = 2;
    EXPECT_FALSE(closes(declared, open));
}

// --- due_follow_ups / next_follow_up -------------------------------------------------------

TEST(FollowUpTest, NothingIsDueBeforeTheFirstReminder) {
    OpenEscalation open = opened();
    const Route r = route();
    EXPECT_EQ(minutes_to_next(open, r), 30);
    EXPECT_TRUE(due_follow_ups(open, r, t0).empty());
    EXPECT_TRUE(due_follow_ups(open, r, t0 + minutes(30) - Duration{1}).empty());
    EXPECT_EQ(open.reminders, 0);
    EXPECT_EQ(open.steps_done, 0);
}

TEST(FollowUpTest, RemindersComeEveryIntervalToTheGroupsToldSoFar) {
    OpenEscalation open = opened();
    const Route r = route();

    const auto first = due_follow_ups(open, r, t0 + minutes(30));
    ASSERT_EQ(first.size(), 1U);
    EXPECT_EQ(first[0].kind, FollowUp::Kind::reminder);
    EXPECT_EQ(first[0].number, 1);
    EXPECT_EQ(first[0].groups, (Groups{"winter oversight group", "on call"}));
    EXPECT_EQ(first[0].reason, "Reminder: not acknowledged after 30 min.");
    EXPECT_EQ(open.reminders, 1);
    EXPECT_EQ(minutes_to_next(open, r), 60);

    EXPECT_TRUE(due_follow_ups(open, r, t0 + minutes(30)).empty()) << "asked again: sent";
    EXPECT_TRUE(due_follow_ups(open, r, t0 + minutes(59)).empty());

    // At an hour the director is told, and the reminder goes to them too from now on.
    const auto second = due_follow_ups(open, r, t0 + minutes(60));
    ASSERT_EQ(second.size(), 2U);
    const FollowUp* step = find(second, FollowUp::Kind::step);
    const FollowUp* reminder = find(second, FollowUp::Kind::reminder);
    ASSERT_NE(step, nullptr);
    ASSERT_NE(reminder, nullptr);
    EXPECT_EQ(step->number, 1);
    EXPECT_EQ(step->groups, Groups{"director"});
    EXPECT_EQ(step->reason,
              "Not acknowledged after 60 min: escalated to you under route 'system OPEL 3+'.");
    EXPECT_EQ(reminder->number, 2);
    EXPECT_EQ(reminder->groups, (Groups{"winter oversight group", "on call", "director"}));
    EXPECT_EQ(reminder->reason, "Reminder: not acknowledged after 60 min.");
    EXPECT_EQ(open.reminders, 2);
    EXPECT_EQ(open.steps_done, 1);

    const auto third = due_follow_ups(open, r, t0 + minutes(90));
    ASSERT_EQ(third.size(), 1U);
    EXPECT_EQ(third[0].kind, FollowUp::Kind::reminder);
    EXPECT_EQ(third[0].number, 3);
    EXPECT_EQ(third[0].groups, (Groups{"winter oversight group", "on call", "director"}));
}

// Counters come back from the outbox after a restart: the groups of steps taken before it
// are still reminded, and those steps are not taken again.
TEST(FollowUpTest, RemindersIncludeTheGroupsOfStepsTakenBefore) {
    OpenEscalation open = opened();
    open.reminders = 2;
    open.steps_done = 1;
    const auto due = due_follow_ups(open, route(), t0 + minutes(95));
    ASSERT_EQ(due.size(), 1U);
    EXPECT_EQ(due[0].kind, FollowUp::Kind::reminder);
    EXPECT_EQ(due[0].number, 3);
    EXPECT_EQ(due[0].groups, (Groups{"winter oversight group", "on call", "director"}));
    EXPECT_EQ(open.steps_done, 1);
}

TEST(FollowUpTest, AGroupAlreadyToldIsNotListedTwice) {
    OpenEscalation open = opened();
    const Route r =
        route(minutes(30), {{minutes(30), {"on call", "director"}}, {minutes(60), {"director"}}});
    const auto due = due_follow_ups(open, r, t0 + minutes(60));
    const FollowUp* reminder = find(due, FollowUp::Kind::reminder);
    ASSERT_NE(reminder, nullptr);
    EXPECT_EQ(reminder->groups, (Groups{"winter oversight group", "on call", "director"}));
}

TEST(FollowUpTest, ALongGapBringsOneReminderNumberedByHowManyFellDueAndEveryStepInOrder) {
    OpenEscalation open = opened();
    const Route r = route();
    const auto due = due_follow_ups(open, r, t0 + minutes(125));  // down since t0
    EXPECT_EQ(std::count_if(due.begin(), due.end(),
                            [](const FollowUp& f) { return f.kind == FollowUp::Kind::reminder; }),
              1)
        << "one reminder, not a burst of four";
    const FollowUp* reminder = find(due, FollowUp::Kind::reminder);
    ASSERT_NE(reminder, nullptr);
    EXPECT_EQ(reminder->number, 4);
    EXPECT_EQ(reminder->reason, "Reminder: not acknowledged after 120 min.");
    EXPECT_EQ(reminder->groups,
              (Groups{"winter oversight group", "on call", "director", "chief executive"}));

    std::vector<FollowUp> steps;
    std::copy_if(due.begin(), due.end(), std::back_inserter(steps),
                 [](const FollowUp& f) { return f.kind == FollowUp::Kind::step; });
    ASSERT_EQ(steps.size(), 2U);
    EXPECT_EQ(steps[0].number, 1);
    EXPECT_EQ(steps[0].groups, Groups{"director"});
    EXPECT_EQ(steps[1].number, 2);
    EXPECT_EQ(steps[1].groups, Groups{"chief executive"});
    EXPECT_EQ(steps[1].reason,
              "Not acknowledged after 120 min: escalated to you under route 'system OPEL 3+'.");

    EXPECT_EQ(open.reminders, 4);
    EXPECT_EQ(open.steps_done, 2);
    EXPECT_EQ(minutes_to_next(open, r), 150);
    EXPECT_TRUE(due_follow_ups(open, r, t0 + minutes(149)).empty());
}

TEST(FollowUpTest, StepsWithoutRemindersAreTakenWhenDueAndThenNothingIsOwed) {
    OpenEscalation open = opened();
    const Route r = route(Duration{0}, {{minutes(15), {"director"}}, {minutes(45), {"board"}}});
    EXPECT_EQ(minutes_to_next(open, r), 15);
    EXPECT_TRUE(due_follow_ups(open, r, t0 + minutes(14)).empty());

    const auto first = due_follow_ups(open, r, t0 + minutes(15));
    ASSERT_EQ(first.size(), 1U);
    EXPECT_EQ(first[0].kind, FollowUp::Kind::step);
    EXPECT_EQ(first[0].number, 1);
    EXPECT_EQ(first[0].groups, Groups{"director"});
    EXPECT_EQ(minutes_to_next(open, r), 45);

    const auto second = due_follow_ups(open, r, t0 + minutes(50));
    ASSERT_EQ(second.size(), 1U);
    EXPECT_EQ(second[0].number, 2);
    EXPECT_EQ(second[0].groups, Groups{"board"});

    EXPECT_EQ(minutes_to_next(open, r), std::nullopt);
    EXPECT_TRUE(due_follow_ups(open, r, t0 + std::chrono::days(7)).empty());
    EXPECT_EQ(open.reminders, 0);
}

TEST(FollowUpTest, APolicyWithoutRemindersOrStepsOwesNothing) {
    OpenEscalation open = opened();
    const Route r = route(Duration{0}, {});
    EXPECT_EQ(minutes_to_next(open, r), std::nullopt);
    EXPECT_TRUE(due_follow_ups(open, r, t0 + std::chrono::days(365)).empty());
    EXPECT_EQ(open.reminders, 0);
    EXPECT_EQ(open.steps_done, 0);
}

TEST(FollowUpTest, TheNextFollowUpIsTheEarlierOfTheNextStepAndTheNextReminder) {
    OpenEscalation open = opened();
    const Route r = route(minutes(30), {{minutes(45), {"director"}}});
    ASSERT_EQ(due_follow_ups(open, r, t0 + minutes(30)).size(), 1U);
    EXPECT_EQ(minutes_to_next(open, r), 45);
    ASSERT_EQ(due_follow_ups(open, r, t0 + minutes(45)).size(), 1U);
    EXPECT_EQ(minutes_to_next(open, r), 60);
}

// Property: walking the clock a minute at a time, follow-ups are due exactly when
// next_follow_up said they would be, and never before.
TEST(FollowUpTest, FollowUpsAreDueExactlyAtTheNextFollowUp) {
    const Route r = route(minutes(25), {{minutes(40), {"director"}},
                                        {minutes(40), {"deputy"}},
                                        {minutes(110), {"chief executive"}}});
    OpenEscalation open = opened();
    for (int m = 0; m <= 300; ++m) {
        const TimePoint now = t0 + minutes(m);
        const std::optional<TimePoint> next = next_follow_up(open, r);
        const bool expected = next.has_value() && now >= *next;
        EXPECT_EQ(!due_follow_ups(open, r, now).empty(), expected) << "minute " << m;
    }
    EXPECT_EQ(open.reminders, 12);
    EXPECT_EQ(open.steps_done, 3);
}

// Property: a daemon that was down (one call at the end) ends with the same counters as one
// that was up all along (a call every minute).
TEST(FollowUpTest, ARestartLeavesTheSameCountersAsNoRestart) {
    const Route r = route();
    for (const int end : {0, 29, 30, 61, 119, 120, 121, 240, 1000}) {
        OpenEscalation up = opened();
        for (int m = 0; m <= end; ++m) {
            due_follow_ups(up, r, t0 + minutes(m));
        }
        OpenEscalation down = opened();
        due_follow_ups(down, r, t0 + minutes(end));
        EXPECT_EQ(up.reminders, down.reminders) << end;
        EXPECT_EQ(up.steps_done, down.steps_done) << end;
        EXPECT_EQ(minutes_to_next(up, r), minutes_to_next(down, r)) << end;
    }
}

// --- the report to the escalator -------------------------------------------------------

TEST(UnacknowledgedReportTest, NamesTheTransitionRouteFollowUpAndGroups) {
    const OpenEscalation open = opened();
    const FollowUp step{FollowUp::Kind::step, 2, {"chief executive"}, "not acknowledged"};
    const engine::Unacknowledged r = unacknowledged_report(open, step, "opel-notifyd");
    EXPECT_EQ(r, (engine::Unacknowledged{"RWJ#7", "system OPEL 3+", t0,
                                         engine::Unacknowledged::FollowUp::step, 2,
                                         Groups{"chief executive"}, "opel-notifyd"}));
    EXPECT_EQ(unacknowledged_report(open, {FollowUp::Kind::reminder, 1, {}, ""}, "n").follow_up,
              engine::Unacknowledged::FollowUp::reminder);
    // Each route's follow-ups are reported apart: the key names the route.
    EXPECT_EQ(report_key(open, step), "RWJ#7/system OPEL 3+/step-2/escalator");
    OpenEscalation other = open;
    other.route = "locality";
    EXPECT_NE(report_key(other, step), report_key(open, step));
    EXPECT_EQ(report_key(open, {FollowUp::Kind::reminder, 3, {}, ""}),
              "RWJ#7/system OPEL 3+/reminder-3/escalator");
}

// --- follow_up_key ------------------------------------------------------------------------

TEST(FollowUpKeyTest, AnEmailAddressAppearsAsItIs) {
    const OpenEscalation open = opened();
    const Receiver director{ReceiverKind::email, "director@example.nhs.uk"};
    EXPECT_EQ(follow_up_key(open, {FollowUp::Kind::reminder, 2, {}, ""}, director),
              "RWJ#7/reminder-2/director@example.nhs.uk");
    EXPECT_EQ(follow_up_key(open, {FollowUp::Kind::step, 1, {}, ""}, director),
              "RWJ#7/step-1/director@example.nhs.uk");
}

TEST(FollowUpKeyTest, AWebhookAppearsOnlyAsADigestOfItsUrl) {
    const OpenEscalation open = opened();
    const std::string secret = "sig=Zm9vYmFyc2VjcmV0";
    const std::vector<Receiver> hooks = {
        {ReceiverKind::teams, "https://example.webhook.office.com/webhookb2/abc?" + secret},
        {ReceiverKind::slack, "https://hooks.slack.example/services/T0/B0/" + secret},
        {ReceiverKind::webhook, "https://receiver.example/opel?" + secret},
    };
    const std::vector<std::string> kinds = {"teams", "slack", "webhook"};
    std::vector<std::string> keys;
    for (std::size_t i = 0; i < hooks.size(); ++i) {
        const std::string key =
            follow_up_key(open, {FollowUp::Kind::reminder, 1, {}, ""}, hooks[i]);
        EXPECT_TRUE(
            std::regex_match(key, std::regex("RWJ#7/reminder-1/" + kinds[i] + "-[0-9a-f]{12}")))
            << key;
        EXPECT_EQ(key.find(secret), std::string::npos) << key;
        EXPECT_EQ(key.find("https"), std::string::npos) << key;
        EXPECT_EQ(key, "RWJ#7/reminder-1/" + receiver_id(hooks[i]));
        keys.push_back(key);
    }
    // Another URL of the same kind is another receiver.
    const Receiver other{ReceiverKind::teams, hooks[0].target + "x"};
    EXPECT_NE(follow_up_key(open, {FollowUp::Kind::reminder, 1, {}, ""}, other), keys[0]);
    // Each follow-up has its own key.
    EXPECT_NE(follow_up_key(open, {FollowUp::Kind::reminder, 2, {}, ""}, hooks[0]), keys[0]);
    EXPECT_NE(follow_up_key(open, {FollowUp::Kind::step, 1, {}, ""}, hooks[0]), keys[0]);
}

}  // namespace
}  // namespace opel::notifyd

// Acknowledge-or-escalate (issue 14): an escalation to OPEL 3 or 4 that a route with an
// escalation policy sent stays open until someone acknowledges its transition. While open,
// the groups told so far are reminded every `remind_every`, and each step's groups are told
// when it has been open for the step's `after`. Pure: time (the policy clock) is passed in,
// and the state is plain values the outbox stores, so timers survive a restart.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/time.h"
#include "engine/node_result.h"
#include "notifyd/routing.h"

namespace opel::notifyd {

struct OpenEscalation {
    std::string transition_id;
    std::string route;
    TimePoint opened_at;
    int reminders = 0;   // reminders sent so far
    int steps_done = 0;  // escalation steps taken so far
    engine::Event event;
};

// A message owed for an open escalation.
struct FollowUp {
    enum class Kind { reminder, step };
    Kind kind = Kind::reminder;
    int number = 1;                   // the reminder's or step's number, from 1
    std::vector<std::string> groups;  // who is told
    std::string reason;               // "not acknowledged after 30 min"
};

// Whether `event` opens an escalation: a status change to OPEL 3 or 4 with a transition id.
bool opens_escalation(const engine::Event& event);

// Whether `event` ends `open`: an acknowledgement of its transition, or any later status
// transition of its node (which opens its own escalation if it is one).
bool closes(const engine::Event& event, const OpenEscalation& open);

// The follow-ups due at `now` for `open` under `route`'s policy, advancing its counters. A
// daemon that was down past several reminders sends one, not a burst; every step due is
// taken, in order.
std::vector<FollowUp> due_follow_ups(OpenEscalation& open, const Route& route, TimePoint now);

// When the next follow-up of `open` falls due, if any.
std::optional<TimePoint> next_follow_up(const OpenEscalation& open, const Route& route);

// The delivery key of a follow-up to `receiver`: "<transition>/reminder-<n>/<target>" or
// "<transition>/step-<n>/<receiver id>".
std::string follow_up_key(const OpenEscalation& open, const FollowUp& follow_up,
                          const Receiver& receiver);

// The report of a follow-up to the escalator (the `unacknowledged` command: the event on the
// feed, SPEC §5) by `by`, and its delivery key "<transition>/<route>/<reminder|step>-<n>/
// escalator" (each route's follow-ups are reported: the escalator's key names the route too).
engine::Unacknowledged unacknowledged_report(const OpenEscalation& open, const FollowUp& follow_up,
                                             const std::string& by);
std::string report_key(const OpenEscalation& open, const FollowUp& follow_up);

}  // namespace opel::notifyd

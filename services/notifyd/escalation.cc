#include "notifyd/escalation.h"

#include <algorithm>

#include "engine/model.h"

namespace opel::notifyd {
namespace {

std::string minutes(Duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::minutes>(d).count()) + " min";
}

// The groups told so far: the route's own and those of every step taken.
std::vector<std::string> told(const OpenEscalation& open, const Route& route) {
    std::vector<std::string> out = route.groups;
    for (int i = 0; i < open.steps_done && i < static_cast<int>(route.escalation.steps.size());
         ++i) {
        for (const std::string& g : route.escalation.steps[static_cast<std::size_t>(i)].groups) {
            if (std::find(out.begin(), out.end(), g) == out.end()) {
                out.push_back(g);
            }
        }
    }
    return out;
}

}  // namespace

bool opens_escalation(const engine::Event& e) {
    return engine::is_transition(e.kind) && !e.transition_id.empty() && engine::is_level(e.to) &&
           engine::level_of(e.to) >= 3 &&
           (!engine::is_level(e.from) || engine::level_of(e.from) < engine::level_of(e.to));
}

bool closes(const engine::Event& e, const OpenEscalation& open) {
    if (e.kind == engine::EventKind::acknowledged) {
        return e.transition_id == open.transition_id;
    }
    return engine::is_transition(e.kind) && e.node_id == open.event.node_id &&
           e.transition_id != open.transition_id;
}

std::vector<FollowUp> due_follow_ups(OpenEscalation& open, const Route& route, TimePoint now) {
    std::vector<FollowUp> out;
    const EscalationPolicy& p = route.escalation;
    const Duration open_for = now - open.opened_at;
    while (open.steps_done < static_cast<int>(p.steps.size()) &&
           p.steps[static_cast<std::size_t>(open.steps_done)].after <= open_for) {
        const EscalationStep& step = p.steps[static_cast<std::size_t>(open.steps_done)];
        ++open.steps_done;
        out.push_back({FollowUp::Kind::step, open.steps_done, step.groups,
                       "Not acknowledged after " + minutes(step.after) +
                           ": escalated to you under route '" + route.name + "'."});
    }
    if (p.remind_every.count() > 0) {
        const auto owed = static_cast<int>(open_for / p.remind_every);
        if (owed > open.reminders) {
            open.reminders = owed;  // one reminder for however many fell due
            out.push_back(
                {FollowUp::Kind::reminder, owed, told(open, route),
                 "Reminder: not acknowledged after " + minutes(p.remind_every * owed) + "."});
        }
    }
    return out;
}

std::optional<TimePoint> next_follow_up(const OpenEscalation& open, const Route& route) {
    std::optional<TimePoint> next;
    const EscalationPolicy& p = route.escalation;
    if (open.steps_done < static_cast<int>(p.steps.size())) {
        next = open.opened_at + p.steps[static_cast<std::size_t>(open.steps_done)].after;
    }
    if (p.remind_every.count() > 0) {
        const TimePoint reminder = open.opened_at + p.remind_every * (open.reminders + 1);
        next = next ? std::min(*next, reminder) : reminder;
    }
    return next;
}

std::string follow_up_key(const OpenEscalation& open, const FollowUp& f, const Receiver& r) {
    return open.transition_id + "/" + (f.kind == FollowUp::Kind::reminder ? "reminder-" : "step-") +
           std::to_string(f.number) + "/" + receiver_id(r);
}

engine::Unacknowledged unacknowledged_report(const OpenEscalation& open, const FollowUp& f,
                                             const std::string& by) {
    return {open.transition_id,
            open.route,
            open.opened_at,
            f.kind == FollowUp::Kind::step ? engine::Unacknowledged::FollowUp::step
                                           : engine::Unacknowledged::FollowUp::reminder,
            f.number,
            f.groups,
            by};
}

std::string report_key(const OpenEscalation& open, const FollowUp& f) {
    return open.transition_id + "/" + open.route + "/" +
           (f.kind == FollowUp::Kind::reminder ? "reminder-" : "step-") + std::to_string(f.number) +
           "/escalator";
}

}  // namespace opel::notifyd

#include "engine/hysteresis.h"

#include "engine/text.h"

namespace opel::engine {
namespace {

std::string minutes(Duration d) { return std::to_string(d.count() / 60) + " min"; }

// apply_hysteresis towards a level above the current one: at once, or held for
// rule.escalate_after since the first sitrep that asked for it.
HysteresisOutcome escalation(Status current, int target, const Hysteresis& rule, TimePoint as_at,
                             HoldState& hold) {
    hold.deescalate_since.reset();
    if (rule.escalate_after <= Duration{0}) {
        hold = {};
        return {status_of_level(target), {}};
    }
    if (!hold.escalate_since) {
        hold.escalate_since = as_at;
    }
    if (as_at - *hold.escalate_since >= rule.escalate_after) {
        hold = {};
        return {status_of_level(target), {}};
    }
    return {current, "escalation to OPEL " + std::to_string(target) + " held since " +
                         format_london(*hold.escalate_since) + ", until " +
                         format_london(*hold.escalate_since + rule.escalate_after) +
                         " at the earliest (escalate_after " + minutes(rule.escalate_after) + ")"};
}

}  // namespace

HysteresisOutcome apply_hysteresis(Status current, int target, double total, const Bands& bands,
                                   const Hysteresis& rule, TimePoint as_at, HoldState& hold) {
    OPEL_CHECK(target >= 1 && target <= 4, "the rules give a level 1..4");
    if (!is_level(current)) {
        hold = {};
        return {status_of_level(target), {}};
    }
    const int c = level_of(current);
    if (target > c) {
        return escalation(current, target, rule, as_at, hold);
    }
    hold.escalate_since.reset();
    if (target == c) {
        hold.deescalate_since.reset();
        return {current, {}};
    }
    int candidate = c;
    while (candidate > target && total <= bands.cutoff(candidate) - rule.deescalation_margin) {
        --candidate;
    }
    if (candidate == c) {
        hold.deescalate_since.reset();
        return {current, "held at OPEL " + std::to_string(c) + ": total " + format_number(total) +
                             " is not " + format_number(rule.deescalation_margin) +
                             " below the OPEL " + std::to_string(c) + " cut-off " +
                             format_number(bands.cutoff(c))};
    }
    if (rule.deescalate_after <= Duration{0}) {
        hold = {};
        return {status_of_level(candidate), {}};
    }
    if (!hold.deescalate_since) {
        hold.deescalate_since = as_at;
    }
    if (as_at - *hold.deescalate_since >= rule.deescalate_after) {
        hold = {};
        return {status_of_level(candidate), {}};
    }
    return {current, "de-escalation to OPEL " + std::to_string(candidate) + " held since " +
                         format_london(*hold.deescalate_since) + ", until " +
                         format_london(*hold.deescalate_since + rule.deescalate_after) +
                         " at the earliest, while sitreps stay below the cut-off "
                         "(deescalate_after " +
                         minutes(rule.deescalate_after) + ")"};
}

}  // namespace opel::engine

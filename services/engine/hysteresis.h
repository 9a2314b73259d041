// Hysteresis (SPEC §4, exact rule 5): given the current level and the level the rules give
// now, which level holds. Holds are measured on as_at and checked only when a sitrep (or, for
// nodes, a recomputation) arrives. Pure: the hold state is passed in and updated.
#pragma once

#include <optional>
#include <string>

#include "base/time.h"
#include "engine/config.h"
#include "engine/status.h"

namespace opel::engine {

// Pending holds of one site; both empty when nothing is pending.
struct HoldState {
    std::optional<TimePoint> escalate_since;    // as_at of the first sitrep with B > C
    std::optional<TimePoint> deescalate_since;  // as_at of the first with a candidate < C

    bool operator==(const HoldState&) const = default;
};

struct HysteresisOutcome {
    Status status = Status::unknown;
    std::string note;  // empty when the rules' level was taken at once
};

// current: the held status; target: the level 1..4 the rules give now (bands raised by
// floors); total: the figure the bands apply to; as_at: the sitrep's time. A current status
// that is not a level (UNKNOWN/STALE) takes target at once. Updates `hold`.
HysteresisOutcome apply_hysteresis(Status current, int target, double total, const Bands& bands,
                                   const Hysteresis& rule, TimePoint as_at, HoldState& hold);

}  // namespace opel::engine

// What the engine tells the world: node results that explain themselves, and events.
// Plain values; adapters translate them to the wire (opel.v1.NodeResult / Event).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"
#include "engine/config.h"
#include "engine/status.h"

namespace opel::engine {

struct ParameterResult {
    std::string id;
    std::string name;
    std::string unit;
    std::optional<double> value;
    int score = 0;
    int weight = 1;
    bool carried_forward = false;
    std::optional<TimePoint> carried_from;
    bool worst_policy = false;
    // For people: the threshold the value reached for its score (">= 92", "<= 78"), or for
    // score 1 the OPEL 2 threshold it is below ("< 15"); empty without a score.
    std::string threshold;
};

struct PillarResult {
    ProviderType provider_type = ProviderType::none;
    Status status = Status::unknown;
    double normalised = 0;
    double coverage_percent = 0;
};

// Who acknowledged a node's transition (opel ack).
struct Acknowledged {
    std::string transition_id;  // "<id>#<n>"
    std::string by;
    TimePoint at;
    std::string note;

    bool operator==(const Acknowledged&) const = default;
};

// The result of one site or system node at one moment.
struct NodeResult {
    std::string node_id;
    std::string path;
    NodeKind kind = NodeKind::site;
    Status status = Status::unknown;      // held status
    Status computed = Status::unknown;    // bands raised by floors, before hysteresis
    Status band_level = Status::unknown;  // bands alone
    double total = 0;                     // sites: Σ weight × score; systems: normalised
    double normalised = 0;                // 0..100
    std::vector<ParameterResult> parameters;
    std::string decided_by;
    double coverage_percent = 0;  // systems
    std::vector<PillarResult> pillars;
    std::optional<TimePoint> as_at;  // nullopt until first computed
    std::uint64_t transition_number = 0;
    // Sites: the latest sitrep's declared level, else the standing declaration's (0: none).
    int declared_level = 0;
    std::string declared_reason;
    std::string card;
    std::string submission_id;
    std::string comment;
    std::string declared_by;                  // the standing declaration's; "" from a sitrep
    std::optional<TimePoint> declared_until;  // the standing declaration's end, if any
    // The acknowledgement of the current transition (transition_number); cleared by the next.
    std::optional<Acknowledged> acknowledged;
};

enum class EventKind {
    escalated,            // to a higher level
    deescalated,          // to a lower level
    stale,                // to STALE
    recovered,            // from STALE
    unknown,              // to UNKNOWN (from a level)
    known,                // from UNKNOWN to a level
    declared_mismatch,    // declared level differs from the computed one
    config_reloaded,      // the daemon took a new configuration (config_hash); not from the engine
    acknowledged,         // a person acknowledged transition_id (by, note)
    declared,             // a person declared the site's level (declared_level; 0 = withdrew)
    declaration_expired,  // a standing declaration reached its `until`
    unacknowledged,       // an escalation still not acknowledged (the notifier's report)
    sustained_pressure,   // held at OPEL 3 or 4 for the configured time without a break
};

// An escalation still open and what the notifier does about it (reminder or step), as
// opel-notifyd reports it: the `unacknowledged` command and event.
struct Unacknowledged {
    enum class FollowUp { reminder, step };
    std::string transition_id;  // "<id>#<n>"
    std::string route;
    TimePoint open_since;
    FollowUp follow_up = FollowUp::reminder;
    std::int64_t number = 0;          // from 1, as sent
    std::vector<std::string> groups;  // whom this follow-up tells
    std::string by;                   // who reports it

    bool operator==(const Unacknowledged&) const = default;
};

struct Event {
    EventKind kind = EventKind::escalated;
    std::string node_id;
    std::string path;
    // "<id>#<n>": the transition; acknowledged: the one acknowledged; declared_mismatch,
    // sustained_pressure, declared, declaration_expired: the node's current transition (the
    // status they are about; empty before the node's first); else empty
    std::string transition_id;
    Status from = Status::unknown;
    Status to = Status::unknown;
    TimePoint at;
    NodeResult result;
    std::vector<ActionItem> actions;
    // A system node without a system card: says so where the actions would be.
    std::string actions_note;
    std::string stand_down_note;
    int declared_level = 0;
    Status computed = Status::unknown;
    std::string declared_reason;
    std::string config_hash;         // config_reloaded: the configuration's content hash
    std::string by;                  // acknowledged, declared: who
    std::string note;                // acknowledged: their note
    std::optional<TimePoint> until;  // declared: when it lapses
    std::optional<Unacknowledged> unacknowledged;  // unacknowledged: the report
    std::optional<TimePoint> pressure_since;       // sustained_pressure: the run's start
};

std::string_view to_string(EventKind kind);

// Whether events of `kind` are status transitions (SPEC §4 rule 4), each with its own
// transition id, rather than news about the node's current transition.
bool is_transition(EventKind kind);

}  // namespace opel::engine

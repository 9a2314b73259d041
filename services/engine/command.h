// Commands sent through the submit socket beside sitreps (SPEC §5): people acknowledging an
// alert and declaring a site's level, and the notifier reporting an escalation nobody has
// acknowledged (engine::Unacknowledged, node_result.h). Plain values; the engine validates and
// applies them (Engine::acknowledge, declare, report_unacknowledged), adapters translate them
// from the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/time.h"
#include "engine/node_result.h"
#include "engine/sitrep.h"

namespace opel::engine {

// "I have seen transition `transition_id` and am acting on it."
struct Acknowledgement {
    std::string transition_id;  // "<node id>#<n>"
    std::string by;
    std::string note;
};

// A site's level declared by clinical judgement. It stands beside the computed level (shown,
// never rolled up) until `until`, until another declaration replaces it, or until withdrawn
// (level 0).
struct Declaration {
    std::string site_id;
    std::int64_t level = 0;  // as sent: 1..4, or 0 to withdraw
    std::string reason;
    std::string by;
    std::optional<TimePoint> until;

    bool operator==(const Declaration&) const = default;
};

// The declaration a site holds between commands (part of its durable state).
struct StandingDeclaration {
    int level = 0;  // 1..4
    std::string reason;
    std::string by;
    TimePoint at;
    std::optional<TimePoint> until;

    bool operator==(const StandingDeclaration&) const = default;
};

// A transition id read: the node id and the transition's number (from 1).
struct TransitionRef {
    std::string node_id;
    std::uint64_t number = 0;
};
// Reads "<node id>#<n>" (n a whole number from 1, no sign or leading zero), or the
// transition_id / malformed error saying why not.
Result<TransitionRef, FieldError> parse_transition_id(std::string_view id);

// The idempotency keys of commands (stored beside sitreps' submission ids, never confused
// with them): "ack/<transition id>", so a transition is acknowledged once; and
// "declare/<declaration_id>", or without one "declare/<site>/<level>/<until>/<digest of by
// and reason>", so an identical resend is a duplicate.
std::string command_key(const Acknowledgement& ack);
std::string command_key(const Declaration& declaration, std::string_view declaration_id);
// "unack/<transition id>/<route>/<reminder|step>-<n>": each follow-up is reported once.
std::string command_key(const Unacknowledged& report);

// "step 1 to director-on-call, scc (route gm-escalations)": the follow-up, for people.
std::string follow_up_text(const Unacknowledged& report);

}  // namespace opel::engine

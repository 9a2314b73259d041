#include "notifyd/routing.h"

#include <sodium.h>

#include <algorithm>
#include <array>

#include "engine/command.h"
#include "engine/model.h"

namespace opel::notifyd {
namespace {

bool has_kind(const std::vector<engine::EventKind>& kinds, engine::EventKind kind) {
    return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

// The event's old or new level reaches `min_level`; events about something other than a
// level (STALE, UNKNOWN, people's commands) always do.
bool reaches(const engine::Event& e, int min_level) {
    const auto at_least = [min_level](engine::Status s) {
        return engine::is_level(s) && engine::level_of(s) >= min_level;
    };
    switch (e.kind) {
        case engine::EventKind::escalated:
        case engine::EventKind::deescalated:
        case engine::EventKind::known:
            return at_least(e.from) || at_least(e.to);
        case engine::EventKind::sustained_pressure:
            return at_least(e.to);
        case engine::EventKind::declared_mismatch:
        case engine::EventKind::declared:
        case engine::EventKind::declaration_expired:
            return at_least(e.computed) || e.declared_level >= min_level;
        default:
            return true;
    }
}

bool matches(const Route& r, const engine::Event& e, engine::ProviderType provider_type) {
    if (!engine::path_matches(e.path, r.subtree)) {
        return false;
    }
    if (r.kinds.empty() ? (e.kind == engine::EventKind::config_reloaded ||
                           e.kind == engine::EventKind::unacknowledged)
                        : !has_kind(r.kinds, e.kind)) {
        return false;
    }
    if (!r.provider_types.empty() && std::find(r.provider_types.begin(), r.provider_types.end(),
                                               provider_type) == r.provider_types.end()) {
        return false;
    }
    return reaches(e, r.min_level);
}

std::string level_text(engine::Status s) { return std::string(engine::to_string(s)); }

// "08:00 GMT" of "2026-01-06 08:00 GMT".
std::string clock_time(TimePoint t) {
    const std::string london = format_london(t);
    return london.size() > 11 ? london.substr(11) : london;
}

std::string who(const engine::Event& e, const std::string& name) {
    return name.empty() ? e.node_id : name + " (" + e.node_id + ")";
}

}  // namespace

std::string receiver_id(const Receiver& r) {
    if (r.kind == ReceiverKind::email) {
        return r.target;
    }
    if (r.kind == ReceiverKind::escalator) {
        return "escalator";
    }
    std::array<unsigned char, 6> digest{};
    crypto_generichash(digest.data(), digest.size(),
                       reinterpret_cast<const unsigned char*>(r.target.data()),  // NOLINT: C API
                       r.target.size(), nullptr, 0);
    std::array<char, 2 * 6 + 1> hex{};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    const char* kind = r.kind == ReceiverKind::teams   ? "teams"
                       : r.kind == ReceiverKind::slack ? "slack"
                                                       : "webhook";
    return std::string(kind) + "-" + hex.data();
}

std::string event_id(const engine::Event& e) {
    // A transition is its own id; other events carry the node's current transition too (a
    // mismatch, a sustained run, a declaration), so they are told apart by kind and time.
    if (!e.transition_id.empty() && engine::is_transition(e.kind)) {
        return e.transition_id;
    }
    std::string id =
        e.node_id + "/" + std::string(engine::to_string(e.kind)) + "/" + format_utc(e.at);
    if (!e.transition_id.empty()) {
        id += "/" + e.transition_id;
    }
    return id;
}

const Silence* silenced_by(const engine::Event& e, const Routing& routing, TimePoint now) {
    for (const Silence& s : routing.silences) {
        if (now >= s.starts_at && now < s.ends_at && engine::path_matches(e.path, s.subtree) &&
            (s.kinds.empty() || has_kind(s.kinds, e.kind))) {
            return &s;
        }
    }
    return nullptr;
}

std::vector<const Route*> matching_routes(const engine::Event& e,
                                          engine::ProviderType provider_type,
                                          const Routing& routing, TimePoint now) {
    std::vector<const Route*> out;
    if (silenced_by(e, routing, now) != nullptr) {
        return out;
    }
    for (const Route& r : routing.routes) {
        if (matches(r, e, provider_type)) {
            out.push_back(&r);
        }
    }
    return out;
}

std::vector<Delivery> route(const engine::Event& e, engine::ProviderType provider_type,
                            const Routing& routing, TimePoint now) {
    std::vector<Delivery> out;
    const std::string id = event_id(e);
    for (const Route* r : matching_routes(e, provider_type, routing, now)) {
        for (const std::string& name : r->groups) {
            const auto group = std::find_if(routing.groups.begin(), routing.groups.end(),
                                            [&name](const Group& g) { return g.name == name; });
            if (group == routing.groups.end()) {
                continue;  // the configuration check refuses this; nothing to send to
            }
            for (const Receiver& receiver : group->receivers) {
                const bool known = std::any_of(out.begin(), out.end(), [&](const Delivery& d) {
                    return d.receiver == receiver;
                });
                if (!known) {
                    out.push_back(
                        {id + "/" + receiver_id(receiver), group->name, receiver, r->name});
                }
            }
        }
    }
    return out;
}

std::string subject(const engine::Event& e, const std::string& name) {
    const std::string time = clock_time(e.at);
    const std::string node = who(e, name);
    switch (e.kind) {
        case engine::EventKind::escalated:
        case engine::EventKind::deescalated:
        case engine::EventKind::known:
        case engine::EventKind::recovered: {
            const char* verb = e.kind == engine::EventKind::escalated     ? "escalated"
                               : e.kind == engine::EventKind::deescalated ? "stood down"
                               : e.kind == engine::EventKind::recovered   ? "reporting again"
                                                                          : "known";
            return "[" + level_text(e.to) + "] " + node + " " + verb + " from " +
                   level_text(e.from) + " — " + time;
        }
        case engine::EventKind::stale:
            return "[STALE] " + node + " has stopped reporting (was " + level_text(e.from) +
                   ") — " + time;
        case engine::EventKind::unknown:
            return "[UNKNOWN] " + node + " has no level (was " + level_text(e.from) + ") — " + time;
        case engine::EventKind::declared_mismatch:
            return "[DECLARED OPEL " + std::to_string(e.declared_level) + "] " + node +
                   " declared against computed " + level_text(e.computed) + " — " + time;
        case engine::EventKind::sustained_pressure:
            return "[SUSTAINED " + level_text(e.to) + "] " + node + " at OPEL 3 or above since " +
                   (e.pressure_since ? format_london(*e.pressure_since) : std::string("-")) +
                   " — " + time;
        case engine::EventKind::declared:
            return e.declared_level == 0
                       ? "[DECLARATION WITHDRAWN] " + node + " by " + e.by + " — " + time
                       : "[DECLARED OPEL " + std::to_string(e.declared_level) + "] " + node +
                             " by " + e.by + " — " + time;
        case engine::EventKind::declaration_expired:
            return "[DECLARATION ENDED] " + node + ": OPEL " + std::to_string(e.declared_level) +
                   " by " + e.by + " — " + time;
        case engine::EventKind::acknowledged:
            return "[ACKNOWLEDGED] " + e.transition_id + " " + node + " by " + e.by + " — " + time;
        case engine::EventKind::unacknowledged:
            return "[NOT ACKNOWLEDGED] " + e.transition_id + " " + node + " at " +
                   level_text(e.to) +
                   (e.unacknowledged ? ": " + engine::follow_up_text(*e.unacknowledged)
                                     : std::string()) +
                   " — " + time;
        case engine::EventKind::config_reloaded:
            break;
    }
    return "[CONFIGURATION] reloaded: " + e.config_hash + " — " + time;
}

std::string text_body(const engine::Event& e, const std::string& name) {
    std::string out = subject(e, name) + "\n\n";
    out += "Node: " + e.path + "\n";
    out += "When: " + format_london(e.at) + "\n";
    if (!e.result.decided_by.empty()) {
        out += "Why: " + e.result.decided_by + "\n";
    }
    if (!e.declared_reason.empty()) {
        out += "Reason given: " + e.declared_reason + "\n";
    }
    if (!e.note.empty()) {
        out += "Note: " + e.note + "\n";
    }
    if (!e.stand_down_note.empty()) {
        out += "\nStand down: " + e.stand_down_note + "\n";
    }
    if (!e.actions_note.empty()) {
        out += "\n" + e.actions_note + "\n";
    }
    bool heading = false;
    for (const engine::ActionItem& a : e.actions) {
        if (!engine::is_level(e.to) || a.level != engine::level_of(e.to)) {
            continue;  // the new level's own actions; lower levels' still stand
        }
        if (!heading) {
            out += "\nActions at " + level_text(e.to) + ":\n";
            heading = true;
        }
        out += "- " + a.role + ": " + a.action + "\n";
    }
    if (!e.transition_id.empty() && e.kind != engine::EventKind::acknowledged) {
        out += "\nAcknowledge: opel ack " + e.transition_id + " --by \"Your Name\"\n";
    }
    return out;
}

}  // namespace opel::notifyd

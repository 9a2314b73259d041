// Commands people send (command.h): acknowledging a transition and declaring a site's level.
// The Engine members live here, apart from scoring and roll-up in engine.cc: a command never
// changes a held level or a roll-up, only what a result shows and the events people see.
#include "engine/command.h"

#include <charconv>
#include <cstdint>

#include "base/check.h"
#include "engine/engine.h"

namespace opel::engine {
namespace {

void add(std::vector<FieldError>& errors, std::string field, std::string code,
         std::string message) {
    errors.push_back({std::move(field), std::move(code), std::move(message)});
}

// `by` names a person; `text` fields fit their limits.
void check_person(const std::string& by, std::vector<FieldError>& errors) {
    if (by.empty()) {
        add(errors, "by", "missing_field",
            "by (who is acting, as the team knows them) is required");
    } else if (by.size() > max_id_length) {
        add(errors, "by", "too_long",
            "by is " + std::to_string(by.size()) + " characters; at most " +
                std::to_string(max_id_length));
    }
}

void check_length(const char* field, const std::string& text, std::vector<FieldError>& errors) {
    if (text.size() > max_text_length) {
        add(errors, field, "too_long",
            std::string(field) + " is " + std::to_string(text.size()) + " characters; at most " +
                std::to_string(max_text_length));
    }
}

// FNV-1a, 64 bits: a digest for default keys (stored in them, so it never changes).
std::uint64_t fnv1a(std::string_view text, std::uint64_t h = 14695981039346656037ULL) {
    for (const char c : text) {
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    }
    return h;
}

std::string hex16(std::uint64_t value) {
    std::string hex(16, '0');
    for (std::size_t i = hex.size(); i-- > 0; value >>= 4) {
        hex[i] = "0123456789abcdef"[value & 0xf];
    }
    return hex;
}

}  // namespace

Result<TransitionRef, FieldError> parse_transition_id(std::string_view id) {
    const auto malformed = [id](const std::string& why) {
        return unexpected(FieldError{"transition_id", "malformed",
                                     "transition_id '" + std::string(id) + "' " + why +
                                         "; it is \"<node id>#<n>\" as the alert carries it, "
                                         "e.g. RWJ#7"});
    };
    if (id.empty()) {
        return unexpected(FieldError{"transition_id", "missing_field",
                                     "transition_id (the alert's \"<node id>#<n>\") is required"});
    }
    if (id.size() > max_id_length) {
        return malformed("is longer than " + std::to_string(max_id_length) + " characters");
    }
    const auto hash = id.rfind('#');
    if (hash == std::string_view::npos || hash == 0) {
        return malformed("has no node id before a '#'");
    }
    const std::string_view digits = id.substr(hash + 1);
    std::uint64_t number = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
        digits.front() == '0') {
        return malformed("does not end in a transition number from 1");
    }
    return TransitionRef{std::string(id.substr(0, hash)), number};
}

std::string command_key(const Acknowledgement& ack) { return "ack/" + ack.transition_id; }

std::string command_key(const Declaration& d, std::string_view declaration_id) {
    if (!declaration_id.empty()) {
        return "declare/" + std::string(declaration_id);
    }
    const std::uint64_t digest = fnv1a(d.reason, fnv1a(std::string(1, '\0'), fnv1a(d.by)));
    return "declare/" + d.site_id + "/" + std::to_string(d.level) + "/" +
           (d.until ? format_utc(*d.until) : std::string("-")) + "/" + hex16(digest);
}

std::string command_key(const Unacknowledged& r) {
    return "unack/" + r.transition_id + "/" + r.route + "/" +
           (r.follow_up == Unacknowledged::FollowUp::step ? "step-" : "reminder-") +
           std::to_string(r.number);
}

std::string follow_up_text(const Unacknowledged& r) {
    std::string groups;
    for (const std::string& g : r.groups) {
        groups += (groups.empty() ? "" : ", ") + g;
    }
    return (r.follow_up == Unacknowledged::FollowUp::step ? "step " : "reminder ") +
           std::to_string(r.number) + " to " + groups + " (route " + r.route + ")";
}

std::optional<NodeIndex> Engine::transition_node(const std::string& transition_id,
                                                 std::string_view doing,
                                                 std::vector<FieldError>& errors) const {
    const auto ref = parse_transition_id(transition_id);
    if (!ref) {
        errors.push_back(ref.error());
        return std::nullopt;
    }
    const auto node = model_.find_node(ref->node_id);
    if (!node) {
        add(errors, "transition_id", "unknown_node",
            "transition_id '" + transition_id + "': no node '" + ref->node_id +
                "' in the node tree");
        return std::nullopt;
    }
    const std::uint64_t made = states_[*node].transitions;
    if (ref->number > made) {
        add(errors, "transition_id", "unknown_transition",
            "transition_id '" + transition_id + "': " + ref->node_id + " has made " +
                std::to_string(made) + " status transition" + (made == 1 ? "" : "s") +
                (made == 0 ? ""
                           : " (the latest is " + ref->node_id + "#" + std::to_string(made) + ")") +
                ", so there is nothing to " + std::string(doing));
        return std::nullopt;
    }
    return node;
}

SubmitOutcome Engine::acknowledge(const Acknowledgement& ack, TimePoint now) {
    SubmitOutcome out;
    out.status = SubmitStatus::rejected;
    check_person(ack.by, out.errors);
    check_length("note", ack.note, out.errors);
    const auto node = transition_node(ack.transition_id, "acknowledge", out.errors);
    if (!out.errors.empty()) {
        return out;
    }
    out.status = SubmitStatus::accepted;
    NodeState& st = states_[*node];
    if (parse_transition_id(ack.transition_id)->number == st.transitions) {
        st.result.acknowledged = Acknowledged{ack.transition_id, ack.by, now, ack.note};
        emit(out.results, *node);
    }
    Event e = status_quo_event(EventKind::acknowledged, *node, now);
    e.transition_id = ack.transition_id;
    e.by = ack.by;
    e.note = ack.note;
    out.events.push_back(std::move(e));
    return out;
}

SubmitOutcome Engine::report_unacknowledged(const Unacknowledged& r, TimePoint now) {
    SubmitOutcome out;
    out.status = SubmitStatus::rejected;
    check_person(r.by, out.errors);
    if (r.route.empty()) {
        add(out.errors, "route", "missing_field",
            "route (the notification route whose escalation policy applies) is required");
    } else if (r.route.size() > max_id_length) {
        add(out.errors, "route", "too_long",
            "route is " + std::to_string(r.route.size()) + " characters; at most " +
                std::to_string(max_id_length));
    }
    if (r.number < 1) {
        add(out.errors, "number", "out_of_range",
            "number (the reminder's or step's, from 1) is " + std::to_string(r.number));
    }
    if (r.groups.empty()) {
        add(out.errors, "groups", "missing_field",
            "groups (whom this follow-up tells) needs at least one group");
    }
    for (std::size_t i = 0; i < r.groups.size(); ++i) {
        const std::string field = "groups[" + std::to_string(i) + "]";
        if (r.groups[i].empty() || r.groups[i].size() > max_id_length) {
            add(out.errors, field, "malformed",
                field + " must be a group name of 1 to " + std::to_string(max_id_length) +
                    " characters");
        }
    }
    const auto node = transition_node(r.transition_id, "report", out.errors);
    if (node) {
        const NodeState& st = states_[*node];
        const std::string current =
            model_.node(*node).config.id + "#" + std::to_string(st.transitions);
        if (r.transition_id != current) {
            add(out.errors, "transition_id", "superseded",
                "transition_id '" + r.transition_id +
                    "' is no longer open: the node's current "
                    "transition is " +
                    current);
        } else if (st.result.acknowledged) {
            add(out.errors, "transition_id", "acknowledged",
                "transition_id '" + r.transition_id + "' was acknowledged by " +
                    st.result.acknowledged->by + " at " + format_utc(st.result.acknowledged->at) +
                    ": nothing is open");
        }
    }
    if (!out.errors.empty()) {
        return out;
    }
    out.status = SubmitStatus::accepted;
    Event e = status_quo_event(EventKind::unacknowledged, *node, now);
    e.transition_id = r.transition_id;
    e.by = r.by;
    e.unacknowledged = r;
    out.events.push_back(std::move(e));
    return out;
}

SubmitOutcome Engine::declare(const Declaration& d, TimePoint now) {
    SubmitOutcome out;
    out.status = SubmitStatus::rejected;
    if (auto e = check_site_id(d.site_id, model_)) {
        out.errors.push_back(std::move(*e));
    }
    if (d.level < 0 || d.level > 4) {
        add(out.errors, "level", "invalid_level",
            "level must be an OPEL level 1..4 (or 0 to withdraw the standing declaration), got " +
                std::to_string(d.level));
    }
    if (d.reason.empty()) {
        add(out.errors, "reason", "missing_field",
            "reason is required: a declared level needs the clinical judgement behind it, and a "
            "withdrawal why it ends");
    }
    check_length("reason", d.reason, out.errors);
    check_person(d.by, out.errors);
    if (d.until && d.level == 0) {
        add(out.errors, "until", "unexpected_field", "a withdrawal (level 0) has no until");
    } else if (d.until && *d.until <= now) {
        add(out.errors, "until", "in_the_past",
            "until " + format_utc(*d.until) + " is not after the server clock " + format_utc(now) +
                ": the declaration would never stand");
    }
    const auto site = out.errors.empty() ? model_.find_node(d.site_id) : std::nullopt;
    if (site && d.level == 0 && !states_[*site].declaration) {
        add(out.errors, "level", "nothing_to_withdraw",
            d.site_id + " has no standing declaration to withdraw");
    }
    if (!out.errors.empty()) {
        return out;
    }
    out.status = SubmitStatus::accepted;
    NodeState& st = states_[*site];
    if (st.declaration && st.declaration->until) {
        declaration_ends_.erase({*st.declaration->until, *site});
    }
    st.declaration.reset();
    if (d.level != 0) {
        st.declaration =
            StandingDeclaration{static_cast<int>(d.level), d.reason, d.by, now, d.until};
        if (d.until) {
            declaration_ends_.insert({*d.until, *site});
        }
    }
    // A withdrawal leaves a sitrep's own declared level shown: only the standing one goes.
    if (d.level != 0 || !st.result.declared_by.empty()) {
        show_declaration(*site, nullptr);
    }
    Event e = status_quo_event(EventKind::declared, *site, now);
    e.declared_level = static_cast<int>(d.level);
    e.computed = st.status;
    e.declared_reason = d.reason;
    e.by = d.by;
    e.until = d.until;
    out.events.push_back(std::move(e));
    if (auto mismatch = declared_mismatch(*site, now)) {
        out.events.push_back(std::move(*mismatch));
    }
    emit(out.results, *site);
    return out;
}

void Engine::expire_declaration(NodeIndex site, TimePoint at, Tick& tick) {
    NodeState& st = states_[site];
    OPEL_CHECK(st.declaration && st.declaration->until == at,
               "a declaration end is queued only for the standing declaration");
    const StandingDeclaration ended = std::move(*st.declaration);
    st.declaration.reset();
    if (!st.result.declared_by.empty()) {  // shown, not overridden by a sitrep's own
        show_declaration(site, nullptr);
        st.reported_mismatch.reset();
    }
    Event e = status_quo_event(EventKind::declaration_expired, site, at);
    e.declared_level = ended.level;
    e.computed = st.status;
    e.declared_reason = ended.reason;
    e.by = ended.by;
    e.until = ended.until;
    tick.events.push_back(std::move(e));
    // Always a result: the stored state must lose the declaration, shown or not.
    emit(tick.results, site);
}

}  // namespace opel::engine

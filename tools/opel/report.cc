#include "report.h"

#include "engine/command.h"
#include "engine/text.h"

namespace opel::cli {

// Pads to `width` columns, or cuts with "~" so the next column always has a space before it.
std::string pad(std::string s, std::size_t width) {
    if (s.size() >= width) {
        s = s.substr(0, width - 2) + "~ ";
    } else {
        s.append(width - s.size(), ' ');
    }
    return s;
}

std::string level_text(engine::Status s) { return std::string(engine::to_string(s)); }

void print_errors(std::ostream& out, const std::vector<engine::FieldError>& errors) {
    for (const engine::FieldError& e : errors) {
        out << "    " << (e.field.empty() ? "(sitrep)" : e.field) << ": " << e.code << ": "
            << e.message << '\n';
    }
}

void print_site(std::ostream& out, const engine::NodeResult& r) {
    out << "    decided by: " << r.decided_by << '\n';
    if (r.declared_level != 0) {
        out << "    declared:   OPEL " << r.declared_level << " (" << r.declared_reason << ")";
        if (!r.declared_by.empty()) {
            out << " by " << r.declared_by
                << (r.declared_until ? ", until " + format_london(*r.declared_until)
                                     : std::string(", until replaced or withdrawn"));
        }
        out << '\n';
    }
    if (r.acknowledged) {
        out << "    acknowledged: " << acknowledgement_text(*r.acknowledged) << '\n';
    }
    if (const std::string held = held_note(r); !held.empty()) {
        out << "    " << held << '\n';
    }
    out << "    " << pad("parameter", 46) << pad("value", 22) << pad("threshold", 11)
        << "score  weight\n";
    for (const engine::ParameterResult& p : r.parameters) {
        std::string value = p.value ? engine::format_number(*p.value) + " " + p.unit
                                    : (p.worst_policy ? "missing" : "-");
        if (p.carried_forward) {
            value += " (carried)";
        }
        out << "    " << pad(p.name.empty() ? p.id : p.name, 46) << pad(value, 22)
            << pad(p.threshold.empty() ? "-" : p.threshold, 11)
            << pad(p.score == 0 ? "-" : std::to_string(p.score), 7) << p.weight << '\n';
    }
    out << "    " << pad("total", 46) << pad(engine::format_number(r.total), 33) << "(normalised "
        << engine::format_number(r.normalised) << "/100)\n";
}

std::string held_note(const engine::NodeResult& r) {
    if (r.kind != engine::NodeKind::site || !engine::is_level(r.status) ||
        !engine::is_level(r.computed) ||
        engine::level_of(r.status) <= engine::level_of(r.computed)) {
        return {};
    }
    return "held at " + level_text(r.status) + " above its current figures' " +
           level_text(r.computed) +
           ": its locality rolls up the current score, so it may show a lower level";
}

std::string acknowledgement_text(const engine::Acknowledged& a) {
    return a.transition_id + " by " + a.by + " at " + format_london(a.at) +
           (a.note.empty() ? std::string() : " - " + a.note);
}

void print_event(std::ostream& out, const engine::Event& e) {
    switch (e.kind) {
        case engine::EventKind::config_reloaded:
            out << "  * configuration reloaded: " << e.config_hash << '\n';
            return;
        case engine::EventKind::acknowledged:
            out << "  + acknowledged " << e.transition_id << " by " << e.by
                << (e.note.empty() ? std::string() : " - " + e.note) << " (" << e.node_id << " now "
                << level_text(e.to) << ")\n";
            return;
        case engine::EventKind::declared:
            if (e.declared_level == 0) {
                out << "  * declaration withdrawn for " << e.node_id << " by " << e.by << " - "
                    << e.declared_reason << '\n';
            } else {
                out << "  * declared " << e.node_id << " OPEL " << e.declared_level << " by "
                    << e.by << (e.until ? " until " + format_london(*e.until) : std::string())
                    << " - " << e.declared_reason << " (computed " << level_text(e.computed)
                    << ")\n";
            }
            return;
        case engine::EventKind::unacknowledged:
            out << "  ! NOT ACKNOWLEDGED " << e.transition_id << " (" << e.node_id << " at "
                << level_text(e.to) << ")"
                << (e.unacknowledged ? ": " + engine::follow_up_text(*e.unacknowledged)
                                     : std::string())
                << '\n';
            return;
        case engine::EventKind::declaration_expired:
            out << "  * declaration ended for " << e.node_id << ": OPEL " << e.declared_level
                << " by " << e.by << " stood until " << (e.until ? format_london(*e.until) : "-")
                << '\n';
            return;
        case engine::EventKind::sustained_pressure:
            out << "  ! " << pad("sustained", 13) << pad(e.transition_id, 20) << e.path << ": "
                << level_text(e.to) << ", at OPEL 3 or above since "
                << (e.pressure_since ? format_london(*e.pressure_since) : "-") << '\n';
            return;
        default:
            break;
    }
    if (e.kind == engine::EventKind::declared_mismatch) {
        out << "  ! MISMATCH " << e.node_id
            << (e.transition_id.empty() ? std::string() : " (" + e.transition_id + ")")
            << ": declared OPEL " << e.declared_level << " but computed " << level_text(e.computed)
            << " - " << e.declared_reason << '\n';
        return;
    }
    out << "  ! " << pad(std::string(engine::to_string(e.kind)), 13) << pad(e.transition_id, 20)
        << e.path << ": " << level_text(e.from) << " -> " << level_text(e.to) << '\n';
    if (!e.result.decided_by.empty()) {
        out << "      why: " << e.result.decided_by << '\n';
    }
    if (!e.stand_down_note.empty()) {
        out << "      stand down: " << e.stand_down_note << '\n';
    }
    if (!e.actions_note.empty()) {
        out << "      " << e.actions_note << '\n';
    }
    // The alert carries every action (lower levels too where the card says so); the report
    // lists the new level's own and counts the rest.
    std::size_t lower = 0;
    for (const engine::ActionItem& a : e.actions) {
        if (engine::is_level(e.to) && a.level == engine::level_of(e.to)) {
            out << "      " << a.role << ": " << a.action << '\n';
        } else {
            ++lower;
        }
    }
    if (lower > 0) {
        out << "      (and " << lower << " action" << (lower == 1 ? "" : "s")
            << " carried over from lower levels)\n";
    }
}

void print_row(std::ostream& out, int depth, const std::string& name, const engine::NodeResult& r) {
    std::string label(static_cast<std::size_t>(depth) * 2, ' ');
    label += r.node_id;
    if (!name.empty()) {
        label += " (" + name + ")";
    }
    out << "  " << pad(label, 52) << pad(level_text(r.status), 9);
    if (r.kind != engine::NodeKind::site && engine::is_level(r.status)) {
        out << "score " << engine::format_number(r.normalised) << ", coverage "
            << engine::format_number(r.coverage_percent) << "%";
        for (const engine::PillarResult& p : r.pillars) {
            out << "; " << engine::to_string(p.provider_type) << " " << level_text(p.status);
        }
    } else if (r.kind != engine::NodeKind::site) {
        out << "coverage " << engine::format_number(r.coverage_percent) << "%";
    } else if (r.as_at) {
        out << "as at " << format_london(*r.as_at);
    }
    if (r.acknowledged) {
        out << "  [acknowledged by " << r.acknowledged->by << "]";
    }
    out << '\n';
}

}  // namespace opel::cli

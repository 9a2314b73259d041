#include "engine/engine.h"

#include <algorithm>
#include <array>
#include <bit>

#include "engine/text.h"

namespace opel::engine {
namespace {

EventKind transition_kind(Status from, Status to) {
    if (to == Status::stale) {
        return EventKind::stale;
    }
    if (from == Status::stale) {
        return EventKind::recovered;
    }
    if (to == Status::unknown) {
        return EventKind::unknown;
    }
    // A first level (or the first after UNKNOWN) at OPEL 3 or 4 is pressure nobody has
    // been told of yet: an escalation, alerted and acknowledged like any other. Below
    // OPEL 3 it is only news that the level is known.
    if (from == Status::unknown) {
        return level_of(to) >= 3 ? EventKind::escalated : EventKind::known;
    }
    return level_of(to) > level_of(from) ? EventKind::escalated : EventKind::deescalated;
}

// Appends the sentence saying which band `total` is in. Appending into the result's own
// explanation keeps its buffer: no allocation per sitrep once it has grown.
void append_band_sentence(std::string& out, const Bands& bands, double total, int level) {
    out += "total ";
    out += format_number(total);
    if (level == 1) {
        out += " is below the OPEL 2 cut-off ";
        out += format_number(bands.cutoff(2));
        return;
    }
    out += " is in the OPEL ";
    out += std::to_string(level);
    out += " band (>= ";
    out += format_number(bands.cutoff(level));
    out += ')';
}

// Whether `parameters` are the card's parameters, in card order (by id).
bool labelled_by(const std::vector<ParameterResult>& parameters, const ActionCard& card) {
    if (parameters.size() != card.parameters.size()) {
        return false;
    }
    for (std::size_t i = 0; i < parameters.size(); ++i) {
        if (parameters[i].id != card.parameters[i].id) {
            return false;
        }
    }
    return true;
}

// The actions an alert about `n` at the event's new status quotes, or the note that the
// system node has no system card; nothing when the status is not a level.
void add_actions(Event& e, const ModelNode& n) {
    if (!is_level(e.to)) {
        return;
    }
    if (const auto* rows = action_rows(n)) {
        e.actions = actions_for(*rows, level_of(e.to));
    } else {
        e.actions_note = no_system_card_note(n);
    }
}

}  // namespace

std::string_view to_string(SubmitStatus status) {
    switch (status) {
        case SubmitStatus::accepted:
            return "ACCEPTED";
        case SubmitStatus::duplicate:
            return "DUPLICATE";
        case SubmitStatus::late:
            return "LATE";
        case SubmitStatus::rejected:
            break;
    }
    return "REJECTED";
}

std::string_view to_string(EventKind kind) {
    switch (kind) {
        case EventKind::escalated:
            return "escalated";
        case EventKind::deescalated:
            return "deescalated";
        case EventKind::stale:
            return "stale";
        case EventKind::recovered:
            return "recovered";
        case EventKind::unknown:
            return "unknown";
        case EventKind::known:
            return "known";
        case EventKind::config_reloaded:
            return "config_reloaded";
        case EventKind::acknowledged:
            return "acknowledged";
        case EventKind::declared:
            return "declared";
        case EventKind::declaration_expired:
            return "declaration_expired";
        case EventKind::unacknowledged:
            return "unacknowledged";
        case EventKind::sustained_pressure:
            return "sustained_pressure";
        case EventKind::declared_mismatch:
            break;
    }
    return "declared_mismatch";
}

bool is_transition(EventKind kind) {
    switch (kind) {
        case EventKind::escalated:
        case EventKind::deescalated:
        case EventKind::stale:
        case EventKind::recovered:
        case EventKind::unknown:
        case EventKind::known:
            return true;
        default:
            return false;
    }
}

Engine::Engine(EngineConfig config, EngineOptions options)
    : model_(std::move(config)),
      options_(options),
      states_(model_.node_count()),
      contributions_(model_.node_count()),
      pillar_sums_(model_.node_count()) {
    for (NodeIndex i = 0; i < model_.node_count(); ++i) {
        const ModelNode& n = model_.node(i);
        pillar_sums_[i].resize(n.pillar_groups.size());
        NodeResult& r = states_[i].result;
        r.node_id = n.config.id;
        r.path = n.path;
        r.kind = n.config.kind;
        r.card = n.config.kind == NodeKind::site ? n.card->id
                 : n.system_card != nullptr      ? n.system_card->id
                                                 : std::string();
        r.decided_by = n.config.kind == NodeKind::site ? "no sitrep accepted yet"
                                                       : "no child has reported yet";
        if (n.config.kind == NodeKind::site) {
            OPEL_CHECK(n.card != nullptr, "the Model gives every site a card");
            states_[i].carried.resize(n.card->parameters.size());
        }
    }
}

SubmitOutcome Engine::submit(const Sitrep& sitrep, std::optional<TimePoint> wall_now,
                             Duration max_clock_skew) {
    SubmitOutcome out;
    out.submission_id = sitrep.effective_submission_id();
    if (const auto seen = seen_.find(out.submission_id); seen != seen_.end()) {
        if (!seen->second.content.same_content(sitrep)) {
            out.status = SubmitStatus::rejected;
            out.errors.push_back(
                idempotency_conflict(out.submission_id, sitrep, seen->second.content));
            return out;
        }
        out.status = SubmitStatus::duplicate;
        out.original_status = seen->second.status;
        return out;
    }
    CheckedSitrep checked = check_sitrep(sitrep, model_, wall_now, max_clock_skew);
    out.errors = std::move(checked.errors);
    if (auto backfill = backfill_error(sitrep, wall_now)) {
        out.errors.push_back(std::move(*backfill));
    }
    if (!out.errors.empty()) {
        out.status = SubmitStatus::rejected;
        return out;
    }
    const NodeIndex site = *model_.find_node(sitrep.site_id);
    const TimePoint as_at = *sitrep.as_at;
    NodeState& st = states_[site];
    if (st.latest_as_at && as_at < *st.latest_as_at) {
        out.status = SubmitStatus::late;
        remember(out.submission_id, SubmitStatus::late, sitrep);
        return out;
    }
    if (st.latest_as_at && as_at == *st.latest_as_at) {
        out.corrects = as_at;
    }
    const TimePoint now = wall_now ? *wall_now : std::max(now_.value_or(as_at), as_at);
    Tick tick = advance_to(now);
    out.results = std::move(tick.results);
    out.events = std::move(tick.events);
    out.results.reserve(out.results.size() + static_cast<std::size_t>(model_.node(site).depth) + 1);
    apply(site, sitrep, checked.values, now, out);
    out.status = SubmitStatus::accepted;
    remember(out.submission_id, SubmitStatus::accepted, sitrep);
    return out;
}

void Engine::remember(const std::string& submission_id, SubmitStatus status, const Sitrep& sitrep) {
    if (!options_.track_submissions) {
        return;
    }
    Seen& seen = seen_[submission_id];
    seen.status = status;
    seen.content.site_id = sitrep.site_id;
    seen.content.as_at = sitrep.as_at;
    seen.content.measures = sitrep.measures;
}

std::optional<FieldError> Engine::backfill_error(const Sitrep& sitrep,
                                                 std::optional<TimePoint> wall_now) const {
    const auto site = model_.find_node(sitrep.site_id);
    if (!site || !sitrep.as_at || model_.node(*site).config.kind != NodeKind::site) {
        return std::nullopt;  // validation names these
    }
    // Measured from the latest of: the site's latest sitrep, and now (the daemon clock, or
    // stream time offline).
    std::optional<TimePoint> reference = states_[*site].latest_as_at;
    const std::optional<TimePoint> now = wall_now ? wall_now : now_;
    if (now && (!reference || *now > *reference)) {
        reference = now;
    }
    const Duration limit = model_.backfill_limit();
    if (!reference || *sitrep.as_at >= *reference - limit) {
        return std::nullopt;
    }
    const bool from_site = reference == states_[*site].latest_as_at;
    return FieldError{"as_at", "beyond_backfill",
                      "as_at " + format_utc(*sitrep.as_at) + " is more than " +
                          std::to_string(limit.count() / 86400) + " days before " +
                          (from_site ? "the site's latest sitrep " : "the server clock ") +
                          format_utc(*reference) +
                          " (backfill_limit_days); older figures cannot be sent"};
}

void Engine::apply(NodeIndex site, const Sitrep& sitrep, const MeasureValues& values, TimePoint now,
                   SubmitOutcome& out) {
    NodeState& st = states_[site];
    const TimePoint as_at = *sitrep.as_at;
    const CardEvaluation eval = evaluate_card(*model_.node(site).card, values, st.carried, as_at);
    for (std::size_t i = 0; i < eval.parameters.size(); ++i) {
        if (eval.parameters[i].fresh) {
            st.carried[i] = CarriedValue{*eval.parameters[i].value, as_at};
        }
    }
    st.latest_as_at = as_at;
    auto [next, note] = next_site_status(site, eval, as_at, now);
    build_site_result(site, sitrep, eval, out.submission_id, note);
    if (auto e = set_status(site, next, as_at)) {
        out.events.push_back(std::move(*e));
    }
    if (auto e = declared_mismatch(site, as_at)) {
        out.events.push_back(std::move(*e));
    }
    emit(out.results, site);
    recompute_ancestors(std::span<const NodeIndex>(&site, 1), now, out.results, out.events);
}

std::pair<Status, std::string> Engine::next_site_status(NodeIndex site, const CardEvaluation& eval,
                                                        TimePoint as_at, TimePoint now) {
    const ActionCard& card = *model_.node(site).card;
    NodeState& st = states_[site];
    // The site's old deadline entry is moved to the new deadline (no allocation).
    auto entry =
        st.deadline ? deadlines_.extract({*st.deadline, site}) : decltype(deadlines_)::node_type();
    const TimePoint deadline = as_at + card.reporting_interval + card.grace;
    st.deadline = deadline;
    if (deadline <= now) {
        st.hold = {};
        st.deadline.reset();
        return {Status::stale, "stays STALE: this sitrep is itself past its reporting deadline " +
                                   format_london(deadline)};
    }
    if (entry.empty()) {
        deadlines_.insert({deadline, site});
    } else {
        entry.value() = {deadline, site};
        deadlines_.insert(std::move(entry));
    }
    if (eval.unknown) {
        st.hold = {};
        return {Status::unknown, std::string()};
    }
    HysteresisOutcome h = apply_hysteresis(st.status, eval.level, eval.total, card.bands,
                                           card.hysteresis, as_at, st.hold);
    return {h.status, std::move(h.note)};
}

std::optional<Event> Engine::declared_mismatch(NodeIndex site, TimePoint at) {
    NodeState& st = states_[site];
    const int declared = st.result.declared_level;
    if (declared == 0 || !is_level(st.status) || declared == level_of(st.status)) {
        st.reported_mismatch.reset();
        return std::nullopt;
    }
    const std::pair<int, Status> mismatch{declared, st.status};
    if (st.reported_mismatch == mismatch) {
        return std::nullopt;
    }
    st.reported_mismatch = mismatch;
    Event e = status_quo_event(EventKind::declared_mismatch, site, at);
    e.declared_level = mismatch.first;
    e.computed = st.status;
    e.declared_reason = st.result.declared_reason;
    e.by = st.result.declared_by;
    e.until = st.result.declared_until;
    return e;
}

Event Engine::status_quo_event(EventKind kind, NodeIndex node, TimePoint at) const {
    const ModelNode& n = model_.node(node);
    const NodeState& st = states_[node];
    Event e;
    e.kind = kind;
    e.node_id = n.config.id;
    e.path = n.path;
    e.from = st.status;
    e.to = st.status;
    e.at = at;
    if (st.transitions > 0) {
        e.transition_id = n.config.id + "#" + std::to_string(st.transitions);
    }
    e.result = st.result;
    label(e.result, node);
    return e;
}

void Engine::show_declaration(NodeIndex site, const Sitrep* sitrep) {
    NodeState& st = states_[site];
    NodeResult& r = st.result;
    if (sitrep != nullptr && sitrep->declared_level) {
        r.declared_level = static_cast<int>(*sitrep->declared_level);  // 1..4 once valid
        r.declared_reason = sitrep->declared_reason;
        r.declared_by.clear();
        r.declared_until.reset();
    } else if (st.declaration) {
        r.declared_level = st.declaration->level;
        r.declared_reason = st.declaration->reason;
        r.declared_by = st.declaration->by;
        r.declared_until = st.declaration->until;
    } else {
        r.declared_level = 0;
        r.declared_reason.clear();
        r.declared_by.clear();
        r.declared_until.reset();
    }
}

void Engine::build_site_result(NodeIndex site, const Sitrep& sitrep, const CardEvaluation& eval,
                               const std::string& submission_id, const std::string& note) {
    const ModelNode& node = model_.node(site);
    const ActionCard& card = *node.card;
    NodeState& st = states_[site];
    NodeResult& r = st.result;
    r.as_at = sitrep.as_at;
    r.submission_id = submission_id;
    r.comment = sitrep.comment;
    show_declaration(site, &sitrep);
    r.total = eval.total;
    r.normalised = eval.normalised;
    set_contribution(site, {contributions_[site].status, r.normalised});
    r.band_level = eval.unknown ? Status::unknown : status_of_level(eval.band_level);
    r.computed = eval.unknown ? Status::unknown : status_of_level(eval.level);
    // Only the numbers are kept per site; label() adds the card's ids, names, units and
    // weights when a result leaves the engine.
    r.parameters.clear();  // a restored result's, from another card
    st.parameters.resize(card.parameters.size());
    for (std::size_t i = 0; i < card.parameters.size(); ++i) {
        const ParameterOutcome& o = eval.parameters[i];
        st.parameters[i] = {o.value, o.carried_from, o.score, o.carried_forward, o.worst_policy};
    }
    std::string& why = r.decided_by;
    why.clear();
    if (eval.unknown) {
        why += "UNKNOWN: ";
        why += eval.unknown_reason;
    } else {
        if (eval.floor_rule) {
            const FloorRule& fr = card.floors[*eval.floor_rule];
            // A note's own full stop is dropped: the sentence goes on after it.
            std::string_view rule_note = fr.note;
            while (rule_note.ends_with('.') || rule_note.ends_with(' ')) {
                rule_note.remove_suffix(1);
            }
            why += "floor rule: " + fr.parameter + " scores " +
                   std::to_string(eval.parameters[fr.parameter_index].score) +
                   " (>= " + std::to_string(fr.min_score) + ") so at least OPEL " +
                   std::to_string(fr.min_level) +
                   (rule_note.empty() ? std::string() : " - " + std::string(rule_note)) + "; ";
        }
        append_band_sentence(why, card.bands, eval.total, eval.band_level);
    }
    if (!note.empty()) {
        why += "; ";
        why += note;
    }
}

std::optional<Event> Engine::set_status(NodeIndex node, Status status, TimePoint at) {
    NodeState& st = states_[node];
    const Status from = st.status;
    st.status = status;
    st.result.status = status;
    set_contribution(node, {status, contributions_[node].normalised});
    if (from == status) {
        return std::nullopt;
    }
    track_pressure(node, from, at);
    ++st.transitions;
    st.result.transition_number = st.transitions;
    st.result.acknowledged.reset();  // it was of the transition before
    const ModelNode& n = model_.node(node);
    Event e;
    e.kind = transition_kind(from, status);
    e.node_id = n.config.id;
    e.path = n.path;
    e.transition_id = n.config.id + "#" + std::to_string(st.transitions);
    e.from = from;
    e.to = status;
    e.at = at;
    e.result = st.result;
    label(e.result, node);
    add_actions(e, n);
    const auto* rows = action_rows(n);
    if (e.kind == EventKind::deescalated && rows != nullptr) {
        e.stand_down_note = (*rows)[static_cast<std::size_t>(level_of(status) - 1)].stand_down_note;
    }
    return e;
}

void Engine::recompute_ancestors(std::span<const NodeIndex> changed, TimePoint at,
                                 std::vector<NodeResult>& results, std::vector<Event>& events) {
    // Deepest first so every node sees its children's new state; each node once.
    std::vector<NodeIndex>& pending = pending_;
    pending.clear();
    for (const NodeIndex c : changed) {
        for (auto p = model_.node(c).parent; p; p = model_.node(*p).parent) {
            pending.push_back(*p);
        }
    }
    if (changed.size() > 1) {
        std::sort(pending.begin(), pending.end(), [this](NodeIndex a, NodeIndex b) {
            const int da = model_.node(a).depth;
            const int db = model_.node(b).depth;
            return da != db ? da > db : a < b;
        });
        pending.erase(std::unique(pending.begin(), pending.end()), pending.end());
    }
    for (const NodeIndex node : pending) {
        if (auto e = recompute_system(node, at)) {
            events.push_back(std::move(*e));
        }
        emit(results, node);
    }
}

std::optional<Event> Engine::recompute_system(NodeIndex node, TimePoint at) {
    const ModelNode& n = model_.node(node);
    const NodeConfig& cfg = n.config;
    NodeResult& r = states_[node].result;
    r.as_at = at;
    const ChildSums sums = sum_children(n);
    r.coverage_percent = sums.all_weight > 0 ? 100 * sums.included_weight / sums.all_weight : 0;
    r.normalised = sums.included_weight > 0 ? sums.weighted_sum / sums.included_weight : 0;
    set_contribution(node, {contributions_[node].status, r.normalised});
    r.total = r.normalised;
    compute_pillars(node);

    if (sums.included_weight <= 0 || r.coverage_percent < cfg.min_coverage_percent) {
        r.computed = Status::unknown;
        r.band_level = Status::unknown;
        r.decided_by = sums.included_weight <= 0
                           ? "UNKNOWN: no child is reporting"
                           : "UNKNOWN: coverage " + format_number(r.coverage_percent) +
                                 "% is below the minimum " +
                                 format_number(cfg.min_coverage_percent) + "%";
        return set_status(node, Status::unknown, at);
    }
    std::string& why = r.decided_by;
    why.clear();
    const int band = aggregate_band(cfg, sums, r, why);
    r.band_level = status_of_level(band);
    const int level = raise_by_floors(n, band, why);
    r.computed = status_of_level(level);
    return set_status(node, system_status(node, level, at), at);
}

Engine::ChildSums Engine::sum_children(const ModelNode& n) const {
    ChildSums sums;
    for (std::size_t k = 0; k < n.children.size(); ++k) {
        const NodeIndex c = n.children[k];
        const double w = n.child_weights[k];
        sums.all_weight += w;
        const Contribution& cs = contributions_[c];
        if (!is_level(cs.status)) {
            continue;
        }
        sums.included_weight += w;
        sums.weighted_sum += w * cs.normalised;
        if (level_of(cs.status) > sums.worst) {
            sums.worst = level_of(cs.status);
            sums.worst_child = c;
        }
    }
    return sums;
}

int Engine::aggregate_band(const NodeConfig& cfg, const ChildSums& sums, const NodeResult& r,
                           std::string& why) const {
    if (cfg.aggregation == Aggregation::weighted_mean) {
        const int band = band_level(*cfg.bands, r.normalised);
        why += "weighted mean score ";
        why += format_number(r.normalised);
        why += " (coverage ";
        why += format_number(r.coverage_percent);
        why += "%): ";
        append_band_sentence(why, *cfg.bands, r.normalised, band);
        return band;
    }
    OPEL_CHECK(sums.worst_child.has_value(), "an included child has a level");
    why += "worst child level OPEL ";
    why += std::to_string(sums.worst);
    why += " (";
    why += model_.node(*sums.worst_child).config.id;
    why += "), coverage ";
    why += format_number(r.coverage_percent);
    why += '%';
    return sums.worst;
}

int Engine::raise_by_floors(const ModelNode& n, int level, std::string& why) const {
    for (const NodeFloorRule& fr : n.config.floors) {
        if (fr.level <= level) {
            continue;
        }
        int count = 0;
        for (const NodeIndex c : n.children) {
            const Status cs = contributions_[c].status;
            if (is_level(cs) && level_of(cs) >= fr.level) {
                ++count;
            }
        }
        if (count >= fr.min_children) {
            level = fr.level;
            why = "floor rule: " + std::to_string(count) + " children at OPEL " +
                  std::to_string(fr.level) + " or above (>= " + std::to_string(fr.min_children) +
                  ") so at least OPEL " + std::to_string(fr.level) +
                  (fr.note.empty() ? "" : " - " + fr.note) + "; " + why;
        }
    }
    return level;
}

Status Engine::system_status(NodeIndex node, int level, TimePoint at) {
    const NodeConfig& cfg = model_.node(node).config;
    NodeState& st = states_[node];
    if (cfg.aggregation != Aggregation::weighted_mean) {
        return status_of_level(level);
    }
    HoldState no_hold;
    const HysteresisOutcome h = apply_hysteresis(
        st.status, level, st.result.normalised, *cfg.bands,
        Hysteresis{cfg.deescalation_margin, Duration{0}, Duration{0}}, at, no_hold);
    if (!h.note.empty()) {
        st.result.decided_by += "; ";
        st.result.decided_by += h.note;
    }
    return h.status;
}

void Engine::set_contribution(NodeIndex node, Contribution c) {
    Contribution& current = contributions_[node];
    if (current.status == c.status && std::bit_cast<std::uint64_t>(current.normalised) ==
                                          std::bit_cast<std::uint64_t>(c.normalised)) {
        return;
    }
    current = c;
    for (const auto& [ics, group] : model_.node(node).pillar_slots) {
        pillar_sums_[ics][group].dirty = true;
    }
}

void Engine::compute_pillars(NodeIndex node) {
    const ModelNode& n = model_.node(node);
    NodeResult& r = states_[node].result;
    r.pillars.clear();
    if (!n.config.pillars) {
        return;
    }
    std::array<PillarSum, provider_types> sums{};
    std::vector<PillarGroup>& groups = pillar_sums_[node];
    for (std::size_t g = 0; g < groups.size(); ++g) {
        PillarGroup& group = groups[g];
        if (group.dirty) {
            group.sums = {};
            for (const PillarSite& site : n.pillar_groups[g]) {
                PillarSum& sum = group.sums[static_cast<std::size_t>(site.provider_type)];
                sum.all += site.weight;
                const Contribution& c = contributions_[site.site];
                if (is_level(c.status)) {
                    sum.included += site.weight;
                    sum.weighted += site.weight * c.normalised;
                }
            }
            group.dirty = false;
        }
        for (std::size_t t = 0; t < provider_types; ++t) {
            sums[t].all += group.sums[t].all;
            sums[t].included += group.sums[t].included;
            sums[t].weighted += group.sums[t].weighted;
        }
    }
    for (std::size_t t = 0; t < provider_types; ++t) {
        const PillarSum& sum = sums[t];
        if (sum.all <= 0) {
            continue;
        }
        PillarResult p;
        p.provider_type = static_cast<ProviderType>(t);
        p.coverage_percent = 100 * sum.included / sum.all;
        if (sum.included > 0) {
            p.normalised = sum.weighted / sum.included;
            p.status = status_of_level(band_level(*n.config.bands, p.normalised));
        }
        r.pillars.push_back(p);
    }
}

void Engine::track_pressure(NodeIndex node, Status from, TimePoint at) {
    NodeState& st = states_[node];
    const bool was = is_level(from) && level_of(from) >= 3;
    const bool is = is_level(st.status) && level_of(st.status) >= 3;
    if (was == is) {
        return;  // 3 <-> 4 is one run
    }
    const std::optional<Duration> sustained = model_.sustained_pressure();
    if (st.pressure.since && !st.pressure.reported && sustained) {
        sustained_ends_.erase({*st.pressure.since + *sustained, node});
    }
    st.pressure = {};
    if (is) {
        st.pressure.since = at;
        if (sustained) {
            sustained_ends_.insert({at + *sustained, node});
        }
    }
}

void Engine::fire_sustained(TimePoint instant, Tick& tick) {
    while (!sustained_ends_.empty() && sustained_ends_.begin()->first == instant) {
        const NodeIndex node = sustained_ends_.begin()->second;
        sustained_ends_.erase(sustained_ends_.begin());
        NodeState& st = states_[node];
        st.pressure.reported = true;
        Event e = status_quo_event(EventKind::sustained_pressure, node, instant);
        e.pressure_since = st.pressure.since;
        add_actions(e, model_.node(node));
        tick.events.push_back(std::move(e));
        // The node's (unchanged) result goes out too: a daemon stores the state of every node
        // whose result it publishes, and "reported" must be stored, or a restart would
        // report the run again.
        emit(tick.results, node);
    }
}

Tick Engine::advance_to(TimePoint now) {
    Tick tick;
    for (;;) {
        const bool stale_due = !deadlines_.empty() && deadlines_.begin()->first <= now;
        const bool sustained_due =
            !sustained_ends_.empty() && sustained_ends_.begin()->first <= now;
        if (!stale_due && !sustained_due) {
            break;
        }
        if (!stale_due ||
            (sustained_due && sustained_ends_.begin()->first < deadlines_.begin()->first)) {
            fire_sustained(sustained_ends_.begin()->first, tick);
            continue;
        }
        const TimePoint instant = deadlines_.begin()->first;
        std::vector<NodeIndex> changed;
        while (!deadlines_.empty() && deadlines_.begin()->first == instant) {
            const NodeIndex site = deadlines_.begin()->second;
            deadlines_.erase(deadlines_.begin());
            NodeState& st = states_[site];
            st.deadline.reset();
            st.hold = {};
            st.result.decided_by = "STALE: no accepted sitrep since " +
                                   format_london(*st.latest_as_at) + " (deadline " +
                                   format_london(instant) + ")";
            if (auto e = set_status(site, Status::stale, instant)) {
                tick.events.push_back(std::move(*e));
            }
            emit(tick.results, site);
            changed.push_back(site);
        }
        recompute_ancestors(changed, instant, tick.results, tick.events);
    }
    while (!declaration_ends_.empty() && declaration_ends_.begin()->first <= now) {
        const auto [until, site] = *declaration_ends_.begin();
        declaration_ends_.erase(declaration_ends_.begin());
        expire_declaration(site, until, tick);
    }
    if (!now_ || now > *now_) {
        now_ = now;
    }
    return tick;
}

void Engine::label(NodeResult& r, NodeIndex node) const {
    const ActionCard* card = model_.node(node).card;
    const std::vector<ParameterNumbers>& numbers = states_[node].parameters;
    if (card == nullptr || numbers.empty()) {
        return;  // no sitrep under this card yet: `r` keeps what it has
    }
    OPEL_CHECK(numbers.size() == card->parameters.size(), "numbers are kept in card order");
    r.parameters.clear();
    r.parameters.reserve(numbers.size());
    for (std::size_t i = 0; i < numbers.size(); ++i) {
        const Parameter& p = card->parameters[i];
        const ParameterNumbers& n = numbers[i];
        const bool scored = n.score >= 1 && n.score <= 4 && (n.value || !n.worst_policy);
        r.parameters.push_back(
            {p.id, p.name, p.unit, n.value, n.score, p.weight, n.carried_forward, n.carried_from,
             n.worst_policy,
             scored ? p.threshold_texts[static_cast<std::size_t>(n.score - 1)] : std::string()});
    }
}

NodeResult Engine::result(NodeIndex node) const {
    NodeResult r = states_[node].result;
    label(r, node);
    return r;
}

void Engine::emit(std::vector<NodeResult>& out, NodeIndex node) const {
    label(out.emplace_back(states_[node].result), node);
}

NodeSnapshot Engine::snapshot(NodeIndex node, bool include_result) const {
    const NodeState& st = states_[node];
    NodeSnapshot out{st.status,       st.transitions, st.hold,    NodeResult{},
                     st.latest_as_at, st.deadline,    st.carried, st.reported_mismatch,
                     st.declaration,  st.pressure};
    if (include_result) {
        out.result = result(node);
    }
    return out;
}

void Engine::restore(NodeIndex node, NodeSnapshot snapshot) {
    NodeState& st = states_[node];
    if (st.deadline) {
        deadlines_.erase({*st.deadline, node});
    }
    if (st.declaration && st.declaration->until) {
        declaration_ends_.erase({*st.declaration->until, node});
    }
    if (st.pressure.since && model_.sustained_pressure()) {
        sustained_ends_.erase({*st.pressure.since + *model_.sustained_pressure(), node});
    }
    const ModelNode& n = model_.node(node);
    st.status = snapshot.status;
    // A run at OPEL 3+ counts from when it began, across restarts and reloads (a changed
    // sustained time applies to it: its deadline may now be past, and fires at once).
    st.pressure = is_level(st.status) && level_of(st.status) >= 3 ? snapshot.pressure : Pressure{};
    if (st.pressure.since && !st.pressure.reported && model_.sustained_pressure()) {
        sustained_ends_.insert({*st.pressure.since + *model_.sustained_pressure(), node});
    }
    st.transitions = snapshot.transitions;
    st.hold = snapshot.hold;
    st.result = std::move(snapshot.result);
    // Identity comes from the current config, whatever was stored.
    st.result.node_id = n.config.id;
    st.result.path = n.path;
    st.result.kind = n.config.kind;
    st.result.status = st.status;
    st.result.transition_number = st.transitions;
    set_contribution(node, {st.status, st.result.normalised});
    st.latest_as_at = snapshot.latest_as_at;
    st.deadline = snapshot.deadline;
    st.reported_mismatch = snapshot.reported_mismatch;
    if (n.config.kind == NodeKind::site) {
        OPEL_CHECK(n.card != nullptr, "the Model gives every site a card");
        st.parameters.clear();
        if (labelled_by(st.result.parameters, *n.card)) {
            // Only the numbers are kept: ids, names, units and weights are the current
            // card's (label() adds them), whatever was stored.
            for (const ParameterResult& p : st.result.parameters) {
                st.parameters.push_back(
                    {p.value, p.carried_from, p.score, p.carried_forward, p.worst_policy});
            }
            st.result.parameters.clear();
        }
        st.carried = std::move(snapshot.carried);
        if (st.carried.size() != n.card->parameters.size()) {
            st.carried.assign(n.card->parameters.size(), std::nullopt);  // the card changed
        }
        if (st.deadline) {
            deadlines_.insert({*st.deadline, node});
        }
        st.declaration = std::move(snapshot.declaration);
        if (st.declaration && st.declaration->until) {
            declaration_ends_.insert({*st.declaration->until, node});
        }
    }
}

std::optional<TimePoint> Engine::next_deadline() const {
    std::optional<TimePoint> next;
    for (const auto* deadlines : {&deadlines_, &declaration_ends_, &sustained_ends_}) {
        if (!deadlines->empty() && (!next || deadlines->begin()->first < *next)) {
            next = deadlines->begin()->first;
        }
    }
    return next;
}

}  // namespace opel::engine

#include "engine/config.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "base/check.h"
#include "engine/text.h"

namespace opel::engine {
namespace {

using Where = ConfigProblem::Where;

// Lower snake_case or an ODS-style code: letters, digits, '-', '_'; no '/' (path separator)
// and no '#' (transition id separator).
bool valid_id(std::string_view id) {
    if (id.empty() || id.size() > 64) {
        return false;
    }
    for (const char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::string fmt_num(double v) { return format_number(v); }
std::string indexed(std::string_view field, std::size_t i) {
    return std::string(field) + "[" + std::to_string(i) + "]";
}

// Runs every check once over one config; single use, on the caller's thread.
class Checker {
public:
    Checker(const EngineConfig& config, const UnusableParts& unusable)
        : config_(config), unusable_(unusable) {}

    ConfigCheck run() {
        check_measures();
        check_cards();
        check_system_cards();
        if (unusable_.tree) {
            skip("checks of the tree (the tree file has errors)");
        } else {
            check_nodes();
        }
        return {std::move(problems_), std::move(skipped_)};
    }

private:
    void add(Where where, std::size_t index, std::string field, std::string message) {
        problems_.push_back({where, index, std::move(field), std::move(message)});
    }
    // Records a skipped check, once.
    void skip(std::string what) {
        if (std::find(skipped_.begin(), skipped_.end(), what) == skipped_.end()) {
            skipped_.push_back(std::move(what));
        }
    }
    static bool unusable(const std::map<std::size_t, std::set<std::string, std::less<>>>& parts,
                         std::size_t index, std::string_view field) {
        const auto it = parts.find(index);
        return it != parts.end() && it->second.contains(field);
    }

    void check_measures() {
        for (std::size_t i = 0; i < config_.measures.size(); ++i) {
            const MeasureDef& m = config_.measures[i];
            if (!valid_id(m.name)) {
                add(Where::measure, i, "name",
                    "measure name '" + m.name + "' must be 1-64 letters, digits, '-' or '_'");
            } else if (!measure_index_.emplace(m.name, i).second) {
                add(Where::measure, i, "name", "duplicate measure name '" + m.name + "'");
            }
            if (m.min && m.max && *m.min > *m.max) {
                add(Where::measure, i, "max",
                    "max " + fmt_num(*m.max) + " is below min " + fmt_num(*m.min));
            }
        }
        for (std::size_t i = 0; i < config_.measures.size(); ++i) {
            const MeasureDef& m = config_.measures[i];
            for (std::size_t k = 0; k < m.at_most.size(); ++k) {
                if (!measure_index_.contains(m.at_most[k])) {
                    add(Where::measure, i, indexed("at_most", k),
                        "unknown measure '" + m.at_most[k] + "'");
                } else if (m.at_most[k] == m.name) {
                    add(Where::measure, i, indexed("at_most", k),
                        "a measure cannot be at most itself");
                }
            }
        }
    }

    void check_measure_ref(std::size_t card, const std::string& field, const std::string& name) {
        if (unusable_.catalogue) {
            skip("measure references of the cards (the catalogue has errors)");
            return;
        }
        if (!measure_index_.contains(name)) {
            add(Where::card, card, field, "measure '" + name + "' is not in the catalogue");
        }
    }

    void check_bands(Where where, std::size_t index, const std::string& field, const Bands& b) {
        if (!(b.cutoffs[0] <= b.cutoffs[1] && b.cutoffs[1] <= b.cutoffs[2])) {
            add(where, index, field,
                "bands must satisfy opel2 <= opel3 <= opel4, got " + fmt_num(b.cutoffs[0]) + ", " +
                    fmt_num(b.cutoffs[1]) + ", " + fmt_num(b.cutoffs[2]));
        }
    }

    void check_expression(std::size_t ci, const std::string& field, const Expression& e) {
        const std::string f = field + ".";
        switch (e.kind) {
            case ExpressionKind::measure:
                if (e.numerator.size() != 1 || !e.denominator.empty()) {
                    add(Where::card, ci, field, "a measure expression names exactly one measure");
                }
                break;
            case ExpressionKind::percent:
                if (e.numerator.empty()) {
                    add(Where::card, ci, f + "percent.numerator", "needs at least one measure");
                }
                if (e.denominator.empty()) {
                    add(Where::card, ci, f + "percent.denominator", "needs at least one measure");
                }
                break;
            case ExpressionKind::percent_change:
                if (e.numerator.size() != 1 || e.denominator.size() != 1) {
                    add(Where::card, ci, field + ".percent_change",
                        "percent_change needs one value and one baseline measure");
                }
                break;
        }
        const char* num_field = e.kind == ExpressionKind::measure   ? "measure.measure"
                                : e.kind == ExpressionKind::percent ? "percent.numerator"
                                                                    : "percent_change.value";
        const char* den_field =
            e.kind == ExpressionKind::percent ? "percent.denominator" : "percent_change.baseline";
        for (std::size_t k = 0; k < e.numerator.size(); ++k) {
            check_measure_ref(
                ci, e.kind == ExpressionKind::percent ? indexed(f + num_field, k) : f + num_field,
                e.numerator[k]);
        }
        for (std::size_t k = 0; k < e.denominator.size(); ++k) {
            check_measure_ref(
                ci, e.kind == ExpressionKind::percent ? indexed(f + den_field, k) : f + den_field,
                e.denominator[k]);
        }
    }

    // Checks a parameter's id, expression, thresholds and weight; returns whether its id can
    // be referred to (floor rules).
    bool check_parameter(std::size_t ci, const ActionCard& card, std::size_t pi,
                         std::set<std::string, std::less<>>& param_ids) {
        const Parameter& p = card.parameters[pi];
        const std::string field = indexed("parameters", pi);
        bool id_ok = true;
        if (!valid_id(p.id)) {
            add(Where::card, ci, field + ".id",
                "parameter id '" + p.id + "' must be 1-64 letters, digits, '-' or '_'");
            id_ok = false;
        } else if (!param_ids.insert(p.id).second) {
            add(Where::card, ci, field + ".id", "duplicate parameter id '" + p.id + "'");
        }
        if (unusable(unusable_.card_fields, ci, field + ".expression")) {
            skip("measures of " + field + " of card '" + card.id + "' (its expression has errors)");
        } else {
            check_expression(ci, field, p.expression);
        }
        check_thresholds(ci, card, field, p);
        if (p.weight < 1) {
            add(Where::card, ci, field + ".weight",
                "weight must be a positive integer, got " + std::to_string(p.weight));
        }
        return id_ok;
    }

    void check_thresholds(std::size_t ci, const ActionCard& card, const std::string& field,
                          const Parameter& p) {
        for (const std::string_view part : {"thresholds", "direction"}) {
            if (unusable(unusable_.card_fields, ci, field + "." + std::string(part))) {
                skip("threshold order of " + field + " of card '" + card.id + "' (its " +
                     std::string(part) + (part == "direction" ? " has" : " have") + " errors)");
                return;
            }
        }
        const auto& t = p.thresholds;
        if (p.direction == Direction::higher_is_worse && !(t[0] <= t[1] && t[1] <= t[2])) {
            add(Where::card, ci, field + ".thresholds",
                "higher_is_worse thresholds must satisfy opel2 <= opel3 <= opel4, got " +
                    fmt_num(t[0]) + ", " + fmt_num(t[1]) + ", " + fmt_num(t[2]));
        }
        if (p.direction == Direction::lower_is_worse && !(t[0] >= t[1] && t[1] >= t[2])) {
            add(Where::card, ci, field + ".thresholds",
                "lower_is_worse thresholds must satisfy opel2 >= opel3 >= opel4, got " +
                    fmt_num(t[0]) + ", " + fmt_num(t[1]) + ", " + fmt_num(t[2]));
        }
    }

    // `ids_ok`: every parameter id is valid, so a floor naming no parameter is wrong.
    void check_floors(std::size_t ci, const ActionCard& card,
                      const std::set<std::string, std::less<>>& param_ids, bool ids_ok) {
        for (std::size_t fi = 0; fi < card.floors.size(); ++fi) {
            const FloorRule& fr = card.floors[fi];
            const std::string field = indexed("floors", fi);
            if (!ids_ok) {
                skip("parameter names in the floor rules of card '" + card.id +
                     "' (its parameter ids have errors)");
            } else if (!param_ids.contains(fr.parameter)) {
                add(Where::card, ci, field + ".parameter",
                    "no parameter '" + fr.parameter + "' in this card");
            }
            if (fr.min_score < 1 || fr.min_score > 4) {
                add(Where::card, ci, field + ".min_score",
                    "min_score must be 1..4, got " + std::to_string(fr.min_score));
            }
            if (fr.min_level < 1 || fr.min_level > 4) {
                add(Where::card, ci, field + ".min_level",
                    "min_level must be 1..4, got " + std::to_string(fr.min_level));
            }
        }
    }

    void check_card(std::size_t ci, const ActionCard& card) {
        if (!valid_id(card.id)) {
            add(Where::card, ci, "id",
                "card id '" + card.id + "' must be 1-64 letters, digits, '-' or '_'");
        } else if (!card_ids_.insert(card.id).second) {
            add(Where::card, ci, "id", "duplicate card id '" + card.id + "'");
        }
        if (card.parameters.empty()) {
            add(Where::card, ci, "parameters", "a card needs at least one parameter");
        }
        std::set<std::string, std::less<>> param_ids;
        bool ids_ok = true;
        for (std::size_t pi = 0; pi < card.parameters.size(); ++pi) {
            ids_ok = check_parameter(ci, card, pi, param_ids) && ids_ok;
        }
        if (unusable(unusable_.card_fields, ci, "bands")) {
            skip("band order of card '" + card.id + "' (its bands have errors)");
        } else {
            check_bands(Where::card, ci, "bands", card.bands);
        }
        check_floors(ci, card, param_ids, ids_ok);
        if (card.hysteresis.deescalation_margin < 0) {
            add(Where::card, ci, "hysteresis.deescalation_margin", "must not be negative");
        }
        if (card.reporting_interval <= Duration{0}) {
            add(Where::card, ci, "reporting_interval_minutes", "must be a positive number");
        }
    }

    void check_cards() {
        for (std::size_t ci = 0; ci < config_.cards.size(); ++ci) {
            check_card(ci, config_.cards[ci]);
        }
    }

    void check_card_reference(std::size_t ni, const NodeConfig& n) {
        if (n.card.empty() || card_ids_.contains(n.card)) {
            return;
        }
        if (unusable_.cards) {
            skip("card references of the tree's nodes (a card file has errors)");
        } else {
            add(Where::node, ni, "card", "no card with id '" + n.card + "'");
        }
    }

    void check_system_cards() {
        for (std::size_t i = 0; i < config_.system_cards.size(); ++i) {
            const std::string& id = config_.system_cards[i].id;
            if (!valid_id(id)) {
                add(Where::system_card, i, "id",
                    "system card id '" + id + "' must be 1-64 letters, digits, '-' or '_'");
            } else if (!system_card_ids_.insert(id).second) {
                add(Where::system_card, i, "id", "duplicate system card id '" + id + "'");
            }
        }
    }

    void check_system_card_reference(std::size_t ni, const NodeConfig& n) {
        if (n.system_card.empty() || system_card_ids_.contains(n.system_card)) {
            return;
        }
        if (unusable_.system_cards) {
            skip("system card references of the tree's nodes (a system card file has errors)");
        } else {
            add(Where::node, ni, "system_card", "no system card with id '" + n.system_card + "'");
        }
    }

    void check_system_node(std::size_t ni, const NodeConfig& n) {
        check_system_card_reference(ni, n);
        const bool needs_bands = n.aggregation == Aggregation::weighted_mean || n.pillars;
        if (unusable(unusable_.node_fields, ni, "bands")) {
            skip("band order of node '" + n.id + "' (its bands have errors)");
        } else if (needs_bands && !n.bands) {
            add(Where::node, ni, "bands", "a weighted_mean or pillars node needs bands (0-100)");
        } else if (n.bands) {
            check_bands(Where::node, ni, "bands", *n.bands);
        }
        if (n.deescalation_margin < 0) {
            add(Where::node, ni, "deescalation_margin", "must not be negative");
        }
        if (n.min_coverage_percent < 0 || n.min_coverage_percent > 100) {
            add(Where::node, ni, "min_coverage_percent", "must be 0..100");
        }
        if (n.pillars && n.kind != NodeKind::ics) {
            add(Where::node, ni, "pillars", "only an ICS node reports pillars");
        }
        for (std::size_t fi = 0; fi < n.floors.size(); ++fi) {
            const NodeFloorRule& fr = n.floors[fi];
            if (fr.min_children < 1) {
                add(Where::node, ni, indexed("floors", fi) + ".min_children", "must be at least 1");
            }
            if (fr.level < 1 || fr.level > 4) {
                add(Where::node, ni, indexed("floors", fi) + ".level",
                    "level must be 1..4, got " + std::to_string(fr.level));
            }
        }
    }

    // The node's own checks: id, root, weight, card reference, and by kind.
    void check_node(std::size_t ni, const NodeConfig& n) {
        if (!valid_id(n.id)) {
            add(Where::node, ni, "id",
                "node id '" + n.id + "' must be 1-64 letters, digits, '-' or '_'");
        } else if (!node_index_.emplace(n.id, ni).second) {
            add(Where::node, ni, "id", "duplicate node id '" + n.id + "'");
        }
        if (n.parent.empty()) {
            ++roots_;
            if (roots_ > 1) {
                add(Where::node, ni, "parent",
                    "only one node may have no parent (the root); '" + n.id + "' has none");
            }
        }
        if (!(n.weight > 0)) {
            add(Where::node, ni, "weight", "weight must be positive, got " + fmt_num(n.weight));
        }
        check_card_reference(ni, n);
        if (unusable(unusable_.node_fields, ni, "kind")) {
            skip("checks of node '" + n.id + "' that depend on its kind (its kind has errors)");
        } else if (n.kind == NodeKind::site) {
            if (n.provider_type == ProviderType::none) {
                add(Where::node, ni, "provider_type", "a site needs a provider_type");
            }
            if (!n.system_card.empty()) {
                add(Where::node, ni, "system_card",
                    "a site is scored by a card ('card'); system cards are for localities, "
                    "ICSs and regions");
            }
        } else {
            check_system_node(ni, n);
        }
    }

    // Walking up from `parent` (node `ni`'s parent): the first card named on the way, starting
    // with `card` (node `ni`'s own); none when the chain of parents is a cycle.
    std::optional<std::string> card_up_the_chain(std::size_t ni, std::size_t parent,
                                                 std::string card) const {
        std::set<std::size_t> seen{ni};
        std::size_t cur = parent;
        while (seen.insert(cur).second) {
            const NodeConfig& c = config_.nodes[cur];
            if (card.empty()) {
                card = c.card;
            }
            const auto next = node_index_.find(c.parent);
            if (c.parent.empty() || next == node_index_.end()) {
                return card;
            }
            cur = next->second;
        }
        return std::nullopt;
    }

    // Its parent exists and is a system, its chain of parents ends at the root, and a site
    // has a card of its own or from an ancestor.
    void check_ancestry(std::size_t ni, const NodeConfig& n) {
        if (n.parent.empty()) {
            return;
        }
        const auto parent = node_index_.find(n.parent);
        if (parent == node_index_.end()) {
            add(Where::node, ni, "parent", "no node with id '" + n.parent + "'");
            return;
        }
        if (config_.nodes[parent->second].kind == NodeKind::site) {
            add(Where::node, ni, "parent", "parent '" + n.parent + "' is a site");
        }
        const auto card = card_up_the_chain(ni, parent->second, n.card);
        if (!card) {
            add(Where::node, ni, "parent",
                "node '" + n.id + "' is in a cycle of parents (the tree must be a tree)");
        } else if (n.kind == NodeKind::site && card->empty()) {
            add(Where::node, ni, "card",
                "site '" + n.id + "' has no card and no ancestor names one");
        }
    }

    // Every system node needs at least one child.
    void check_systems_have_children() {
        std::set<std::string, std::less<>> has_child;
        for (const NodeConfig& n : config_.nodes) {
            has_child.insert(n.parent);
        }
        for (std::size_t ni = 0; ni < config_.nodes.size(); ++ni) {
            const NodeConfig& n = config_.nodes[ni];
            if (n.kind != NodeKind::site && !has_child.contains(n.id)) {
                add(Where::node, ni, "id", "system node '" + n.id + "' has no children");
            }
        }
    }

    void check_nodes() {
        for (std::size_t ni = 0; ni < config_.nodes.size(); ++ni) {
            check_node(ni, config_.nodes[ni]);
        }
        if (config_.nodes.empty()) {
            add(Where::node, 0, "nodes", "the tree has no nodes");
            return;
        }
        if (roots_ == 0) {
            add(Where::node, 0, "parent", "no root: every node has a parent");
        }
        for (std::size_t ni = 0; ni < config_.nodes.size(); ++ni) {
            check_ancestry(ni, config_.nodes[ni]);
        }
        if (config_.nodes.size() > 1 && roots_ == 1) {
            check_systems_have_children();
        }
    }

    const EngineConfig& config_;
    const UnusableParts& unusable_;
    std::vector<ConfigProblem> problems_;
    std::vector<std::string> skipped_;
    std::map<std::string, std::size_t, std::less<>> measure_index_;
    std::set<std::string, std::less<>> card_ids_;
    std::set<std::string, std::less<>> system_card_ids_;
    std::map<std::string, std::size_t, std::less<>> node_index_;  // check_node fills it
    std::size_t roots_ = 0;                                       // nodes without a parent
};

}  // namespace

double Bands::cutoff(int level) const {
    OPEL_CHECK(level >= 2 && level <= 4, "cut-offs exist for levels 2..4");
    return cutoffs[static_cast<std::size_t>(level - 2)];
}

double ActionCard::min_total() const {
    double total = 0;
    for (const Parameter& p : parameters) {
        total += p.weight;
    }
    return total;
}

double ActionCard::max_total() const { return 4 * min_total(); }

std::vector<ActionItem> actions_for(const std::array<LevelActions, 4>& rows, int level) {
    OPEL_CHECK(level >= 1 && level <= 4, "actions exist for levels 1..4");
    const int first = rows[static_cast<std::size_t>(level - 1)].includes_lower_levels ? 1 : level;
    std::vector<ActionItem> out;
    for (int l = first; l <= level; ++l) {
        for (const Action& a : rows[static_cast<std::size_t>(l - 1)].actions) {
            out.push_back({a.role, a.action, l});
        }
    }
    return out;
}

std::vector<ActionItem> ActionCard::actions_for(int level) const {
    return engine::actions_for(actions, level);
}

std::vector<ActionItem> SystemCard::actions_for(int level) const {
    return engine::actions_for(actions, level);
}

ConfigCheck check_config(const EngineConfig& config, const UnusableParts& unusable) {
    return Checker(config, unusable).run();
}

std::vector<ConfigProblem> check_config(const EngineConfig& config) {
    return check_config(config, UnusableParts{}).problems;
}

std::string_view to_string(NodeKind kind) {
    switch (kind) {
        case NodeKind::site:
            return "site";
        case NodeKind::locality:
            return "locality";
        case NodeKind::ics:
            return "ics";
        case NodeKind::region:
            return "region";
        case NodeKind::national:
            return "national";
    }
    return "site";
}

std::string_view to_string(ProviderType type) {
    switch (type) {
        case ProviderType::acute:
            return "acute";
        case ProviderType::community:
            return "community";
        case ProviderType::mental_health:
            return "mental_health";
        case ProviderType::nhs111:
            return "nhs111";
        case ProviderType::paediatric:
            return "paediatric";
        case ProviderType::none:
            break;
    }
    return "none";
}

}  // namespace opel::engine

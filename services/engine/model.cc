#include "engine/model.h"

#include "base/check.h"
#include "engine/text.h"

namespace opel::engine {
namespace {

std::vector<std::size_t> resolve(const Model& model, const std::vector<std::string>& names) {
    std::vector<std::size_t> out;
    out.reserve(names.size());
    for (const std::string& name : names) {
        const auto index = model.measure_index(name);
        OPEL_CHECK(index.has_value(), "checked config names only catalogue measures");
        out.push_back(*index);
    }
    return out;
}

}  // namespace

namespace {

// What each score of `p` means, for people (ParameterResult::threshold).
std::array<std::string, 4> threshold_texts(const Parameter& p) {
    const bool higher = p.direction == Direction::higher_is_worse;
    std::array<std::string, 4> out;
    out[0] = (higher ? "< " : "> ") + format_number(p.thresholds[0]);
    for (std::size_t s = 1; s < 4; ++s) {
        out[s] = (higher ? ">= " : "<= ") + format_number(p.thresholds[s - 1]);
    }
    return out;
}

// The index of the parameter `id` in `card` (the last, should two share it).
std::size_t parameter_index(const ActionCard& card, const std::string& id) {
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < card.parameters.size(); ++i) {
        if (card.parameters[i].id == id) {
            found = i;
        }
    }
    OPEL_CHECK(found.has_value(), "checked config floor rules name card parameters");
    return *found;
}

}  // namespace

Model::Model(EngineConfig config) {
    OPEL_CHECK(check_config(config).empty(), "a Model is built only from a checked config");
    measures_ = std::move(config.measures);
    cards_ = std::move(config.cards);
    system_cards_ = std::move(config.system_cards);
    backfill_limit_ = config.backfill_limit;
    sustained_pressure_ = config.sustained_pressure;
    index_measures();
    compile_cards();
    add_nodes(std::move(config.nodes));
    // Paths, depths and effective cards, top-down from the root.
    link(root_, nullptr);
    for (ModelNode& n : nodes_) {
        for (const NodeIndex c : n.children) {
            n.child_weights.push_back(nodes_[c].config.weight);
        }
    }
    list_pillar_sites();
}

void Model::index_measures() {
    for (std::size_t i = 0; i < measures_.size(); ++i) {
        measure_index_.emplace(measures_[i].name, i);
    }
    for (const MeasureDef& m : measures_) {
        at_most_.push_back(resolve(*this, m.at_most));
    }
}

void Model::compile_cards() {
    for (ActionCard& card : cards_) {
        for (Parameter& p : card.parameters) {
            p.threshold_texts = threshold_texts(p);
            p.expression.numerator_index = resolve(*this, p.expression.numerator);
            p.expression.denominator_index = resolve(*this, p.expression.denominator);
        }
        for (FloorRule& fr : card.floors) {
            fr.parameter_index = parameter_index(card, fr.parameter);
        }
    }
}

void Model::add_nodes(std::vector<NodeConfig> nodes) {
    nodes_.reserve(nodes.size());
    for (NodeConfig& n : nodes) {
        node_index_.emplace(n.id, nodes_.size());
        ModelNode node;
        node.config = std::move(n);
        nodes_.push_back(std::move(node));
    }
    bool have_root = false;
    for (NodeIndex i = 0; i < nodes_.size(); ++i) {
        ModelNode& n = nodes_[i];
        if (n.config.parent.empty()) {
            OPEL_CHECK(!have_root, "checked config has one root");
            root_ = i;
            have_root = true;
            continue;
        }
        const auto parent = find_node(n.config.parent);
        OPEL_CHECK(parent.has_value(), "checked config parents exist");
        n.parent = *parent;
        nodes_[*parent].children.push_back(i);
    }
    OPEL_CHECK(have_root, "checked config has a root");
}

void Model::link(NodeIndex i, const ActionCard* inherited) {
    ModelNode& n = nodes_[i];
    n.path = n.parent ? nodes_[*n.parent].path + "/" + n.config.id : n.config.id;
    n.depth = n.parent ? nodes_[*n.parent].depth + 1 : 0;
    const ActionCard* own = n.config.card.empty() ? nullptr : card(n.config.card);
    if (n.config.kind == NodeKind::site) {
        n.card = own != nullptr ? own : inherited;
        OPEL_CHECK(n.card != nullptr, "checked config gives every site a card");
        ++site_count_;
    } else {
        n.card = own;
        for (const SystemCard& sc : system_cards_) {
            if (sc.id == n.config.system_card) {
                n.system_card = &sc;
            }
        }
    }
    for (const NodeIndex child : n.children) {
        link(child, own != nullptr ? own : inherited);
    }
}

void Model::list_pillar_sites() {
    for (NodeIndex ics = 0; ics < nodes_.size(); ++ics) {
        if (!nodes_[ics].config.pillars) {
            continue;
        }
        for (const NodeIndex child : nodes_[ics].children) {
            auto group = pillar_group(ics, nodes_[ics].pillar_groups.size(), child);
            if (!group.empty()) {
                nodes_[ics].pillar_groups.push_back(std::move(group));
            }
        }
    }
}

std::vector<PillarSite> Model::pillar_group(NodeIndex ics, std::size_t group, NodeIndex child) {
    std::vector<PillarSite> sites;
    std::vector<NodeIndex> stack{child};
    while (!stack.empty()) {
        const NodeIndex c = stack.back();
        stack.pop_back();
        if (nodes_[c].config.kind == NodeKind::site) {
            nodes_[c].pillar_slots.emplace_back(ics, group);
            sites.push_back({c, nodes_[c].config.weight, nodes_[c].config.provider_type});
        }
        stack.insert(stack.end(), nodes_[c].children.rbegin(), nodes_[c].children.rend());
    }
    return sites;
}

EngineConfig Model::config() const {
    EngineConfig out{measures_, cards_, system_cards_, {}, backfill_limit_, sustained_pressure_};
    out.nodes.reserve(nodes_.size());
    for (const ModelNode& n : nodes_) {
        out.nodes.push_back(n.config);
    }
    return out;
}

const std::array<LevelActions, 4>* action_rows(const ModelNode& node) {
    if (node.config.kind == NodeKind::site) {
        return &node.card->actions;
    }
    return node.system_card != nullptr ? &node.system_card->actions : nullptr;
}

std::string no_system_card_note(const ModelNode& node) {
    return "No system action card for " + node.config.name + " (" + node.config.id +
           "): its people's actions at each level are not configured; agree a system card and "
           "name it in the tree (system_card).";
}

bool path_matches(std::string_view path, std::string_view filter) {
    if (filter.empty()) {
        return true;
    }
    const std::string padded_path = "/" + std::string(path) + "/";
    const std::string padded_filter = "/" + std::string(filter) + "/";
    return padded_path.find(padded_filter) != std::string::npos;
}

std::optional<std::size_t> Model::measure_index(std::string_view name) const {
    const auto it = measure_index_.find(name);
    if (it == measure_index_.end()) {
        return std::nullopt;
    }
    return it->second;
}

const ActionCard* Model::card(std::string_view id) const {
    for (const ActionCard& c : cards_) {
        if (c.id == id) {
            return &c;
        }
    }
    return nullptr;
}

std::optional<NodeIndex> Model::find_node(std::string_view id) const {
    const auto it = node_index_.find(id);
    if (it == node_index_.end()) {
        return std::nullopt;
    }
    return it->second;
}

}  // namespace opel::engine

// Model: a checked EngineConfig compiled for evaluation — names resolved to indices, the tree
// linked (parents, children, paths, depth), each site's effective card chosen (its own, else
// the nearest ancestor's), and each pillar ICS's descendant sites listed. Immutable after
// construction; shared read-only by the Engine. Not thread-safe to construct, safe to read.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/config.h"

namespace opel::engine {

using NodeIndex = std::size_t;

// A site an ICS's pillar levels include: its index, weight at its parent, provider type.
struct PillarSite {
    std::size_t site = 0;
    double weight = 1;
    ProviderType provider_type = ProviderType::none;
};

struct ModelNode {
    NodeConfig config;
    std::optional<NodeIndex> parent;
    std::vector<NodeIndex> children;    // in config order
    std::vector<double> child_weights;  // children[i]'s weight at this node
    std::string path;                   // "national/north-west/QOP/stockport/RWJ"
    int depth = 0;                      // root = 0
    // Sites: the card that scores them (never null). Systems: their own card (the default
    // for sites below), or null.
    const ActionCard* card = nullptr;
    // Systems: the system card their alerts quote, or null (sites: always null).
    const SystemCard* system_card = nullptr;
    // ICS with pillars: its descendant sites, grouped by the direct child whose subtree
    // holds them (in child order), so a site's change only re-sums its own group.
    std::vector<std::vector<PillarSite>> pillar_groups;
    // Sites: the pillar groups they are in, as (ICS node, group index) pairs.
    std::vector<std::pair<NodeIndex, std::size_t>> pillar_slots;
};

// Whether a node path is inside the subtree a filter names. The filter is a full path prefix
// ("national/north-west/QOP") or a run of segments anywhere in the path ("QOP/stockport",
// "RWJ"); empty matches everything. Matching is by whole segments.
bool path_matches(std::string_view path, std::string_view filter);

// The rows of actions a node's alerts quote: a site's card's, a system's system card's; null
// for a system without a system card.
const std::array<LevelActions, 4>* action_rows(const ModelNode& node);

// What an alert about a system node without a system card says instead of actions.
std::string no_system_card_note(const ModelNode& node);

// Hash for string-keyed lookups by std::string_view without building a std::string.
struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view name) const noexcept {
        return std::hash<std::string_view>{}(name);
    }
};

// Name -> index, looked up by std::string_view (sitreps name measures and sites).
template <typename T>
using NameIndex = std::unordered_map<std::string, T, NameHash, std::equal_to<>>;

class Model {
public:
    // Precondition: check_config(config) returned no problems (checked: aborts otherwise).
    explicit Model(EngineConfig config);
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    const std::vector<MeasureDef>& measures() const { return measures_; }
    std::optional<std::size_t> measure_index(std::string_view name) const;
    // Catalogue indices of each measure's at_most list.
    const std::vector<std::size_t>& at_most(std::size_t measure) const { return at_most_[measure]; }

    const std::vector<ActionCard>& cards() const { return cards_; }
    const ActionCard* card(std::string_view id) const;
    const std::vector<SystemCard>& system_cards() const { return system_cards_; }

    std::size_t node_count() const { return nodes_.size(); }
    const ModelNode& node(NodeIndex index) const { return nodes_[index]; }
    std::optional<NodeIndex> find_node(std::string_view id) const;
    NodeIndex root() const { return root_; }
    // The config this model was built from (a copy: for building a fresh engine).
    EngineConfig config() const;
    std::size_t site_count() const { return site_count_; }
    Duration backfill_limit() const { return backfill_limit_; }
    std::optional<Duration> sustained_pressure() const { return sustained_pressure_; }

private:
    // Construction steps, in this order (each relies on the ones before it).
    void index_measures();  // measure_index_ and at_most_
    void compile_cards();   // threshold texts and catalogue / parameter indices in cards_
    void add_nodes(std::vector<NodeConfig> nodes);           // nodes_, node_index_, parents, root_
    void link(NodeIndex node, const ActionCard* inherited);  // path, depth, card; recursive
    void list_pillar_sites();                                // pillar_groups, pillar_slots
    // The descendant sites of `child` (itself included) in depth-first order, as the
    // pillar group `group` of `ics`; each gets that group in its pillar_slots.
    std::vector<PillarSite> pillar_group(NodeIndex ics, std::size_t group, NodeIndex child);

    std::vector<MeasureDef> measures_;
    NameIndex<std::size_t> measure_index_;
    std::vector<std::vector<std::size_t>> at_most_;
    std::vector<ActionCard> cards_;         // never resized after construction (nodes point in)
    std::vector<SystemCard> system_cards_;  // likewise
    std::vector<ModelNode> nodes_;
    NameIndex<NodeIndex> node_index_;
    NodeIndex root_ = 0;
    std::size_t site_count_ = 0;
    Duration backfill_limit_{};
    std::optional<Duration> sustained_pressure_;
};

}  // namespace opel::engine

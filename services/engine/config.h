// The engine's configuration as plain C++: measure catalogue, action cards and node tree.
// Adapters (services/common/config) build these from files; the engine never sees a file or
// a protobuf. check_config() is the one place the cross-field rules live, and it reports
// each problem against the item and field path it concerns so the loader can turn that into
// file:line.
//
//   EngineConfig ──check_config()──▶ [ConfigProblem{where, index, field, message}]
//        │ (no problems)
//        ▼
//   Engine(config)  — resolves names to indices once, then never looks a name up again
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/time.h"

namespace opel::engine {

// One measure of the catalogue (SPEC §3).
struct MeasureDef {
    std::string name;
    std::string unit;
    bool integer = false;
    std::optional<double> min;  // inclusive
    std::optional<double> max;  // inclusive
    std::string description;
    std::vector<std::string> at_most;  // this measure may not exceed these in one sitrep
};

enum class ExpressionKind {
    measure,         // the value of numerator[0]
    percent,         // 100 × Σ numerator / Σ denominator
    percent_change,  // 100 × (numerator[0] − denominator[0]) / denominator[0]
};

// A parameter's expression. Names are catalogue measures; the *_index vectors are filled by
// the Engine (positions in the catalogue) and are empty in a freshly loaded config.
struct Expression {
    ExpressionKind kind = ExpressionKind::measure;
    std::vector<std::string> numerator;    // measure: {m}; percent_change: {value}
    std::vector<std::string> denominator;  // percent_change: {baseline}
    std::vector<std::size_t> numerator_index;
    std::vector<std::size_t> denominator_index;
};

enum class Direction { higher_is_worse, lower_is_worse };

// A scored parameter. thresholds = the values scoring 2, 3 and 4.
struct Parameter {
    std::string id;
    std::string name;
    std::string unit;
    Expression expression;
    Direction direction = Direction::higher_is_worse;
    std::array<double, 3> thresholds{};
    int weight = 1;
    // Filled by the Model: threshold_texts[score - 1] is ParameterResult::threshold.
    std::array<std::string, 4> threshold_texts{};
};

// Cut-offs for OPEL 2, 3, 4 on a total; level = 1 + number of cut-offs <= total.
struct Bands {
    std::array<double, 3> cutoffs{};
    // Cut-off of level 2..4. Precondition: 2 <= level <= 4.
    double cutoff(int level) const;
};

// "If parameter scores >= min_score then level >= min_level".
struct FloorRule {
    std::string parameter;
    int min_score = 4;
    int min_level = 1;
    std::string note;
    std::size_t parameter_index = 0;  // filled by the Engine
};

struct Hysteresis {
    double deescalation_margin = 0;  // points below the current level's cut-off
    Duration deescalate_after{0};    // on as_at
    Duration escalate_after{0};      // on as_at
};

enum class MissingPolicy { carry_forward, worst, unknown };

struct Action {
    std::string role;
    std::string action;
};

// An action as an alert quotes it, with the level whose row it comes from.
struct ActionItem {
    std::string role;
    std::string action;
    int level = 0;
};

struct LevelActions {
    std::vector<Action> actions;
    bool includes_lower_levels = false;
    std::string stand_down_note;
};

// The actions an alert at `level` (1..4) quotes from a card's rows (index = level - 1), lower
// levels first when the row says it includes them.
std::vector<ActionItem> actions_for(const std::array<LevelActions, 4>& rows, int level);

// An action card (SPEC §4).
struct ActionCard {
    std::string id;
    std::string name;
    std::string description;
    std::vector<Parameter> parameters;
    Bands bands;
    std::vector<FloorRule> floors;
    Hysteresis hysteresis;
    Duration reporting_interval{0};
    Duration grace{0};
    MissingPolicy missing = MissingPolicy::carry_forward;
    std::optional<Duration> max_age;      // carry-forward limit; nullopt = no limit
    std::array<LevelActions, 4> actions;  // index = level − 1

    double min_total() const;  // Σ weight × 1
    double max_total() const;  // Σ weight × 4
    // The actions an alert at `level` (1..4) quotes (engine::actions_for).
    std::vector<ActionItem> actions_for(int level) const;
};

// A system action card: what the people of a locality, an ICS or a region do at each level.
// It scores nothing (a system's level comes from its children); system nodes' alerts quote it.
struct SystemCard {
    std::string id;
    std::string name;
    std::string description;
    std::array<LevelActions, 4> actions;  // index = level − 1

    std::vector<ActionItem> actions_for(int level) const;
};

enum class NodeKind { site, locality, ics, region, national };
// paediatric: a children's hospital or service reporting its own level next to the adult one.
enum class ProviderType { none, acute, community, mental_health, nhs111, paediatric };
enum class Aggregation { weighted_mean, max_level };

// "If at least min_children included direct children are at level >= level, node >= level".
struct NodeFloorRule {
    int min_children = 1;
    int level = 1;
    std::string note;
};

// One node of the tree as configured.
struct NodeConfig {
    std::string id;
    std::string name;
    NodeKind kind = NodeKind::site;
    std::string parent;  // empty for the root
    double weight = 1;   // within the parent
    ProviderType provider_type = ProviderType::none;
    std::string card;         // sites: own card; systems: the default for sites below
    std::string system_card;  // systems: the system card their alerts quote; "" = none
    Aggregation aggregation = Aggregation::weighted_mean;
    std::optional<Bands> bands;  // systems, 0–100
    double deescalation_margin = 0;
    double min_coverage_percent = 0;
    std::vector<NodeFloorRule> floors;
    bool pillars = false;
};

struct EngineConfig {
    std::vector<MeasureDef> measures;
    std::vector<ActionCard> cards;
    std::vector<SystemCard> system_cards;
    std::vector<NodeConfig> nodes;
    // Sitreps whose as_at is further back than this from the site's latest sitrep or from
    // now are rejected (a typo in the year, a file of last winter sent by mistake).
    Duration backfill_limit = std::chrono::days{14};
    // A node held at OPEL 3 or 4 this long without a break is reported once (the
    // sustained_pressure event); nullopt = never.
    std::optional<Duration> sustained_pressure;
};

// One cross-field problem: which list, which item in it, the field path inside the item
// (e.g. "parameters[2].thresholds.opel3") and what is wrong.
struct ConfigProblem {
    enum class Where { measure, card, node, system_card };
    Where where = Where::card;
    std::size_t index = 0;
    std::string field;
    std::string message;
};

// The parts of a configuration that did not load (a file that did not parse, a required
// value that was missing or invalid); the loader has already reported why. Checks that read
// one of them would report nonsense, so check_config skips them and says so.
struct UnusableParts {
    bool catalogue = false;     // the catalogue did not load: measure references are not checked
    bool cards = false;         // a card file did not load: node card references are not checked
    bool system_cards = false;  // likewise for system card files and references
    bool tree = false;          // the tree did not load: no node checks
    // Per card / node index (positions in EngineConfig): the field paths that did not load.
    // Read: "parameters[i].expression", "parameters[i].thresholds", "parameters[i].direction",
    // "bands" (cards); "kind", "bands" (nodes).
    std::map<std::size_t, std::set<std::string, std::less<>>> card_fields;
    std::map<std::size_t, std::set<std::string, std::less<>>> node_fields;
};

// What check_config found: every problem, and the checks it skipped because their inputs are
// unusable ("floor rules of card 'x' (its parameter ids have errors)").
struct ConfigCheck {
    std::vector<ConfigProblem> problems;
    std::vector<std::string> skipped;
};

// Checks every cross-field rule: names unique and well-formed, thresholds ordered for their
// direction, bands ordered, weights positive, floor rules in range and naming real
// parameters, every measure a card uses in the catalogue, every site reaching a card,
// exactly one root, parents exist, no cycles. Every check whose inputs are usable runs;
// returns every problem, in config order, and the checks skipped.
ConfigCheck check_config(const EngineConfig& config, const UnusableParts& unusable);

// check_config of a config that loaded completely; only the problems.
std::vector<ConfigProblem> check_config(const EngineConfig& config);

std::string_view to_string(NodeKind kind);
std::string_view to_string(ProviderType type);

}  // namespace opel::engine

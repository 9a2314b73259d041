#include "support/engine_fixtures.h"

#include "base/check.h"

namespace opel::testing {

using namespace engine;  // NOLINT(google-build-using-namespace): test builders

TimePoint at(std::string_view rfc3339) {
    const auto t = parse_rfc3339(rfc3339);
    OPEL_CHECK(t.has_value(), "test times are valid RFC 3339");
    return *t;
}

namespace {

Parameter measure_param(std::string id, std::string measure, Direction dir, std::array<double, 3> t,
                        int weight) {
    Parameter p;
    p.id = std::move(id);
    p.name = p.id;
    p.expression.kind = ExpressionKind::measure;
    p.expression.numerator = {std::move(measure)};
    p.direction = dir;
    p.thresholds = t;
    p.weight = weight;
    return p;
}

ActionCard card(std::string id, std::vector<Parameter> params, std::array<double, 3> bands) {
    ActionCard c;
    c.id = std::move(id);
    c.name = c.id;
    c.parameters = std::move(params);
    c.bands.cutoffs = bands;
    c.reporting_interval = std::chrono::minutes{60};
    c.grace = std::chrono::minutes{30};
    for (int level = 1; level <= 4; ++level) {
        c.actions[static_cast<std::size_t>(level - 1)].actions = {
            {"site manager", "act at level " + std::to_string(level)}};
        c.actions[static_cast<std::size_t>(level - 1)].stand_down_note =
            "stand down to " + std::to_string(level);
    }
    return c;
}

NodeConfig system(std::string id, NodeKind kind, std::string parent, Aggregation agg) {
    NodeConfig n;
    n.id = std::move(id);
    n.kind = kind;
    n.parent = std::move(parent);
    n.aggregation = agg;
    n.bands = Bands{{25, 50, 75}};
    return n;
}

NodeConfig site(std::string id, std::string parent, double weight, ProviderType type) {
    NodeConfig n;
    n.id = std::move(id);
    n.kind = NodeKind::site;
    n.parent = std::move(parent);
    n.weight = weight;
    n.provider_type = type;
    return n;
}

}  // namespace

EngineConfig small_config() {
    EngineConfig c;
    for (const char* name : {"a", "b", "c", "base", "num", "den"}) {
        c.measures.push_back({name, "count", false, 0.0, 100000.0, name, {}});
    }
    c.cards.push_back(card("card4",
                           {measure_param("pa", "a", Direction::higher_is_worse, {10, 20, 30}, 1),
                            measure_param("pb", "b", Direction::lower_is_worse, {90, 80, 70}, 1)},
                           {3, 5, 7}));
    c.cards.push_back(card("card2",
                           {measure_param("pc", "c", Direction::higher_is_worse, {10, 20, 30}, 2)},
                           {4, 6, 8}));
    c.nodes.push_back(system("national", NodeKind::national, "", Aggregation::max_level));
    c.nodes.push_back(system("region", NodeKind::region, "national", Aggregation::max_level));
    NodeConfig ics = system("ICS", NodeKind::ics, "region", Aggregation::weighted_mean);
    ics.pillars = true;
    ics.card = "card4";
    c.nodes.push_back(ics);
    c.nodes.push_back(system("loc", NodeKind::locality, "ICS", Aggregation::weighted_mean));
    c.nodes.push_back(site("S1", "loc", 1, ProviderType::acute));
    c.nodes.push_back(site("S2", "loc", 3, ProviderType::acute));
    NodeConfig loc2 = system("loc2", NodeKind::locality, "ICS", Aggregation::max_level);
    c.nodes.push_back(loc2);
    NodeConfig s3 = site("S3", "loc2", 1, ProviderType::community);
    s3.card = "card2";
    c.nodes.push_back(s3);
    return c;
}

Sitrep sitrep(std::string site_id, std::string_view when,
              std::initializer_list<std::pair<const char*, double>> measures) {
    Sitrep s;
    s.site_id = std::move(site_id);
    s.as_at = at(when);
    for (const auto& [name, value] : measures) {
        s.measures.emplace(name, value);
    }
    return s;
}

NodeIndex node(const Engine& engine, std::string_view id) {
    const auto index = engine.model().find_node(id);
    OPEL_CHECK(index.has_value(), "test node ids exist");
    return *index;
}

ActionCard& card4(EngineConfig& config) { return config.cards.front(); }

}  // namespace opel::testing

// Small, readable engine configurations and sitreps for tests. Times are RFC 3339 strings.
//
// small_config(): catalogue {a, b, c, base, num, den}; card "card4" (parameters pa: measure a,
// higher worse 10/20/30; pb: measure b, lower worse 90/80/70; weights 1; bands 3/5/7;
// reporting 60 min + grace 30 min) and card "card2" (one parameter pc on c, weight 2, 10/20/30,
// bands 4/6/8); tree: national -> region -> ics "ICS" (pillars) -> locality "loc"
// (weighted_mean, bands 25/50/75) -> sites S1 (acute, weight 1), S2 (acute, weight 3),
// and locality "loc2" (max_level) -> site S3 (community, card2).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "engine/engine.h"

namespace opel::testing {

TimePoint at(std::string_view rfc3339);

engine::EngineConfig small_config();

// A sitrep for `site` at `when` with the given measures.
engine::Sitrep sitrep(std::string site, std::string_view when,
                      std::initializer_list<std::pair<const char*, double>> measures);

// Index of a node by id (aborts if absent).
engine::NodeIndex node(const engine::Engine& engine, std::string_view id);

// Card "card4" inside a config, for tests that tweak it.
engine::ActionCard& card4(engine::EngineConfig& config);

}  // namespace opel::testing

// Synthetic acute sitreps and configurations for the benchmarks: figures for the shipped
// catalogue at a chosen pressure (0 calm .. 1 OPEL 4), and generated trees of N sites.
#pragma once

#include <filesystem>
#include <string>

#include "engine/config.h"
#include "engine/sitrep.h"

namespace opel::bench {

// An acute sitrep for `site` at `as_at` with every measure the national card scores.
// `pressure` 0..1.2 moves every parameter from calm to OPEL 4.
engine::Sitrep acute_sitrep(const std::string& site, TimePoint as_at, double pressure);

// Writes a configuration with `sites` acute sites (ids S00000..) under localities of 50, in
// ICSs of 1000, under one region: the shipped catalogue and cards (national-acute, with its
// hysteresis removed when `no_hysteresis`), into `dir`. Returns the root file.
std::filesystem::path write_config(const std::filesystem::path& dir, int sites, bool no_hysteresis);

// Site id of site number `i`.
std::string site_id(int i);

// The engine configuration under `root` (a file write_config wrote); exits 1 naming the first
// problem if it does not load.
engine::EngineConfig load_config(const std::filesystem::path& root);

// `sitrep` as a serialized opel.v1.SubmitRequest: what a client sends.
std::string encoded(const engine::Sitrep& sitrep);

}  // namespace opel::bench

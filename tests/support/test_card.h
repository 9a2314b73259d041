// Sitreps for the system tests' configuration (tests/system/config: one card on handover
// minutes and NCTR share, total 2..8, bands 3/5/7) and times from the daemon's test clock,
// which starts at t0.
#pragma once

#include <string>

#include "opel/v1/sitrep.pb.h"

namespace opel::testing {

inline constexpr const char* t0 = "2026-01-13T08:00:00Z";

// RFC 3339 for t0 plus `minutes_from_t0`.
std::string at(int minutes_from_t0);

// A sitrep for the test card: handover minutes and NCTR % (of 200 occupied beds).
v1::Sitrep sitrep(const std::string& site, const std::string& as_at, double handover,
                  double nctr_percent);
// OPEL 1 with (5, 5), OPEL 4 with (70, 25).
v1::Sitrep opel1(const std::string& site, const std::string& as_at);
v1::Sitrep opel4(const std::string& site, const std::string& as_at);

}  // namespace opel::testing

// Time as the whole project sees it: UTC instants with one-second resolution (sitreps describe
// figures at a minute or coarser), RFC 3339 text on the wire, Europe/London for display.
// Pure functions; nothing here reads a clock (see clock.h for that).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace opel {

using TimePoint = std::chrono::sys_seconds;
using Duration = std::chrono::seconds;

// Formats as RFC 3339 UTC: "2026-01-06T08:00:00Z".
std::string format_utc(TimePoint t);

// Parses RFC 3339 ("2026-01-06T08:00:00Z", "2026-01-06T08:00:00+01:00", fractional seconds
// truncated). Returns nullopt for anything else, including impossible dates.
std::optional<TimePoint> parse_rfc3339(std::string_view text);

// UK civil time offset at t: +1h during British Summer Time (from 01:00 UTC on the last
// Sunday of March to 01:00 UTC on the last Sunday of October), else 0.
Duration london_offset(TimePoint t);

// Formats for people in Europe/London: "2026-01-06 08:00 GMT" / "2026-07-06 09:00 BST".
std::string format_london(TimePoint t);

}  // namespace opel

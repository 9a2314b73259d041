// Status of a site or node: OPEL 1..4, UNKNOWN (not enough valid data) or STALE (the site
// stopped reporting). Every site and node starts UNKNOWN.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/check.h"

namespace opel::engine {

enum class Status : std::uint8_t {
    unknown = 0,  // not enough valid data (also the start state)
    opel1 = 1,    // demand met within available resources
    opel2 = 2,    // first signs of pressure
    opel3 = 3,    // major pressure compromising flow
    opel4 = 4,    // unable to deliver comprehensive care
    stale = 5,    // the site stopped reporting
};

constexpr bool is_level(Status s) { return s >= Status::opel1 && s <= Status::opel4; }

// The OPEL number of a level status. Precondition: is_level(s).
constexpr int level_of(Status s) {
    OPEL_CHECK(is_level(s), "level_of needs an OPEL level");
    return static_cast<int>(s);
}

// The status for OPEL level 1..4. Precondition: 1 <= level <= 4.
constexpr Status status_of_level(int level) {
    OPEL_CHECK(level >= 1 && level <= 4, "OPEL levels are 1..4");
    return static_cast<Status>(level);
}

// "OPEL 1" .. "OPEL 4", "UNKNOWN", "STALE".
constexpr std::string_view to_string(Status s) {
    switch (s) {
        case Status::opel1:
            return "OPEL 1";
        case Status::opel2:
            return "OPEL 2";
        case Status::opel3:
            return "OPEL 3";
        case Status::opel4:
            return "OPEL 4";
        case Status::stale:
            return "STALE";
        case Status::unknown:
            break;
    }
    return "UNKNOWN";
}

}  // namespace opel::engine

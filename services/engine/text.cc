#include "engine/text.h"

#include <array>
#include <cmath>
#include <cstdio>

namespace opel::engine {

std::string format_number(double value) {
    if (!std::isfinite(value)) {
        return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
    }
    std::array<char, 64> buf{};
    std::snprintf(buf.data(), buf.size(), "%.2f", value);
    std::string s = buf.data();
    while (s.back() == '0') {
        s.pop_back();
    }
    if (s.back() == '.') {
        s.pop_back();
    }
    if (s == "-0") {
        s = "0";
    }
    return s;
}

}  // namespace opel::engine

#include "engine/text.h"

#include <array>
#include <charconv>
#include <cmath>

namespace opel::engine {

std::string format_number(double value) {
    if (!std::isfinite(value)) {
        return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
    }
    std::array<char, 64> buf{};
    const auto [end, ec] =
        std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed, 2);
    std::string s(buf.data(), ec == std::errc() ? end : buf.data());
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

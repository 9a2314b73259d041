#include "engine/text.h"

#include <array>
#include <charconv>
#include <cmath>

#include "base/check.h"

namespace opel::engine {
namespace {

std::string non_finite(double value) {
    return std::isnan(value) ? "nan" : (value > 0 ? "inf" : "-inf");
}

}  // namespace

std::string format_exact(double value) {
    if (!std::isfinite(value)) {
        return non_finite(value);
    }
    // The shortest round-trip form of any double fits in 24 characters
    // ("-2.2250738585072014e-308").
    std::array<char, 32> buf{};
    const auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
    OPEL_CHECK(ec == std::errc(), "a shortest double fits in 32 characters");
    std::string s(buf.data(), end);
    return s == "-0" ? "0" : s;
}

std::string format_number(double value) {
    const double magnitude = std::abs(value);
    if (!std::isfinite(value) || magnitude >= 1e15 || (magnitude < 0.01 && magnitude != 0)) {
        return format_exact(value);
    }
    // Below 1e15 a value with two decimals fits in 19 characters.
    std::array<char, 32> buf{};
    const auto [end, ec] =
        std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed, 2);
    OPEL_CHECK(ec == std::errc(), "a double below 1e15 with two decimals fits in 32 characters");
    std::string s(buf.data(), end);
    while (s.back() == '0') {  // "12.50" -> "12.5", "12.00" -> "12."
        s.pop_back();
    }
    if (s.back() == '.') {
        s.pop_back();
    }
    return s == "-0" ? "0" : s;
}

std::string printable(std::string_view text) {
    std::string out;
    for (const char c : text.substr(0, 100)) {
        out += c >= 0x20 && c < 0x7f ? c : '?';
    }
    return out;
}

}  // namespace opel::engine

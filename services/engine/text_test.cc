#include "engine/text.h"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <string>

namespace opel::engine {
namespace {

using limits = std::numeric_limits<double>;

double read_back(const std::string& text) {
    double value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    EXPECT_EQ(ec, std::errc()) << text;
    EXPECT_EQ(ptr, text.data() + text.size()) << text;
    return value;
}

TEST(TextTest, EveryExtremeDoubleFormatsAndReadsBackExactly) {
    for (const double v :
         {0.0, 1.0, -1.0, 0.1, 1e15, 1e62, 1e300, -1e300, limits::max(), limits::lowest(),
          limits::min(), limits::denorm_min(), -limits::denorm_min(), 123456789012345678.0}) {
        const std::string exact = format_exact(v);
        ASSERT_FALSE(exact.empty()) << v;
        EXPECT_EQ(read_back(exact), v) << exact;
        const std::string shown = format_number(v);
        ASSERT_FALSE(shown.empty()) << v;
        if (std::abs(v) >= 1e15 || (v != 0 && std::abs(v) < 0.01)) {
            EXPECT_EQ(shown, exact);  // two decimals would hide or bloat it
        }
    }
    EXPECT_EQ(format_exact(1e300), "1e+300");
    EXPECT_EQ(format_exact(-0.0), "0");
    EXPECT_EQ(format_exact(limits::infinity()), "inf");
    EXPECT_EQ(format_exact(limits::quiet_NaN()), "nan");
}

TEST(TextTest, ExplanationsRoundToTwoDecimals) {
    EXPECT_EQ(format_number(12), "12");
    EXPECT_EQ(format_number(12.5), "12.5");
    EXPECT_EQ(format_number(1.0 / 3), "0.33");
    EXPECT_EQ(format_number(-0.0), "0");
    EXPECT_EQ(format_number(0.004), "0.004");
    EXPECT_EQ(format_number(999999999999999.0), "999999999999999");
}

}  // namespace
}  // namespace opel::engine

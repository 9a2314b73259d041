// Number formatting for explanations: shortest readable form, no trailing zeros.
#pragma once

#include <string>

namespace opel::engine {

// 12 -> "12", 12.5 -> "12.5", 1.0/3 -> "0.33" (at most two decimals).
std::string format_number(double value);

}  // namespace opel::engine

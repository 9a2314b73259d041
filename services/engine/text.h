// Number formatting for explanations and error messages. Every finite double formats to a
// non-empty string, whatever its magnitude. And untrusted text made safe for a log line.
#pragma once

#include <string>
#include <string_view>

namespace opel::engine {

// For explanations: 12 -> "12", 12.5 -> "12.5", 1.0/3 -> "0.33" (at most two decimals).
// Magnitudes where two decimals would hide or bloat the value (below 0.01 but not zero, or
// 1e15 and above) take format_exact's form instead.
std::string format_number(double value);

// Exactly the value given, in the shortest form that reads back to the same double:
// 65 -> "65", 0.1 -> "0.1", 1e300 -> "1e+300", 5e-324 -> "5e-324". For echoing what a
// user sent.
std::string format_exact(double value);

// Text a client sent (a name, a topic), safe for one log line: printable ASCII only (any
// other byte is '?'), at most 100 characters.
std::string printable(std::string_view text);

}  // namespace opel::engine

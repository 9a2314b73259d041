// opel-escalatord's command line: flags, environment overrides and the checks of every
// number and time flag, done before anything is read or opened. Errors name the flag, the
// range and the value.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "adapters/config/settings.h"
#include "base/result.h"
#include "base/time.h"

namespace opel::escalatord {

extern const char* const usage;

// The flags as given (empty: not given).
struct Flags {
    std::string config;
    std::string database, submit, publish, snapshot, heartbeat;
    std::string log_level, log_format = "human";
    std::string clock_rate, clock_start, publish_hwm, pipeline_depth;
    bool allow_insecure_remote = false;
};

// The flags that take a number or a time, checked.
struct Values {
    std::optional<int> heartbeat_seconds;  // none: the config file's
    int publish_hwm = 100000;
    std::size_t pipeline_depth = 4;
    double clock_rate = 1;
    std::optional<TimePoint> clock_start;  // none: now
};

struct Options {
    Flags flags;
    Values values;
    bool help = false;  // --help / -h: print usage, do nothing else
    // --clock-rate or --clock-start given: the daemon runs on a simulated clock.
    bool simulated_clock() const { return !flags.clock_rate.empty() || !flags.clock_start.empty(); }
};

// Why the command line cannot be used, and whether the usage text should follow.
struct UsageError {
    std::string message;
    bool show_usage = false;
};

Result<Options, UsageError> parse_options(const std::vector<std::string>& args);

// --config, else $OPEL_CONFIG, else the shipped configuration.
std::string config_path(const Options& options, const std::string& shipped);

// Applies $OPEL_DATABASE_PATH and the endpoint variables, then the flags, to `settings`.
config::EscalatordSettings with_overrides(config::EscalatordSettings settings,
                                          const Options& options);

}  // namespace opel::escalatord

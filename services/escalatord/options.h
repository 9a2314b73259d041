// opel-escalatord's command line: its flags on the shared options library (names, checks,
// environment overrides and messages as in every program), checked before anything is read
// or opened.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "adapters/config/settings.h"
#include "adapters/log/log.h"
#include "adapters/options/options.h"
#include "base/result.h"
#include "base/time.h"

namespace opel::escalatord {

// The command line, checked. Empty optionals: not given (the configuration's value).
struct Options {
    std::optional<std::string> config;    // --config, else $OPEL_CONFIG
    std::optional<std::string> database;  // --database, else $OPEL_DATABASE_PATH
    // --metrics-address, else $OPEL_METRICS_ADDRESS: HTTP host:port, or "off"
    std::optional<std::string> metrics_address;
    // --group, else $OPEL_GROUP: the group sharing the database and ipc:// sockets
    std::optional<std::string> group;
    options::Endpoints endpoints;  // --submit-endpoint …, else OPEL_*_ENDPOINT
    std::optional<long> heartbeat_seconds;
    long publish_hwm = 100000;
    std::size_t pipeline_depth = 4;
    double clock_rate = 1;
    std::optional<TimePoint> clock_start;  // none: now
    std::string log_level;                 // empty: $SPDLOG_LEVEL, else info
    log::Format log_format = log::Format::human;
    bool allow_insecure_remote = false;
    // --clock-rate or --clock-start given: the daemon runs on a simulated clock.
    bool simulated_clock = false;
};

// The options, or what to print and the exit code instead (help, version, usage error).
Result<Options, options::Stop> parse_options(const std::vector<std::string>& args);

// `settings` with $OPEL_DATABASE_PATH, $OPEL_METRICS_ADDRESS and the endpoint variables, then
// the flags, applied.
config::EscalatordSettings with_overrides(config::EscalatordSettings settings,
                                          const Options& options);

}  // namespace opel::escalatord

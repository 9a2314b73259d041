// opel-notifyd's command line on the shared options library.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "adapters/config/notify_settings.h"
#include "adapters/config/settings.h"
#include "adapters/log/log.h"
#include "adapters/options/options.h"
#include "base/result.h"
#include "notifyd/notifier.h"

namespace opel::notifyd {

struct Options {
    std::optional<std::string> config;           // --config, else $OPEL_CONFIG
    std::optional<std::string> database;         // --database, else $OPEL_NOTIFY_DATABASE_PATH
    std::optional<std::string> metrics_address;  // else $OPEL_NOTIFY_METRICS_ADDRESS
    options::Endpoints endpoints;                // the escalator's: publish, snapshot, query
    PolicyClock clock = PolicyClock::wall;
    std::string log_level;
    log::Format log_format = log::Format::human;
    bool allow_insecure_remote = false;
};

Result<Options, options::Stop> parse_options(const std::vector<std::string>& args);

// The settings with the flags and environment applied.
config::NotifydSettings with_overrides(config::NotifydSettings settings, const Options& options);
config::EscalatordSettings escalator_endpoints(config::EscalatordSettings settings,
                                               const Options& options);

}  // namespace opel::notifyd

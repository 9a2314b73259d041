// opel-webd's command line on the shared options library.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "adapters/config/settings.h"
#include "adapters/log/log.h"
#include "adapters/options/options.h"
#include "base/result.h"

namespace opel::webd {

struct Options {
    std::optional<std::string> config;  // --config, else $OPEL_CONFIG
    std::string address;                // --address, else $OPEL_WEB_ADDRESS, else 127.0.0.1:8080
    std::string assets;                 // --assets, else $OPEL_WEB_ASSETS, else the shipped web/
    options::Endpoints endpoints;       // the escalator's: publish, snapshot, query
    std::chrono::seconds feed_silence{15};  // --feed-silence-seconds: nothing heard, not live
    std::chrono::milliseconds submit_timeout{5000};  // --submit-timeout-ms: per attempt
    std::string log_level;
    log::Format log_format = log::Format::human;
    bool allow_insecure_remote = false;
};

Result<Options, options::Stop> parse_options(const std::vector<std::string>& args);

}  // namespace opel::webd

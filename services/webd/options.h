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

// What the command line (and the OPEL_* variables) said; unset values come from the
// configuration's `webd` section, then the defaults (settings()).
struct Options {
    std::optional<std::string> config;   // --config, else $OPEL_CONFIG
    std::optional<std::string> address;  // --address, else $OPEL_WEB_ADDRESS
    std::optional<std::string> assets;   // --assets, else $OPEL_WEB_ASSETS
    options::Endpoints endpoints;        // the escalator's: publish, snapshot, query, submit
    std::optional<std::chrono::seconds> feed_silence;         // --feed-silence-seconds
    std::optional<std::chrono::milliseconds> submit_timeout;  // --submit-timeout-ms
    std::optional<std::string> tls_certificate;  // --tls-certificate, $OPEL_WEB_TLS_CERTIFICATE
    std::optional<std::string> tls_private_key;  // --tls-private-key, $OPEL_WEB_TLS_PRIVATE_KEY
    std::optional<std::string> users_file;       // --users-file, $OPEL_WEB_USERS
    std::string log_level;
    log::Format log_format = log::Format::human;
    bool allow_insecure_remote = false;
};

Result<Options, options::Stop> parse_options(const std::vector<std::string>& args);

// The settings in force: each flag (or variable) over the configuration's `webd` section over
// the default (assets: the shipped web/ directory).
config::WebdSettings settings(const Options& options, const config::WebdSettings& configured);

}  // namespace opel::webd

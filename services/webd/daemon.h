// opel-webd's daemon: the escalator's feed in, HTTP and WebSocket out, on one thread.
#pragma once

#include "adapters/config/loader.h"
#include "webd/options.h"

namespace spdlog {
class logger;
}

namespace opel::webd {

// Runs until SIGINT/SIGTERM. Returns the exit code.
int run_daemon(const Options& options, const config::LoadedConfig& loaded, spdlog::logger& log);

}  // namespace opel::webd

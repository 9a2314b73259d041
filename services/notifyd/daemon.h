// opel-notifyd's loop: the feed, the notifier, the sender and the monitoring routes on one
// thread, waiting in one zmq_poll on the feed socket and libcurl's sockets.
#pragma once

#include "adapters/config/loader.h"
#include "notifyd/options.h"

namespace spdlog {
class logger;
}

namespace opel::notifyd {

// Runs until SIGINT/SIGTERM; the exit code.
int run_daemon(const Options& options, const config::LoadedConfig& loaded,
               config::NotifydSettings settings, spdlog::logger& log);

}  // namespace opel::notifyd

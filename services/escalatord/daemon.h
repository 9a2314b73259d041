// opel-escalatord's life once its command line and configuration are read: opens the
// database (two connections), chooses the clock, restores state, binds the sockets, serves
// until SIGINT/SIGTERM and logs what it did.
#pragma once

#include "adapters/config/loader.h"
#include "escalatord/options.h"

namespace spdlog {
class logger;
}

namespace opel::escalatord {

// Returns the process exit code: 0 after a clean stop, 1 when the database, the state or an
// endpoint cannot be had (logged).
int run_daemon(const Options& options, config::LoadedConfig loaded, spdlog::logger& log);

}  // namespace opel::escalatord

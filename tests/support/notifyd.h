// A real opel-notifyd process for system tests: pointed at a test escalator's endpoints and a
// configuration the test wrote, its outbox in the test's directory and its metrics on a free
// loopback port (logged). start() waits until /readyz says the feed is synchronised.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/monitored_daemon.h"

namespace opel::testing {

class Daemon;

class Notifyd : public MonitoredDaemon {
public:
    Notifyd(const std::filesystem::path& dir, const std::filesystem::path& config,
            const Daemon& escalator, std::vector<std::string> extra_args = {});

    // SIGHUP, then waits until the log says the routing was taken ("reload: N recipient
    // groups") or refused ("reload refused"); true when taken.
    bool reload(std::chrono::seconds timeout = std::chrono::seconds(20));

    std::filesystem::path database() const { return dir() / "notify.db"; }
};

}  // namespace opel::testing

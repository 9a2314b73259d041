// A real opel-notifyd process for system tests: pointed at a test escalator's endpoints and a
// configuration the test wrote, its outbox in the test's directory and its metrics on a free
// loopback port (logged). start() waits until /readyz says the feed is synchronised. Every
// wait has a hard deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "support/metrics.h"

namespace opel::testing {

class Daemon;

class Notifyd {
public:
    Notifyd(std::filesystem::path dir, std::filesystem::path config, const Daemon& escalator,
            std::vector<std::string> extra_args = {});
    ~Notifyd();
    Notifyd(const Notifyd&) = delete;
    Notifyd& operator=(const Notifyd&) = delete;

    // Starts the process and waits until it is ready (false on timeout or early exit).
    bool start(std::chrono::seconds timeout = std::chrono::seconds(30));
    // Starts the process without waiting; then wait_exit() for one that should refuse to run.
    void launch();
    // The exit code of a process that ends within `timeout` (none: still running, killed).
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    int stop();    // SIGTERM and wait: the exit code, -1 if it had to be killed
    void kill9();  // SIGKILL and reap: a crash
    // SIGHUP, then waits until the log says the routing was taken ("reload: N recipient
    // groups") or refused ("reload refused"); true when taken.
    bool reload(std::chrono::seconds timeout = std::chrono::seconds(20));

    std::string log() const;
    std::filesystem::path database() const { return dir_ / "notify.db"; }
    // The metrics of the running process.
    Exposition metrics() const;
    // Waits until `name{labels}` reaches at least `value`; the last value seen.
    std::optional<double> wait_metric(const std::string& name, double value,
                                      std::chrono::milliseconds timeout,
                                      const std::map<std::string, std::string>& labels = {}) const;

private:
    std::optional<std::string> metrics_address() const;

    std::filesystem::path dir_;
    std::filesystem::path config_;
    std::vector<std::string> args_;
    pid_t pid_ = -1;
    int starts_ = 0;
};

}  // namespace opel::testing

// A real daemon process with HTTP monitoring (opel-notifyd, opel-webd) for system tests: its
// log in the test's directory, its HTTP address a free loopback port it logs ("metrics:
// http://HOST:PORT/metrics"); start() waits until /readyz answers 200. Every wait has a hard
// deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/metrics.h"

namespace opel::testing {

class MonitoredDaemon {
public:
    // `args`: the program and its arguments; the log is <dir>/<name>.log.
    MonitoredDaemon(std::filesystem::path dir, std::string name, std::vector<std::string> args);
    virtual ~MonitoredDaemon();
    MonitoredDaemon(const MonitoredDaemon&) = delete;
    MonitoredDaemon& operator=(const MonitoredDaemon&) = delete;

    // Starts the process and waits until it is ready (false on timeout or early exit).
    bool start(std::chrono::seconds timeout = std::chrono::seconds(30));
    // Starts the process without waiting; then wait_exit() for one that should refuse to run.
    void launch();
    // The exit code of a process that ends within `timeout` (none: still running, killed).
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    int stop();    // SIGTERM and wait: the exit code, -1 if it had to be killed
    void kill9();  // SIGKILL and reap: a crash
    void signal(int number) const;
    pid_t pid() const { return pid_; }

    std::string log() const;
    // "127.0.0.1:PORT" of the running process, once it has logged it.
    std::optional<std::string> address() const;
    // The metrics of the running process.
    Exposition metrics() const;
    // Waits until the log since the last start holds `text`; false when the time runs out.
    bool wait_log(const std::string& text, std::chrono::milliseconds timeout) const;
    // Waits until `name{labels}` reaches at least `value`; the last value seen.
    std::optional<double> wait_metric(const std::string& name, double value,
                                      std::chrono::milliseconds timeout,
                                      const std::map<std::string, std::string>& labels = {}) const;

protected:
    const std::filesystem::path& dir() const { return dir_; }

private:
    std::filesystem::path dir_;
    std::string name_;
    std::vector<std::string> args_;
    pid_t pid_ = -1;
    int starts_ = 0;
};

}  // namespace opel::testing

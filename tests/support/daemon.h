// A real opel-escalatord process for system tests: started with ipc:// endpoints in a
// private directory and its metrics on 127.0.0.1 port 0 (a free port the daemon logs, so
// tests in parallel never collide), waited for until it answers, stopped with SIGTERM or
// killed with SIGKILL. Every wait has a hard deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "adapters/net/curve.h"

namespace opel::testing {

// A CURVE key pair in <dir>/<name>.pub and <name>.key, one Z85 line each, as `opel keygen`
// writes them; returns the public key's Z85.
std::string write_key_pair(const std::filesystem::path& dir, const std::string& name);

class Daemon {
public:
    // `dir` holds the sockets; the database defaults to dir/opel.db and the configuration to
    // tests/system/config (unless extra_args name --database or --config). `wrapper` runs the
    // daemon through another program (e.g. setpriv to drop privileges).
    Daemon(std::filesystem::path dir, std::vector<std::string> extra_args = {},
           std::vector<std::string> wrapper = {});
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Starts the process and waits until its snapshot endpoint answers (false on timeout or
    // early exit; the log is in log_path()).
    bool start(std::chrono::seconds timeout = std::chrono::seconds(30));
    // SIGTERM and wait; returns the exit status (or -1 if it had to be killed).
    int stop(std::chrono::seconds timeout = std::chrono::seconds(15));
    // The keys start() probes the snapshot endpoint with, for a daemon using CURVE.
    void use_curve(net::ClientKeys keys) { probe_keys_ = std::move(keys); }
    // SIGKILL and reap: a crash.
    void kill9();
    // SIGHUP: the daemon re-reads its configuration (false when it is not running).
    bool reload();

    std::string submit_endpoint() const { return "ipc://" + (dir_ / "submit").string(); }
    std::string publish_endpoint() const { return "ipc://" + (dir_ / "publish").string(); }
    std::string snapshot_endpoint() const { return "ipc://" + (dir_ / "snapshot").string(); }
    std::string query_endpoint() const { return "ipc://" + (dir_ / "query").string(); }
    // The four endpoints as a client daemon's flags (--submit-endpoint EP …).
    std::vector<std::string> endpoint_args() const {
        return {"--submit-endpoint", submit_endpoint(),     "--publish-endpoint",
                publish_endpoint(),  "--snapshot-endpoint", snapshot_endpoint(),
                "--query-endpoint",  query_endpoint()};
    }
    std::filesystem::path log_path() const { return dir_ / "daemon.log"; }
    pid_t pid() const { return pid_; }
    // The exit code of a process that ended by itself during start(); -1 otherwise.
    int exit_code() const { return exit_code_; }
    std::string log() const;
    // The metrics address (127.0.0.1:PORT) the running daemon logged at its latest start;
    // none when it has not logged one (not started, or --metrics-address off).
    std::optional<std::string> metrics_address() const;

private:
    bool wait_exit(std::chrono::milliseconds timeout, int* status);

    std::filesystem::path dir_;
    std::vector<std::string> extra_args_;
    std::vector<std::string> wrapper_;
    std::optional<net::ClientKeys> probe_keys_;
    pid_t pid_ = -1;
    int exit_code_ = -1;
};

}  // namespace opel::testing

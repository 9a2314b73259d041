// A real Prometheus server for system tests: Debian's /usr/bin/prometheus (package
// `prometheus`, 2.42 on bookworm) started as a child process on a free loopback port, with
// its configuration, TSDB and log in a private directory, scraping one target every second.
// Tests read what it scraped through its HTTP API, as a dashboard or an alert rule would.
//
//   test ──fork/exec──▶ prometheus --web.listen-address 127.0.0.1:PORT
//     │                     │ GET http://TARGET/metrics every 1 s
//     │                     ▼
//     │                 opel-escalatord
//     └── GET /api/v1/… ──▶ prometheus (JSON, parsed into google.protobuf.Struct)
//
// Owner: one test, on its thread. The process never outlives the object (SIGTERM, then
// SIGKILL after a deadline, then reaped) nor the test process (PR_SET_PDEATHSIG). Every wait
// has a hard deadline.
#pragma once

#include <google/protobuf/struct.pb.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace opel::testing {

class Prometheus {
public:
    static constexpr const char* binary = "/usr/bin/prometheus";
    // True when `binary` is installed (tools/dev/test installs it).
    static bool installed();

    // `dir` must exist; it receives prometheus.yml, the TSDB (data/) and prometheus.log.
    explicit Prometheus(std::filesystem::path dir);
    ~Prometheus();
    Prometheus(const Prometheus&) = delete;
    Prometheus& operator=(const Prometheus&) = delete;

    // Writes a configuration scraping http://`target`/metrics (target: host:port) as job `job`
    // every second (timeout 800 ms), starts Prometheus on a free 127.0.0.1 port and waits until
    // /-/ready answers 200. Tries another port, twice at most, when the one it chose was taken
    // in between. False on timeout or when Prometheus exits (see log()).
    bool start(const std::string& target, const std::string& job,
               std::chrono::seconds timeout = std::chrono::seconds(60));
    // SIGTERM, SIGKILL if it has not exited within `timeout`; reaps it. Nothing when not running.
    void stop(std::chrono::seconds timeout = std::chrono::seconds(10));

    // Where its HTTP API listens (127.0.0.1:PORT); empty until start() succeeds.
    const std::string& address() const { return address_; }
    // GET `target` (e.g. "/api/v1/targets") from the API, its JSON body parsed; none when no 200
    // reply came within 5 s or the body is not JSON.
    std::optional<google::protobuf::Struct> api(const std::string& target) const;
    std::filesystem::path log_path() const { return dir_ / "prometheus.log"; }
    std::string log() const;

private:
    // One attempt on one port: spawns and waits until ready, the process exits, or `deadline`.
    bool run_on(int port, std::chrono::steady_clock::time_point deadline);

    std::filesystem::path dir_;
    std::string address_;
    pid_t pid_ = -1;
};

// `text` percent-encoded for a URL query (everything but A-Z a-z 0-9 - . _ ~).
std::string url_encode(std::string_view text);

}  // namespace opel::testing

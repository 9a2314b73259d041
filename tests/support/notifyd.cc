#include "support/notifyd.h"

#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/daemon.h"
#include "support/process.h"

namespace opel::testing {

Notifyd::Notifyd(std::filesystem::path dir, std::filesystem::path config, const Daemon& escalator,
                 std::vector<std::string> extra_args)
    : dir_(std::move(dir)), config_(std::move(config)) {
    args_ = {OPEL_NOTIFYD,
             "--config",
             config_.string(),
             "--database",
             database().string(),
             "--metrics-address",
             "127.0.0.1:0",
             "--submit-endpoint",
             escalator.submit_endpoint(),
             "--publish-endpoint",
             escalator.publish_endpoint(),
             "--snapshot-endpoint",
             escalator.snapshot_endpoint(),
             "--query-endpoint",
             escalator.query_endpoint()};
    args_.insert(args_.end(), extra_args.begin(), extra_args.end());
}

Notifyd::~Notifyd() {
    if (pid_ > 0) {
        kill9();
    }
}

void Notifyd::launch() {
    ++starts_;
    std::ofstream(dir_ / "notifyd.log", std::ios::app) << "---- start " << starts_ << " ----\n";
    pid_ = spawn(args_, dir_ / "notifyd.log", false);
}

bool Notifyd::start(std::chrono::seconds timeout) {
    launch();
    if (pid_ < 0) {
        return false;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto address = metrics_address()) {
            if (auto ready = http_get(*address, "/readyz", std::chrono::seconds(2));
                ready && ready->status == 200) {
                return true;
            }
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // it ended by itself
            pid_ = -1;
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // then look again
    }
    return false;
}

std::optional<int> Notifyd::wait_exit(std::chrono::milliseconds timeout) {
    auto code = wait_child(pid_, timeout);
    pid_ = -1;
    return code;
}

int Notifyd::stop() {
    const bool clean = end_child(pid_, std::chrono::seconds(15));
    pid_ = -1;
    return clean ? 0 : -1;
}

void Notifyd::kill9() {
    ::kill(pid_, SIGKILL);
    wait_child(pid_, std::chrono::seconds(10));
    pid_ = -1;
}

bool Notifyd::reload(std::chrono::seconds timeout) {
    const std::size_t before = log().size();
    ::kill(pid_, SIGHUP);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string since = log().substr(before);
        if (since.find("reload refused") != std::string::npos) {
            return false;
        }
        if (since.find("reload: ") != std::string::npos &&
            since.find("recipient groups") != std::string::npos) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // then read the log again
    }
    return false;
}

std::string Notifyd::log() const {
    std::ifstream in(dir_ / "notifyd.log");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::optional<std::string> Notifyd::metrics_address() const {
    const std::string text = log();
    const std::string start_marker = "---- start " + std::to_string(starts_) + " ----";
    const std::size_t from = text.rfind(start_marker);
    const std::string marker = "metrics: http://";
    const std::size_t at = text.find(marker, from == std::string::npos ? 0 : from);
    if (at == std::string::npos) {
        return std::nullopt;
    }
    const std::size_t begin = at + marker.size();
    return text.substr(begin, text.find('/', begin) - begin);
}

Exposition Notifyd::metrics() const {
    if (auto address = metrics_address()) {
        if (auto reply = http_get(*address, "/metrics")) {
            return parse_exposition(reply->body);
        }
    }
    return {};
}

std::optional<double> Notifyd::wait_metric(const std::string& name, double value,
                                           std::chrono::milliseconds timeout,
                                           const std::map<std::string, std::string>& labels) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::optional<double> seen;
    do {
        seen = metrics().value(name, labels);
        if (seen && *seen >= value) {
            return seen;
        }
        // Scrapes are the condition being awaited: poll at a modest pace.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    return seen;
}

}  // namespace opel::testing

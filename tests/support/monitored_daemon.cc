#include "support/monitored_daemon.h"

#include <sys/wait.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/process.h"

namespace opel::testing {

MonitoredDaemon::MonitoredDaemon(std::filesystem::path dir, std::string name,
                                 std::vector<std::string> args)
    : dir_(std::move(dir)), name_(std::move(name)), args_(std::move(args)) {}

MonitoredDaemon::~MonitoredDaemon() {
    if (pid_ > 0) {
        kill9();
    }
}

void MonitoredDaemon::launch() {
    ++starts_;
    std::ofstream(dir_ / (name_ + ".log"), std::ios::app) << "---- start " << starts_ << " ----\n";
    pid_ = spawn(args_, dir_ / (name_ + ".log"), false);
}

bool MonitoredDaemon::start(std::chrono::seconds timeout) {
    launch();
    if (pid_ < 0) {
        return false;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (auto at = address()) {
            if (auto ready = http_get(*at, "/readyz", std::chrono::seconds(2));
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

std::optional<int> MonitoredDaemon::wait_exit(std::chrono::milliseconds timeout) {
    auto code = wait_child(pid_, timeout);
    pid_ = -1;
    return code;
}

int MonitoredDaemon::stop() {
    const bool clean = end_child(pid_, std::chrono::seconds(15));
    pid_ = -1;
    return clean ? 0 : -1;
}

void MonitoredDaemon::kill9() {
    ::kill(pid_, SIGKILL);
    wait_child(pid_, std::chrono::seconds(10));
    pid_ = -1;
}

void MonitoredDaemon::signal(int number) const { ::kill(pid_, number); }

std::string MonitoredDaemon::log() const {
    std::ifstream in(dir_ / (name_ + ".log"));
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::optional<std::string> MonitoredDaemon::address() const {
    const std::string text = log();
    const std::string start_marker = "---- start " + std::to_string(starts_) + " ----";
    const std::size_t from = text.rfind(start_marker);
    const std::string marker = "metrics: http";  // http:// or https://
    const std::size_t at = text.find(marker, from == std::string::npos ? 0 : from);
    if (at == std::string::npos) {
        return std::nullopt;
    }
    const std::size_t begin = text.find("://", at) + 3;
    return text.substr(begin, text.find('/', begin) - begin);
}

bool MonitoredDaemon::wait_log(const std::string& text, std::chrono::milliseconds timeout) const {
    const std::string start_marker = "---- start " + std::to_string(starts_) + " ----";
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        const std::string now = log();
        const std::size_t from = now.rfind(start_marker);
        if (now.find(text, from == std::string::npos ? 0 : from) != std::string::npos) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the file grows: look again
    }
}

Exposition MonitoredDaemon::metrics() const {
    if (auto at = address()) {
        if (auto reply = http_get(*at, "/metrics")) {
            return parse_exposition(reply->body);
        }
    }
    return {};
}

std::optional<double> MonitoredDaemon::wait_metric(
    const std::string& name, double value, std::chrono::milliseconds timeout,
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

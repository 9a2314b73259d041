#include "support/daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include <array>
#include <csignal>
#include <fstream>
#include <sstream>
#include <zmq.hpp>

#include "adapters/net/client.h"
#include "opel/v1/feed.pb.h"
#include "support/process.h"

namespace opel::testing {

std::string write_key_pair(const std::filesystem::path& dir, const std::string& name) {
    std::array<char, 41> pub{};
    std::array<char, 41> sec{};
    if (zmq_curve_keypair(pub.data(), sec.data()) != 0) {
        return {};
    }
    std::ofstream(dir / (name + ".pub")) << pub.data() << "\n";
    std::ofstream(dir / (name + ".key")) << sec.data() << "\n";
    return pub.data();
}

Daemon::Daemon(std::filesystem::path dir, std::vector<std::string> extra_args,
               std::vector<std::string> wrapper)
    : dir_(std::move(dir)), extra_args_(std::move(extra_args)), wrapper_(std::move(wrapper)) {}

Daemon::~Daemon() {
    if (pid_ > 0) {
        kill9();
    }
}

bool Daemon::start(std::chrono::seconds timeout) {
    std::vector<std::string> args = {OPEL_ESCALATORD,
                                     "--submit-endpoint",
                                     submit_endpoint(),
                                     "--publish-endpoint",
                                     publish_endpoint(),
                                     "--snapshot-endpoint",
                                     snapshot_endpoint(),
                                     "--query-endpoint",
                                     query_endpoint(),
                                     "--heartbeat-seconds",
                                     "1"};
    bool has_database = false;
    bool has_metrics = false;
    bool has_config = false;
    for (const std::string& a : extra_args_) {
        has_config = has_config || a == "--config";
        has_database = has_database || a == "--database";
        has_metrics = has_metrics || a == "--metrics-address";
    }
    if (!has_config) {
        args.insert(args.end(), {"--config", OPEL_TEST_CONFIG});
    }
    if (!has_database) {
        args.insert(args.end(), {"--database", (dir_ / "opel.db").string()});
    }
    if (!has_metrics) {
        args.insert(args.end(), {"--metrics-address", "127.0.0.1:0"});
    }
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    args.insert(args.begin(), wrapper_.begin(), wrapper_.end());
    pid_ = spawn(std::move(args), log_path(), false);
    if (pid_ < 0) {
        return false;
    }
    zmq::context_t context;
    v1::SnapshotRequest request;
    request.set_subtree("no-such-node");
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        net::RequestClient client(context, snapshot_endpoint(), probe_keys_);
        if (client.request(request.SerializeAsString(), std::chrono::milliseconds(200), 0)) {
            return true;
        }
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;  // exited early: see the log
            exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            return false;
        }
    }
    return false;
}

bool Daemon::wait_exit(std::chrono::milliseconds timeout, int* status) {
    const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
    if (fd >= 0) {
        pollfd p{fd, POLLIN, 0};
        poll(&p, 1, static_cast<int>(timeout.count()));
        close(fd);
    }
    return waitpid(pid_, status, fd >= 0 ? WNOHANG : 0) == pid_;
}

int Daemon::stop(std::chrono::seconds timeout) {
    if (pid_ <= 0) {
        return -1;
    }
    ::kill(pid_, SIGTERM);
    int status = 0;
    if (!wait_exit(timeout, &status)) {
        kill9();
        return -1;
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool Daemon::reload() { return pid_ > 0 && ::kill(pid_, SIGHUP) == 0; }

void Daemon::kill9() {
    if (pid_ <= 0) {
        return;
    }
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
}

std::optional<std::string> Daemon::metrics_address() const {
    const std::string text = log();
    const std::string marker = "metrics: http://";
    const std::size_t at = text.rfind(marker);
    if (at == std::string::npos) {
        return std::nullopt;
    }
    const std::size_t begin = at + marker.size();
    return text.substr(begin, text.find('/', begin) - begin);
}

std::string Daemon::log() const {
    std::ifstream in(log_path());
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace opel::testing

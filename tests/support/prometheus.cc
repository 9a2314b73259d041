#include "support/prometheus.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "support/metrics.h"
#include "support/process.h"

namespace opel::testing {
namespace {

using namespace std::chrono_literals;

// A port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed); 0 on
// error. Another process may take it before Prometheus binds it: start() retries.
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    int port = 0;
    // NOLINTBEGIN(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    if (fd >= 0 && ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) == 0) {
        port = ntohs(address.sin_port);
    }
    // NOLINTEND(cppcoreguidelines-pro-type-reinterpret-cast)
    if (fd >= 0) {
        ::close(fd);
    }
    return port;
}

std::string read_from(const std::filesystem::path& file, std::streamoff offset) {
    std::ifstream in(file);
    in.seekg(offset);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

bool Prometheus::installed() { return ::access(binary, X_OK) == 0; }

Prometheus::Prometheus(std::filesystem::path dir) : dir_(std::move(dir)) {}

Prometheus::~Prometheus() { stop(); }

bool Prometheus::start(const std::string& target, const std::string& job,
                       std::chrono::seconds timeout) {
    std::ofstream config(dir_ / "prometheus.yml");
    config << "global:\n"
           << "  scrape_interval: 1s\n"
           << "  scrape_timeout: 800ms\n"
           << "scrape_configs:\n"
           << "  - job_name: '" << job << "'\n"
           << "    static_configs:\n"
           << "      - targets: ['" << target << "']\n";
    config.close();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    constexpr int attempts = 3;
    for (int attempt = 1; attempt <= attempts; ++attempt) {
        const auto logged = static_cast<std::streamoff>(
            std::filesystem::exists(log_path()) ? std::filesystem::file_size(log_path()) : 0);
        const int port = free_port();
        if (port != 0 && run_on(port, deadline)) {
            return true;
        }
        // Only a port taken between free_port() and Prometheus's bind is worth another try.
        if (pid_ > 0 ||
            read_from(log_path(), logged).find("address already in use") == std::string::npos) {
            stop();
            return false;
        }
    }
    return false;
}

bool Prometheus::run_on(int port, std::chrono::steady_clock::time_point deadline) {
    const std::string listen = "127.0.0.1:" + std::to_string(port);
    std::vector<std::string> args = {binary, "--config.file=" + (dir_ / "prometheus.yml").string(),
                                     "--storage.tsdb.path=" + (dir_ / "data").string(),
                                     "--web.listen-address=" + listen};
    pid_ = spawn(std::move(args), log_path(), true);
    if (pid_ < 0) {
        return false;
    }
    while (std::chrono::steady_clock::now() < deadline) {
        const auto ready = http_get(listen, "/-/ready", 1s);
        if (ready && ready->status == 200) {
            address_ = listen;
            return true;
        }
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;  // exited: the log says why
            return false;
        }
        std::this_thread::sleep_for(200ms);
    }
    return false;
}

void Prometheus::stop(std::chrono::seconds timeout) {
    if (pid_ <= 0) {
        return;
    }
    end_child(pid_, timeout);
    pid_ = -1;
    address_.clear();
}

std::optional<google::protobuf::Struct> Prometheus::api(const std::string& target) const {
    if (address_.empty()) {
        return std::nullopt;
    }
    const auto reply = http_get(address_, target, 5s);
    google::protobuf::Struct json;
    if (!reply || reply->status != 200 ||
        !google::protobuf::util::JsonStringToMessage(reply->body, &json).ok()) {
        return std::nullopt;
    }
    return json;
}

std::string Prometheus::log() const { return read_from(log_path(), 0); }

std::string url_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            out += '%';
            out += hex[u >> 4U];
            out += hex[u & 0xFU];
        }
    }
    return out;
}

}  // namespace opel::testing

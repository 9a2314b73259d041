#include "support/receivers.h"

#include <poll.h>
#include <simdjson.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include "support/metrics.h"
#include "support/process.h"

namespace opel::testing {
namespace {

namespace fs = std::filesystem;
namespace dom = simdjson::dom;
using namespace std::chrono_literals;

constexpr const char* python = "/usr/bin/python3";
// The longest a wait goes without looking again, should an inotify event be missed.
constexpr std::chrono::milliseconds max_nap = 100ms;

fs::path script(const std::string& name) {
    return fs::path(OPEL_SOURCE_DIR) / "tests" / "support" / "receivers" / name;
}

std::string read_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A fresh directory under the system's temporary directory, "opel-<name>-XXXXXX".
fs::path make_temp_dir(const std::string& name) {
    std::string pattern = (fs::temp_directory_path() / ("opel-" + name + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    return pattern;
}

// An inotify descriptor watching the files in `dir` for writes, creation and renames into it;
// -1 when inotify is unavailable (waits then just look every max_nap).
int watch_dir(const fs::path& dir) {
    const int fd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    if (fd >= 0 && ::inotify_add_watch(fd, dir.c_str(), IN_MODIFY | IN_CREATE | IN_MOVED_TO) < 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Blocks until a watched file may have changed, max_nap passes, or `deadline`; false when the
// deadline has passed. Drains the pending events.
bool nap(int inotify, std::chrono::steady_clock::time_point deadline) {
    // Rounded up, so the last nap ends at the deadline, not up to a millisecond before it.
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
        return false;
    }
    pollfd p{inotify, POLLIN, 0};
    ::poll(&p, inotify >= 0 ? 1 : 0, static_cast<int>(std::min(left, max_nap).count()));
    std::array<char, 4096> events{};
    while (inotify >= 0 && ::read(inotify, events.data(), events.size()) > 0) {
    }
    return true;
}

// One JSON object from a receiver's log; its accessors throw std::runtime_error naming the
// line when a member is missing or has another type.
class LogLine {
public:
    LogLine(dom::parser& parser, const std::string& line) : line_(line) {
        if (parser.parse(line).get(object_) != simdjson::SUCCESS) {
            fail("not a JSON object");
        }
    }

    std::string text(const char* key) const {
        std::string_view value;
        if (member(key).get_string().get(value) != simdjson::SUCCESS) {
            fail(std::string(key) + " is not a string");
        }
        return std::string(value);
    }

    std::int64_t integer(const char* key) const {
        std::int64_t value = 0;
        if (member(key).get_int64().get(value) != simdjson::SUCCESS) {
            fail(std::string(key) + " is not an integer");
        }
        return value;
    }

    double number(const char* key) const {
        double value = 0;
        if (member(key).get_double().get(value) != simdjson::SUCCESS) {
            fail(std::string(key) + " is not a number");
        }
        return value;
    }

    std::optional<int> optional_integer(const char* key) const {
        if (member(key).is_null()) {
            return std::nullopt;
        }
        return static_cast<int>(integer(key));
    }

    std::map<std::string, std::string> strings(const char* key) const {
        dom::object object;
        if (member(key).get_object().get(object) != simdjson::SUCCESS) {
            fail(std::string(key) + " is not an object");
        }
        std::map<std::string, std::string> out;
        for (const dom::key_value_pair field : object) {
            std::string_view value;
            if (field.value.get_string().get(value) != simdjson::SUCCESS) {
                fail(std::string(key) + "." + std::string(field.key) + " is not a string");
            }
            out.emplace(field.key, value);
        }
        return out;
    }

    std::vector<std::string> list(const char* key) const {
        dom::array array;
        if (member(key).get_array().get(array) != simdjson::SUCCESS) {
            fail(std::string(key) + " is not an array");
        }
        std::vector<std::string> out;
        for (const dom::element item : array) {
            std::string_view value;
            if (item.get_string().get(value) != simdjson::SUCCESS) {
                fail(std::string(key) + " holds a non-string");
            }
            out.emplace_back(value);
        }
        return out;
    }

private:
    dom::element member(const char* key) const {
        dom::element value;
        if (object_[key].get(value) != simdjson::SUCCESS) {
            fail(std::string("no member ") + key);
        }
        return value;
    }

    [[noreturn]] void fail(const std::string& why) const {
        throw std::runtime_error("receiver log line: " + why + ": " + line_);
    }

    const std::string& line_;
    dom::object object_;
};

HttpReceiver::Request to_request(dom::parser& parser, const std::string& line) {
    const LogLine json(parser, line);
    HttpReceiver::Request r;
    r.seq = json.integer("seq");
    r.method = json.text("method");
    r.path = json.text("path");
    r.headers = json.strings("headers");
    r.body = json.text("body");
    r.status = json.optional_integer("status");
    r.at = json.number("at");
    return r;
}

SmtpSink::Mail to_mail(dom::parser& parser, const std::string& line) {
    const LogLine json(parser, line);
    SmtpSink::Mail m;
    m.seq = json.integer("seq");
    m.mail_from = json.text("mail_from");
    m.rcpt_tos = json.list("rcpt_tos");
    m.data = json.text("data");
    m.at = json.number("at");
    return m;
}

template <typename T>
std::vector<T> parse_all(const std::vector<std::string>& lines,
                         T (*parse)(dom::parser&, const std::string&)) {
    dom::parser parser;
    std::vector<T> out;
    out.reserve(lines.size());
    for (const std::string& line : lines) {
        out.push_back(parse(parser, line));
    }
    return out;
}

}  // namespace

// ---- ReceiverProcess ----

ReceiverProcess::ReceiverProcess(const std::string& name, const fs::path& script,
                                 const std::vector<std::string>& args,
                                 std::chrono::milliseconds timeout)
    : dir_(make_temp_dir(name)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::vector<std::string> argv = {python, script.string()};
    for (std::string a : args) {
        if (a.rfind("{dir}", 0) == 0) {
            a = dir_.string() + a.substr(5);
        }
        argv.push_back(std::move(a));
    }
    argv.insert(argv.end(), {"--port-file", (dir_ / "port").string()});
    const int inotify = watch_dir(dir_);  // before the child starts: no event is missed
    pid_ = spawn(std::move(argv), dir_ / "output.log", true);
    std::string why;
    while (pid_ > 0 && port_ == 0) {
        // The script renames a complete port file into place.
        std::istringstream(read_file(dir_ / "port")) >> port_;
        int status = 0;
        if (port_ != 0) {
            break;
        }
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            why = "exited with status " +
                  std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        } else if (!nap(inotify, deadline)) {
            why = "wrote no port file within " + std::to_string(timeout.count()) + " ms";
        }
        if (!why.empty()) {
            break;
        }
    }
    if (inotify >= 0) {
        ::close(inotify);
    }
    if (port_ == 0) {
        if (pid_ < 0 && why.empty()) {
            why = "could not be started (fork failed)";
        }
        end_child(pid_, 5s);
        const std::string output = read_file(dir_ / "output.log");
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
        throw std::runtime_error(script.filename().string() + " " + why + "; its output:\n" +
                                 output);
    }
}

ReceiverProcess::~ReceiverProcess() {
    end_child(pid_, 5s);
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
}

std::string ReceiverProcess::output() const { return read_file(dir_ / "output.log"); }

std::vector<std::string> ReceiverProcess::lines(const fs::path& file) const {
    const std::string text = read_file(file);
    std::vector<std::string> out;
    std::size_t begin = 0;
    for (std::size_t end = text.find('\n'); end != std::string::npos;
         end = text.find('\n', begin)) {
        out.push_back(text.substr(begin, end - begin));
        begin = end + 1;
    }
    return out;  // an unterminated last line is still being written
}

std::vector<std::string> ReceiverProcess::wait_for_lines(
    const fs::path& file, const std::function<bool(const std::vector<std::string>&)>& enough,
    std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const int inotify = watch_dir(file.parent_path());  // before the first look
    std::vector<std::string> seen = lines(file);
    while (!enough(seen) && nap(inotify, deadline)) {
        seen = lines(file);
    }
    if (inotify >= 0) {
        ::close(inotify);
    }
    return seen;
}

// ---- HttpReceiver ----

HttpReceiver::HttpReceiver(std::chrono::milliseconds timeout, int port)
    : process_("http-receiver", script("http_receiver.py"),
               {"--log", "{dir}/requests.jsonl", "--port", std::to_string(port)}, timeout) {}

std::unique_ptr<HttpReceiver> HttpReceiver::start(std::chrono::milliseconds timeout, int port) {
    return std::make_unique<HttpReceiver>(timeout, port);
}

std::string HttpReceiver::address() const { return "127.0.0.1:" + std::to_string(port()); }

std::string HttpReceiver::url(const std::string& path) const {
    return "http://" + address() + path;
}

void HttpReceiver::set_mode(const std::string& json) const {
    const auto reply = http_request("POST", address(), "/_control", json,
                                    {{"Content-Type", "application/json"}}, 5s);
    if (!reply || reply->status != 200) {
        throw std::runtime_error(
            "http receiver set_mode(" + json +
            "): " + (reply ? std::to_string(reply->status) + " " + reply->body : "no answer") +
            "; its output:\n" + output());
    }
}

std::vector<HttpReceiver::Request> HttpReceiver::requests() const {
    return parse_all(process_.lines(log_path()), &to_request);
}

std::vector<HttpReceiver::Request> HttpReceiver::wait_for(std::size_t n,
                                                          std::chrono::milliseconds timeout) const {
    return parse_all(
        process_.wait_for_lines(
            log_path(), [n](const std::vector<std::string>& l) { return l.size() >= n; }, timeout),
        &to_request);
}

// ---- SmtpSink ----

namespace {

std::vector<std::string> sink_args(const std::vector<std::string>& reject) {
    std::vector<std::string> args = {"--dir", "{dir}/mail"};
    for (const std::string& r : reject) {
        args.insert(args.end(), {"--reject", r});
    }
    return args;
}

}  // namespace

SmtpSink::SmtpSink(const std::vector<std::string>& reject, std::chrono::milliseconds timeout)
    : process_("smtp-sink", script("smtp_sink.py"), sink_args(reject), timeout) {}

std::unique_ptr<SmtpSink> SmtpSink::start(const std::vector<std::string>& reject,
                                          std::chrono::milliseconds timeout) {
    return std::make_unique<SmtpSink>(reject, timeout);
}

std::string SmtpSink::url() const { return "smtp://127.0.0.1:" + std::to_string(port()); }

std::vector<SmtpSink::Mail> SmtpSink::messages() const {
    return parse_all(process_.lines(log_path()), &to_mail);
}

std::vector<SmtpSink::Mail> SmtpSink::wait_for(std::size_t n,
                                               std::chrono::milliseconds timeout) const {
    return parse_all(
        process_.wait_for_lines(
            log_path(), [n](const std::vector<std::string>& l) { return l.size() >= n; }, timeout),
        &to_mail);
}

}  // namespace opel::testing

// What opel-notifyd delivers to, for system tests: a webhook receiver and an SMTP sink, each
// a real process on 127.0.0.1 (tests/support/receivers/*.py, run by /usr/bin/python3) that
// records everything it is sent in a JSON-lines file the test reads back.
//
//   test ──start()──▶ python3 http_receiver.py --port-file P --log requests.jsonl
//        ◀─ port file (written once listening; start() waits for it, bounded)
//   notifyd ──POST /hook──▶ receiver ──appends──▶ requests.jsonl ◀──wait_for()── test
//   test ──POST /_control {"mode":"fail",...}──▶ receiver   (how it answers next)
//
// Each receiver runs in a fresh temporary directory, which it removes with the process in its
// destructor (SIGTERM, then SIGKILL). Nothing here sleeps for a fixed time: waits watch the
// log with inotify and end at a deadline. Failures to start or to be controlled throw
// std::runtime_error carrying the receiver's own output, which GoogleTest reports as the
// test's failure. Not thread-safe: owned and used by one test thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace opel::testing {

// One receiver script as a child process in its own temporary directory: started, waited for
// until it has written its port file, and ended with its directory. The building block of
// HttpReceiver and SmtpSink.
class ReceiverProcess {
public:
    // Runs /usr/bin/python3 `script` `args` --port-file <dir>/port in a new directory under
    // the system's temporary directory (named after `name`) and waits up to `timeout` for the
    // port file. Throws std::runtime_error (with the script's output) when the script exits or
    // the time runs out first. `args` may name files in the directory as "{dir}/...".
    ReceiverProcess(const std::string& name, const std::filesystem::path& script,
                    const std::vector<std::string>& args, std::chrono::milliseconds timeout);
    ~ReceiverProcess();
    ReceiverProcess(const ReceiverProcess&) = delete;
    ReceiverProcess& operator=(const ReceiverProcess&) = delete;

    int port() const { return port_; }
    const std::filesystem::path& dir() const { return dir_; }
    // What the script wrote to standard output and error (its --print summary, tracebacks).
    std::string output() const;
    // The complete lines of the JSON-lines file `file` (a line still being written is left
    // out); none when the file does not exist yet.
    std::vector<std::string> lines(const std::filesystem::path& file) const;
    // Waits until `enough(lines(file))` holds or `timeout` passes, looking again whenever a
    // file in the directory of `file` changes (inotify; at least every 100 ms). Returns the
    // lines it saw last.
    std::vector<std::string> wait_for_lines(
        const std::filesystem::path& file,
        const std::function<bool(const std::vector<std::string>&)>& enough,
        std::chrono::milliseconds timeout) const;

private:
    std::filesystem::path dir_;
    pid_t pid_ = -1;
    int port_ = 0;
};

// An HTTP/1.1 webhook receiver (tests/support/receivers/http_receiver.py). It answers every
// request per its mode — ok: 200 {"ok":true}; fail: a status; stall: never (the connection is
// held until the client gives up); slow: 200 after a delay — and logs it before answering.
class HttpReceiver {
public:
    // One logged request.
    struct Request {
        std::int64_t seq = 0;  // 1, 2, … in arrival order
        std::string method;
        std::string path;                            // the request target: path and query
        std::map<std::string, std::string> headers;  // lower-case names; repeats joined by ", "
        std::string body;                            // as UTF-8 (invalid bytes replaced)
        std::optional<int> status;                   // what it answered; none when stalled
        double at = 0;                               // arrival, Unix time in seconds
    };

    // Starts a receiver on `port` (0: a free one) and waits (bounded by `timeout`) until it
    // listens. Throws std::runtime_error when it does not come up.
    static std::unique_ptr<HttpReceiver> start(
        std::chrono::milliseconds timeout = std::chrono::seconds(20), int port = 0);
    HttpReceiver(std::chrono::milliseconds timeout, int port);  // as start()

    int port() const { return process_.port(); }
    // "127.0.0.1:<port>", as http_request() takes it.
    std::string address() const;
    // "http://127.0.0.1:<port><path>"; `path` starts with '/'.
    std::string url(const std::string& path) const;
    // POSTs `json` to /_control: {"mode": "ok"|"fail"|"stall"|"slow", "status": 503 (fail),
    // "delay": seconds (slow), "count": n (only the next n requests, then ok)}. A new mode also
    // releases requests stalled so far. Throws std::runtime_error unless it answers 200.
    void set_mode(const std::string& json) const;
    // Every request logged so far (control requests are not logged).
    std::vector<Request> requests() const;
    // Waits until at least `n` requests were logged or `timeout` passed; returns the requests
    // logged by then (fewer than `n` on timeout).
    std::vector<Request> wait_for(std::size_t n, std::chrono::milliseconds timeout) const;
    // The receiver's own output (tracebacks), for failure messages.
    std::string output() const { return process_.output(); }

private:
    std::filesystem::path log_path() const { return process_.dir() / "requests.jsonl"; }

    ReceiverProcess process_;
};

// An SMTP server (tests/support/receivers/smtp_sink.py, Debian's python3-aiosmtpd) that
// accepts every message, except that recipients in its reject list get
// "550 5.1.1 mailbox unavailable" at RCPT TO.
class SmtpSink {
public:
    // One accepted message.
    struct Mail {
        std::int64_t seq = 0;               // 1, 2, … in order of acceptance
        std::string mail_from;              // the envelope sender (MAIL FROM)
        std::vector<std::string> rcpt_tos;  // the accepted envelope recipients
        std::string data;                   // the message as sent (headers and body), UTF-8
        double at = 0;                      // acceptance, Unix time in seconds
    };

    // Starts a sink and waits (bounded by `timeout`) until it answers. `reject` lists the
    // recipient addresses it refuses (compared without regard to case). Throws
    // std::runtime_error when it does not come up.
    static std::unique_ptr<SmtpSink> start(
        const std::vector<std::string>& reject = {},
        std::chrono::milliseconds timeout = std::chrono::seconds(20));
    SmtpSink(const std::vector<std::string>& reject, std::chrono::milliseconds timeout);

    int port() const { return process_.port(); }
    // "smtp://127.0.0.1:<port>".
    std::string url() const;
    // Every message accepted so far; each is also in mail_dir()/<seq>.eml as received.
    std::vector<Mail> messages() const;
    // Waits until at least `n` messages were accepted or `timeout` passed; returns the
    // messages accepted by then (fewer than `n` on timeout).
    std::vector<Mail> wait_for(std::size_t n, std::chrono::milliseconds timeout) const;
    std::filesystem::path mail_dir() const { return process_.dir() / "mail"; }
    // The sink's own output (tracebacks), for failure messages.
    std::string output() const { return process_.output(); }

private:
    std::filesystem::path log_path() const { return mail_dir() / "messages.jsonl"; }

    ReceiverProcess process_;
};

}  // namespace opel::testing

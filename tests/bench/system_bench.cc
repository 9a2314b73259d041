// System benchmarks of opel-escalatord, each figure printed next to a baseline measured in
// the same run (SPEC §8, issue "Benchmarks"). The programs are real clients of the public
// interfaces: ZeroMQ submit/publish/snapshot against the real daemon binary.
//
//   opel_bench ingest    durable sitreps/s (1, 4, 16 pipelined clients) vs a raw ROUTER
//   opel_bench latency   submit->ACCEPTED and submit->alert vs raw round trip, fixed rate
//   opel_bench scale     100 / 1,000 / 10,000 sites: throughput ratio and peak RSS
//   opel_bench fanout    1 / 100 / 1,000 subscribers: delivered/expected and lag p99
//   opel_bench restart   start-to-serving with 1M and 10M stored sitreps
//   opel_bench replay    opel replay vs the engine alone; peak RSS at N and 2N sitreps
//   opel_bench evaluate  opel evaluate (JSON lines and CSV) vs the engine alone; peak RSS
//                        at N/5 and N sitreps
//   opel_bench raw-server ENDPOINT REPLY_FILE   (internal) the baseline ROUTER: answers every
//                        request with the same real ACCEPTED reply, no work
//
// Every line starting "RESULT" is a figure; tools/dev/bench collects them.
#include <fcntl.h>
#include <malloc.h>
#include <simdjson.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "adapters/codec/csv.h"
#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "adapters/net/client.h"
#include "bench_sitreps.h"
#include "engine/text.h"
#include "escalatord/store/store.h"
#include "opel/v1/feed.pb.h"
#include "opel/v1/reply.pb.h"
#include "opel/v1/request.pb.h"
#include "support/browser.h"
#include "support/daemon.h"
#include "support/notifyd.h"
#include "support/receivers.h"
#include "support/webd.h"

namespace {

namespace fs = std::filesystem;
using namespace opel;
using Clock = std::chrono::steady_clock;
using std::chrono::duration;

constexpr const char* t0_text = "2026-01-13T08:00:00Z";
const TimePoint t0 = *parse_rfc3339(t0_text);
std::string self_path;

double seconds_since(Clock::time_point start) {
    return duration<double>(Clock::now() - start).count();
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    const auto index = static_cast<std::size_t>(p / 100 * static_cast<double>(v.size() - 1));
    return v[index];
}

// `count` sitreps cycling over `sites`, as_at increasing per site within the last hours
// before T0 (fresh: none is stale on arrival), pressure cycling so levels move.
std::vector<std::string> ingest_payloads(int sites, int count) {
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        const int round = i / sites;
        const double pressure =
            std::array<double, 4>{0.1, 0.4, 0.9, 0.4}[static_cast<std::size_t>(round % 4)];
        out.push_back(bench::encoded(bench::acute_sitrep(
            bench::site_id(i % sites), t0 - std::chrono::hours(4) + Duration(round), pressure)));
    }
    return out;
}

// A fresh working directory per run; OPEL_BENCH_KEEP keeps them (their databases) for
// inspection.
void remove_workdir(const fs::path& dir) {
    if (std::getenv("OPEL_BENCH_KEEP") == nullptr) {
        fs::remove_all(dir);
    }
}

fs::path workdir(const std::string& name) {
    fs::path dir =
        fs::temp_directory_path() / ("opel-bench-" + name + "-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
}

struct LoadResult {
    double seconds = 0;
    int ok = 0;
    int failed = 0;
};

// `clients` DEALER threads share `payloads`; payload i goes to client (i % sites) % clients
// so each site's sitreps leave one connection in order. Each client keeps at most `window`
// requests outstanding.
LoadResult run_load(zmq::context_t& context, const std::string& endpoint,
                    const std::vector<std::string>& payloads, int clients, int window,
                    bool check_accepted, int sites = 100) {
    std::atomic<int> ok{0};
    std::atomic<int> failed{0};
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(clients));
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            net::RequestClient client(context, endpoint);
            std::vector<std::size_t> mine;
            for (std::size_t i = 0; i < payloads.size(); ++i) {
                if (static_cast<int>(i % static_cast<std::size_t>(sites)) % clients == c) {
                    mine.push_back(i);
                }
            }
            std::size_t next = 0;
            int outstanding = 0;
            while (next < mine.size() || outstanding > 0) {
                while (outstanding < window && next < mine.size()) {
                    client.send(payloads[mine[next++]]);
                    ++outstanding;
                }
                auto reply = client.receive(std::chrono::seconds(30));
                if (!reply) {
                    failed += outstanding;
                    return;
                }
                --outstanding;
                v1::SubmitReply r;
                if (!check_accepted ||
                    (r.ParseFromString(*reply) && r.status() == v1::SUBMIT_STATUS_ACCEPTED)) {
                    ++ok;
                } else if (failed++ == 0) {
                    std::fprintf(
                        stderr, "first failure: %s %s %s\n",
                        v1::SubmitStatus_Name(r.status()).c_str(), r.submission_id().c_str(),
                        r.errors_size() > 0 ? r.errors(0).message().c_str() : r.message().c_str());
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    return {seconds_since(start), ok, failed};
}

// A real ACCEPTED reply to `payload` (computed offline by the engine on `config`), so the
// baseline answers with the same message the daemon sends and the client parses it the same.
std::string accepted_reply(const fs::path& config, const std::string& payload) {
    engine::Engine engine(bench::load_config(config), engine::EngineOptions{false});
    v1::SubmitRequest request;
    request.ParseFromString(payload);
    const auto sitrep = codec::from_proto(request.sitrep());
    const engine::SubmitOutcome outcome =
        sitrep ? engine.submit(*sitrep, std::nullopt) : engine::SubmitOutcome{};
    if (outcome.status != engine::SubmitStatus::accepted) {
        std::cerr << "baseline reply: the first benchmark sitrep was not accepted offline\n";
        std::exit(1);
    }
    return codec::to_reply(outcome, sitrep->site_id, 1).SerializeAsString();
}

// The baseline server: a ROUTER that answers every request at once with no work, with the
// bytes of `reply_file` (a real ACCEPTED reply).
int raw_server(const std::string& endpoint, const std::string& reply_file) {
    zmq::context_t context;
    zmq::socket_t router(context, zmq::socket_type::router);
    router.set(zmq::sockopt::linger, 0);
    router.bind(endpoint);
    static volatile std::sig_atomic_t stop = 0;
    std::signal(SIGTERM, [](int) { stop = 1; });
    std::ifstream in(reply_file, std::ios::binary);
    const std::string reply((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (stop == 0) {
        try {
            zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
            if (zmq::poll(&item, 1, std::chrono::milliseconds(200)) <= 0) {
                continue;
            }
            std::vector<zmq::message_t> frames;
            while (zmq::recv_multipart(router, std::back_inserter(frames),
                                       zmq::recv_flags::dontwait)) {
                frames.back().rebuild(reply.data(), reply.size());
                zmq::send_multipart(router, frames);
                frames.clear();
            }
        } catch (const zmq::error_t&) {
            // EINTR: the stop signal arrived; the loop condition ends it.
        }
    }
    return 0;
}

// A raw server child process answering with `reply`, killed on destruction.
class RawServer {
public:
    RawServer(const fs::path& dir, const std::string& reply)
        : endpoint_("ipc://" + (dir / "raw").string()) {
        const fs::path reply_file = dir / "raw-reply";
        std::ofstream(reply_file, std::ios::binary) << reply;
        pid_ = ::fork();
        if (pid_ == 0) {
            ::execl(self_path.c_str(), self_path.c_str(), "raw-server", endpoint_.c_str(),
                    reply_file.c_str(), nullptr);
            ::_exit(127);
        }
        // Ready when it answers.
        zmq::context_t context;
        for (int i = 0; i < 100; ++i) {
            net::RequestClient c(context, endpoint_);
            if (c.request("ping", std::chrono::milliseconds(100), 0)) {
                return;
            }
        }
    }
    ~RawServer() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    RawServer(const RawServer&) = delete;
    RawServer& operator=(const RawServer&) = delete;
    const std::string& endpoint() const { return endpoint_; }

private:
    std::string endpoint_;
    pid_t pid_ = -1;
};

std::unique_ptr<testing::Daemon> start_daemon(const fs::path& dir, const fs::path& config,
                                              std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--config", config.string(), "--clock-start",
                                     t0_text,    "--log-level",   "info"};
    args.insert(args.end(), extra.begin(), extra.end());
    // OPEL_BENCH_DAEMON_ARGS: more daemon flags for every run (e.g. "--pipeline-depth 1").
    if (const char* more = std::getenv("OPEL_BENCH_DAEMON_ARGS")) {
        std::istringstream words(more);
        for (std::string word; words >> word;) {
            args.push_back(word);
        }
    }
    auto daemon = std::make_unique<testing::Daemon>(dir, args);
    if (!daemon->start(std::chrono::seconds(120))) {
        std::cerr << "daemon did not start:\n" << daemon->log();
        std::exit(1);
    }
    return daemon;
}

// The daemon's own account of where the time went (logged when it stops).
std::string time_breakdown(const std::string& log) {
    const std::regex re(R"(time \(ms\): ([^;]*); (\d+) commits)");
    std::smatch m;
    if (!std::regex_search(log, m, re)) {
        return "(no breakdown in the log: " + log.substr(log.size() > 300 ? log.size() - 300 : 0) +
               ")";
    }
    return m[1].str() + " ms over " + m[2].str() + " commits";
}

long peak_rss_kb(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmHWM:", 0) == 0) {
            return std::stol(line.substr(6));
        }
    }
    return -1;
}

// CPU time the process `pid` has used so far, all its threads (/proc/<pid>/task/*/schedstat:
// nanoseconds on a CPU). On a shared machine this moves much less than a rate does.
double cpu_seconds(pid_t pid) {
    double total = 0;
    std::error_code ec;
    for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        std::ifstream in(task.path() / "schedstat");
        double ns = 0;
        if (in >> ns) {
            total += ns / 1e9;
        }
    }
    return total;
}

// Bytes the process `pid` has written through write calls so far (/proc/<pid>/io wchar):
// WAL frames, checkpoint copies and socket traffic alike.
double written_bytes(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/io");
    std::string key;
    double value = 0;
    while (in >> key >> value) {
        if (key == "wchar:") {
            return value;
        }
    }
    return 0;
}

// The machine is shared and noisy, so each client count runs `rounds` raw/daemon pairs back
// to back (each daemon on a fresh database) and reports the median of the pairs' ratios,
// with the lowest and highest to show the spread.
int ingest(int total, int window, int rounds) {
    zmq::context_t context;
    const int sites = 100;
    const auto payloads = ingest_payloads(sites, total);
    std::printf("ingest: %d sitreps of %zu bytes, %d sites, window %d per client, %d rounds\n",
                total, payloads[0].size(), sites, window, rounds);
    for (const int clients : {1, 4, 16}) {
        std::vector<double> raw_rates;
        std::vector<double> rates;
        std::vector<double> ratios;
        std::vector<std::pair<double, std::string>> breakdowns;  // by ratio
        std::vector<double> cpus;  // daemon CPU per sitrep, microseconds
        int accepted = 0;
        int failed = 0;
        for (int round = 0; round < rounds; ++round) {
            const fs::path dir = workdir("ingest");
            const fs::path config = bench::write_config(dir / "config", sites, false);
            LoadResult raw;
            {
                RawServer server(dir, accepted_reply(config, payloads[0]));
                raw = run_load(context, server.endpoint(), payloads, clients, window, true);
            }
            auto daemon = start_daemon(dir, config);
            const double cpu_before = cpu_seconds(daemon->pid());
            const LoadResult real =
                run_load(context, daemon->submit_endpoint(), payloads, clients, window, true);
            cpus.push_back((cpu_seconds(daemon->pid()) - cpu_before) * 1e6 / real.ok);
            daemon->stop();
            raw_rates.push_back(raw.ok / raw.seconds);
            rates.push_back(real.ok / real.seconds);
            ratios.push_back(rates.back() / raw_rates.back());
            breakdowns.emplace_back(ratios.back(), time_breakdown(daemon->log()));
            accepted += real.ok;
            failed += real.failed;
            remove_workdir(dir);
        }
        std::sort(breakdowns.begin(), breakdowns.end());
        std::printf(
            "RESULT ingest clients=%d window=%d: daemon %.0f sitreps/s (%d accepted, %d "
            "failed), raw ZeroMQ %.0f req/s, ratio %.3f (target >= 0.10; %d rounds: %.3f to "
            "%.3f); daemon CPU %.1f us per sitrep; daemon time (median round): %s\n",
            clients, window, percentile(rates, 50), accepted, failed, percentile(raw_rates, 50),
            percentile(ratios, 50), rounds, percentile(ratios, 0), percentile(ratios, 100),
            percentile(cpus, 50), breakdowns[breakdowns.size() / 2].second.c_str());
        std::fflush(stdout);
    }
    return 0;
}

// Median duration of a one-row committed transaction in `dir`, through the daemon's own
// store (same pragmas: WAL, synchronous=FULL, the WAL preallocated) so "one commit" is the
// cheapest durable commit this disk gives the daemon. Commits start `rate` per second, as
// the latency run's sitreps do (0: back to back). The pace matters more than the size: a
// paced fdatasync, on a disk left idle between commits, costs more than one issued back to
// back, whatever the write's size (figures in bench/history.md).
double commit_ms(const fs::path& dir, double rate) {
    const fs::path path = dir / "commit-probe.db";
    fs::remove(path);
    auto store = store::Store::open(path.string());
    if (!store) {
        std::cerr << "commit probe: " << store.error().message << '\n';
        std::exit(1);
    }
    const int count = rate > 0 ? static_cast<int>(rate) : 50;  // a second at the offered rate
    std::vector<double> ms;
    const auto first = Clock::now();
    for (int i = 0; i < count; ++i) {
        if (rate > 0) {
            std::this_thread::sleep_until(
                first + std::chrono::duration_cast<Clock::duration>(duration<double>(i / rate)));
        }
        const auto start = Clock::now();
        // A failed write would time nothing: stop rather than report a bogus baseline.
        auto r = (*store)->begin();
        if (r) {
            r = (*store)->put_meta("probe", i);
        }
        if (r) {
            r = (*store)->commit();
        }
        if (!r) {
            std::cerr << "commit probe: " << r.error().message << '\n';
            std::exit(1);
        }
        ms.push_back(seconds_since(start) * 1000);
    }
    return percentile(ms, 50);
}

// Sends `payloads` at `rate` per second from one DEALER; returns per-request round trips in
// ms (replies matched in order) and the send time of each request.
std::vector<double> paced(zmq::context_t& context, const std::string& endpoint,
                          const std::vector<std::string>& payloads, double rate,
                          std::vector<Clock::time_point>& sent_at) {
    net::RequestClient client(context, endpoint);
    sent_at.assign(payloads.size(), {});
    std::vector<double> rtt;
    std::size_t next = 0;
    std::size_t received = 0;
    const auto start = Clock::now();
    while (received < payloads.size()) {
        const auto due = start + std::chrono::duration_cast<Clock::duration>(
                                     duration<double>(static_cast<double>(next) / rate));
        if (next < payloads.size() && Clock::now() >= due) {
            sent_at[next] = Clock::now();
            client.send(payloads[next++]);
            continue;
        }
        const auto wait =
            next < payloads.size()
                ? std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now()) +
                      std::chrono::milliseconds(1)
                : std::chrono::milliseconds(10000);
        if (auto reply = client.receive(std::max(wait, std::chrono::milliseconds(0)))) {
            rtt.push_back(duration<double, std::milli>(Clock::now() - sent_at[received]).count());
            ++received;
        } else if (next >= payloads.size()) {
            break;  // 10 s without a reply
        }
    }
    return rtt;
}

int latency(double rate, int count) {
    zmq::context_t context;
    const fs::path dir = workdir("latency");
    // Every sitrep is a site's first: each one changes the site's status, so each has an alert.
    std::vector<std::string> payloads;
    payloads.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        payloads.push_back(bench::encoded(bench::acute_sitrep(bench::site_id(i), t0, 0.5)));
    }
    std::vector<Clock::time_point> sent;
    std::vector<double> raw;
    const fs::path config = bench::write_config(dir / "config", count, true);
    {
        RawServer server(dir, accepted_reply(config, payloads[0]));
        raw = paced(context, server.endpoint(), payloads, rate, sent);
    }
    auto daemon = start_daemon(dir, config);
    std::vector<double> alert_ms;
    std::atomic<bool> done{false};
    std::atomic<bool> joined{false};
    std::atomic<int> alerts{0};
    std::vector<Clock::time_point> sent_daemon(payloads.size());
    std::vector<std::atomic<std::int64_t>> alert_at(payloads.size());
    std::thread subscriber([&] {
        net::Subscriber sub(context, daemon->publish_endpoint(), {"alert/", "heartbeat"});
        while (!done) {
            auto m = sub.receive(std::chrono::milliseconds(100));
            v1::Publication pub;
            if (!m || !pub.ParseFromString(m->second)) {
                continue;
            }
            joined = true;  // the first heartbeat proves the subscription is live
            if (pub.has_alert() && pub.alert().result().kind() == "site") {
                const int i = std::stoi(pub.alert().node_id().substr(1));
                alert_at[static_cast<std::size_t>(i)] = Clock::now().time_since_epoch().count();
                ++alerts;
            }
        }
    });
    const auto wait_until = [](const std::function<bool()>& condition, std::chrono::seconds limit) {
        const auto deadline = Clock::now() + limit;
        while (!condition() && Clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    };
    wait_until([&] { return joined.load(); }, std::chrono::seconds(10));
    const std::vector<double> accepted =
        paced(context, daemon->submit_endpoint(), payloads, rate, sent_daemon);
    wait_until([&] { return alerts.load() >= count; }, std::chrono::seconds(10));
    done = true;
    subscriber.join();
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        if (alert_at[i] != 0) {
            alert_ms.push_back(duration<double, std::milli>(
                                   Clock::time_point(Clock::duration(alert_at[i])) - sent_daemon[i])
                                   .count());
        }
    }
    daemon->stop();
    const double commit = commit_ms(dir, rate);
    const double commit_back_to_back = commit_ms(dir, 0);
    const auto show = [](const char* what, const std::vector<double>& v) {
        std::printf("RESULT latency %s: p50 %.3f ms, p99 %.3f ms, max %.3f ms (n=%zu)\n", what,
                    percentile(v, 50), percentile(v, 99), percentile(v, 100), v.size());
    };
    std::printf("latency: %d sitreps at %.0f/s\n", count, rate);
    show("raw ZeroMQ round trip", raw);
    show("submit->ACCEPTED", accepted);
    show("submit->alert received", alert_ms);
    std::printf("RESULT latency daemon time over %d sitreps: %s\n", count,
                time_breakdown(daemon->log()).c_str());
    const double target = 3 * percentile(raw, 50) + commit;
    std::printf("RESULT latency one commit: p50 %.3f ms at %.0f/s (%.3f ms back to back)\n", commit,
                rate, commit_back_to_back);
    std::printf(
        "RESULT latency target: median submit->alert %.3f ms vs 3 x raw p50 + one "
        "commit (%.3f ms) = %.3f ms: %s\n",
        percentile(alert_ms, 50), commit, target,
        percentile(alert_ms, 50) <= target ? "met" : "MISSED");
    remove_workdir(dir);
    return 0;
}

double load_average();

// One sitrep for each of the first `count` sites, each its site's first.
std::vector<std::string> first_sitreps(int count) {
    std::vector<std::string> payloads;
    for (int i = 0; i < count; ++i) {
        payloads.push_back(bench::encoded(bench::acute_sitrep(bench::site_id(i), t0, 0.5)));
    }
    return payloads;
}

// The baseline: `payloads` sent at `rate` to a raw ZeroMQ ROUTER answering like the daemon;
// each round trip in milliseconds.
std::vector<double> raw_round_trips(zmq::context_t& context, const fs::path& dir,
                                    const fs::path& config,
                                    const std::vector<std::string>& payloads, double rate) {
    std::vector<Clock::time_point> sent;
    RawServer server(dir, accepted_reply(config, payloads[0]));
    return paced(context, server.endpoint(), payloads, rate, sent);
}

// Sitrep submitted -> webhook received through opel-escalatord and opel-notifyd to a real
// HTTP receiver process, at `rate` per second, with the grouping window off and at its
// smallest (1 s), next to the raw ZeroMQ round trip measured in the same run. Every sitrep is
// a site's first, so each moves its site and makes one message: the key names the site.
int notify_latency(double rate, int count, int rounds) {
    zmq::context_t context;
    const double load_before = load_average();
    std::printf("notify: %d sitreps at %.0f/s per run, %d rounds\n", count, rate, rounds);
    for (int round = 1; round <= rounds; ++round) {
        for (const int grouping : {0, 1}) {
            const fs::path dir = workdir("notify");
            const fs::path config = bench::write_config(dir / "config", count, true);
            auto receiver = testing::HttpReceiver::start();
            std::ofstream(config.parent_path() / "notify.textproto")
                << "groups { name: \"g\" webhooks: \"" << receiver->url("/hook") << "\" }\n"
                << "routes { name: \"sites\" subtree: \"national\" groups: \"g\" }\n";
            std::ofstream(config, std::ios::app)
                << "notifyd { routing: \"notify.textproto\" grouping_seconds: " << grouping
                << " delivery { rate_per_minute: 6000 } }\n";
            const std::vector<std::string> payloads = first_sitreps(count);
            const std::vector<double> raw = raw_round_trips(context, dir, config, payloads, rate);
            auto daemon = start_daemon(dir, config);
            testing::Notifyd notifyd(dir, config, *daemon);
            if (!notifyd.start()) {
                std::cerr << "notifyd did not start:\n" << notifyd.log();
                return 1;
            }
            // Wall times on both sides: the receiver stamps arrivals with its own clock.
            std::vector<double> sent_wall(payloads.size());
            std::vector<Clock::time_point> sent_daemon;
            const auto wall_offset = std::chrono::system_clock::now().time_since_epoch() -
                                     Clock::now().time_since_epoch();
            paced(context, daemon->submit_endpoint(), payloads, rate, sent_daemon);
            for (std::size_t i = 0; i < payloads.size(); ++i) {
                sent_wall[i] =
                    duration<double>(sent_daemon[i].time_since_epoch() + wall_offset).count();
            }
            // Each sitrep's site event, in whichever message carried it (grouping puts several
            // in one): its arrival minus its submission.
            std::vector<double> ms;
            std::vector<bool> seen(payloads.size(), false);
            const auto deadline = Clock::now() + std::chrono::seconds(60);
            while (ms.size() < payloads.size() && Clock::now() < deadline) {
                ms.clear();
                std::fill(seen.begin(), seen.end(), false);
                const auto requests =
                    receiver->wait_for(receiver->requests().size() + 1, std::chrono::seconds(2));
                for (const auto& r : requests) {
                    for (int i = 0; i < count; ++i) {
                        const auto n = static_cast<std::size_t>(i);
                        if (!seen[n] && r.body.find("\"transition_id\":\"" + bench::site_id(i) +
                                                    "#1\"") != std::string::npos) {
                            seen[n] = true;
                            ms.push_back((r.at - sent_wall[n]) * 1000);
                        }
                    }
                }
            }
            notifyd.stop();
            daemon->stop();
            std::printf(
                "RESULT notify round %d grouping %d s: submitted->webhook p50 %.3f ms, p99 %.3f "
                "ms, max %.3f ms (n=%zu of %d); raw ZeroMQ round trip p50 %.3f ms, p99 %.3f "
                "ms; target p50 < %d ms: %s\n",
                round, grouping, percentile(ms, 50), percentile(ms, 99), percentile(ms, 100),
                ms.size(), count, percentile(raw, 50), percentile(raw, 99), grouping * 1000 + 20,
                !ms.empty() && percentile(ms, 50) < grouping * 1000 + 20 ? "met" : "MISSED");
            remove_workdir(dir);
        }
    }
    std::printf("RESULT notify load average %.2f before, %.2f after\n", load_before,
                load_average());
    return 0;
}

// `n` browsers on opel-webd's WebSocket, read on one io_context thread: each message is
// stamped as it is read, so the time a status message reaches client k is its arrival.
class LiveClients {
public:
    LiveClients(const std::string& address, int n) {
        const std::size_t colon = address.rfind(':');
        const boost::asio::ip::tcp::endpoint endpoint(
            boost::asio::ip::make_address(address.substr(0, colon)),
            static_cast<unsigned short>(std::stoi(address.substr(colon + 1))));
        for (int i = 0; i < n; ++i) {
            auto c = std::make_unique<Client>(io_);
            c->ws.next_layer().connect(endpoint);
            c->ws.handshake(address, "/api/v1/live");
            clients_.push_back(std::move(c));
        }
        for (auto& c : clients_) {
            read(*c);
        }
        thread_ = std::thread([this] { io_.run(); });
    }
    ~LiveClients() {
        io_.stop();
        thread_.join();
    }
    // When each client received the first status message of `site` (none: not yet).
    std::vector<std::optional<Clock::time_point>> arrivals(const std::string& site) {
        const std::lock_guard<std::mutex> lock(mutex_);
        std::vector<std::optional<Clock::time_point>> out;
        for (auto& c : clients_) {
            const auto it = c->first_seen.find(site);
            out.push_back(it == c->first_seen.end() ? std::nullopt : std::optional(it->second));
        }
        return out;
    }

private:
    struct Client {
        explicit Client(boost::asio::io_context& io) : ws(io) {}
        boost::beast::websocket::stream<boost::beast::tcp_stream> ws;
        boost::beast::flat_buffer buffer;
        std::map<std::string, Clock::time_point> first_seen;  // site -> status arrival
    };
    void read(Client& c) {
        c.ws.async_read(c.buffer, [this, &c](boost::beast::error_code ec, std::size_t) {
            if (ec) {
                return;
            }
            const auto at = Clock::now();
            const std::string text = boost::beast::buffers_to_string(c.buffer.data());
            c.buffer.consume(c.buffer.size());
            const std::size_t id = text.find(R"("status":{"node_id":")");
            if (id != std::string::npos) {
                const std::size_t from = id + std::string_view(R"("status":{"node_id":")").size();
                const std::string site = text.substr(from, text.find('"', from) - from);
                const std::lock_guard<std::mutex> lock(mutex_);
                c.first_seen.emplace(site, at);
            }
            read(c);
        });
    }
    boost::asio::io_context io_;
    std::vector<std::unique_ptr<Client>> clients_;
    std::mutex mutex_;
    std::thread thread_;
};

// A real browser (headless Chromium) on the wallboard, recording when each site's level first
// shows in the page's DOM: a MutationObserver on the board's rows stamps it (the page's clock
// is the machine's wall clock, performance.timeOrigin + performance.now()).
class DomWatch {
public:
    DomWatch(const fs::path& dir, const std::string& program, const std::string& address, int sites)
        : browser_(dir, program) {
        browser_.navigate("http://" + address + "/");
        if (!browser_.wait_for(
                "document.querySelectorAll('#rows tr.site').length === " + std::to_string(sites),
                std::chrono::seconds(30))) {
            throw std::runtime_error("the wallboard did not show the " + std::to_string(sites) +
                                     " sites");
        }
        browser_.evaluate(R"(window.domSeen = {};
            new MutationObserver(() => {
              const t = performance.timeOrigin + performance.now();
              for (const b of document.querySelectorAll('#rows tr.site .level')) {
                const id = b.closest('tr').dataset.node;
                if (!(id in window.domSeen) && b.textContent.startsWith('OPEL')) window.domSeen[id] = t;
              }
            }).observe(document.getElementById('rows'),
                       {subtree: true, childList: true, characterData: true}); true)");
    }
    // Each site's first level in the DOM, wall-clock milliseconds since the epoch, once all
    // `sites` have one (or after 30 s, those that do).
    std::map<std::string, double> seen(int sites) {
        browser_.wait_for("Object.keys(window.domSeen).length >= " + std::to_string(sites),
                          std::chrono::seconds(30));
        std::map<std::string, double> out;
        simdjson::dom::parser parser;
        const std::string json = browser_.evaluate("window.domSeen");
        simdjson::dom::object object;
        if (parser.parse(json).get(object) == simdjson::SUCCESS) {
            for (const auto field : object) {
                double at = 0;
                if (field.value.get(at) == simdjson::SUCCESS) {
                    out.emplace(std::string(field.key), at);
                }
            }
        }
        return out;
    }

private:
    testing::Browser browser_;
};

// Sitrep submitted -> the new level received by every browser on opel-webd's WebSocket, with
// 1 and 200 browsers, next to the raw ZeroMQ round trip measured in the same run; and webd's
// resident memory with 200 browsers. Every sitrep is its site's first, so each is one new
// site result on the feed. Measured at the WebSocket (the message the page applies at once)
// for every client, and in a real browser's DOM (DomWatch, one more client) when Chromium is
// installed.
int web_latency(double rate, int count, int rounds) {
    zmq::context_t context;
    const double load_before = load_average();
    std::printf("web: %d sitreps at %.0f/s per run, %d rounds\n", count, rate, rounds);
    for (int round = 1; round <= rounds; ++round) {
        for (const int browsers : {1, 200}) {
            const fs::path dir = workdir("web");
            const fs::path config = bench::write_config(dir / "config", count, true);
            const std::vector<std::string> payloads = first_sitreps(count);
            const std::vector<double> raw = raw_round_trips(context, dir, config, payloads, rate);
            auto daemon = start_daemon(dir, config);
            testing::Webd webd(dir, config, *daemon);
            if (!webd.start()) {
                std::cerr << "webd did not start:\n" << webd.log();
                return 1;
            }
            std::unique_ptr<DomWatch> dom;
            if (const auto program = testing::Browser::program()) {
                dom = std::make_unique<DomWatch>(dir, *program, *webd.address(), count);
            }
            LiveClients clients(*webd.address(), browsers);
            std::vector<Clock::time_point> submitted;
            const auto wall_start = std::chrono::system_clock::now();
            const auto steady_start = Clock::now();
            paced(context, daemon->submit_endpoint(), payloads, rate, submitted);
            std::vector<double> ms;
            const auto deadline = Clock::now() + std::chrono::seconds(30);
            for (int i = 0; i < count; ++i) {
                std::vector<std::optional<Clock::time_point>> at;
                do {
                    at = clients.arrivals(bench::site_id(i));
                    if (std::all_of(at.begin(), at.end(), [](const auto& t) { return t; })) {
                        break;
                    }
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // then look again
                } while (Clock::now() < deadline);
                for (const auto& t : at) {
                    if (t) {
                        ms.push_back(duration<double, std::milli>(
                                         *t - submitted[static_cast<std::size_t>(i)])
                                         .count());
                    }
                }
            }
            std::vector<double> dom_ms;
            if (dom) {
                const double wall_start_ms =
                    duration<double, std::milli>(wall_start.time_since_epoch()).count();
                const auto seen = dom->seen(count);
                for (int i = 0; i < count; ++i) {
                    const auto it = seen.find(bench::site_id(i));
                    if (it != seen.end()) {
                        const double sent_ms =
                            wall_start_ms +
                            duration<double, std::milli>(submitted[static_cast<std::size_t>(i)] -
                                                         steady_start)
                                .count();
                        dom_ms.push_back(it->second - sent_ms);
                    }
                }
                std::printf(
                    "RESULT web round %d browsers %d+chromium: submitted->DOM p50 %.3f ms, p99 "
                    "%.3f ms, max %.3f ms (n=%zu of %d); target p50 < 30 ms: %s\n",
                    round, browsers, percentile(dom_ms, 50), percentile(dom_ms, 99),
                    percentile(dom_ms, 100), dom_ms.size(), count,
                    static_cast<int>(dom_ms.size()) == count && percentile(dom_ms, 50) < 30
                        ? "met"
                        : "MISSED");
            } else {
                std::printf("RESULT web round %d: no Chromium, no DOM figures\n", round);
            }
            const long rss = peak_rss_kb(webd.pid());
            const std::size_t expected =
                static_cast<std::size_t>(count) * static_cast<std::size_t>(browsers);
            std::printf(
                "RESULT web round %d browsers %d: submitted->WebSocket p50 %.3f ms, p99 %.3f ms, "
                "max %.3f ms (n=%zu of %zu); raw ZeroMQ round trip p50 %.3f ms; webd peak RSS "
                "%.1f MB; target p50 < 30 ms: %s\n",
                round, browsers, percentile(ms, 50), percentile(ms, 99), percentile(ms, 100),
                ms.size(), expected, percentile(raw, 50), static_cast<double>(rss) / 1024.0,
                ms.size() == expected && percentile(ms, 50) < 30 ? "met" : "MISSED");
            dom.reset();  // Chromium's profile is in `dir`
            webd.stop();
            daemon->stop();
            remove_workdir(dir);
        }
    }
    std::printf("RESULT web load average %.2f before, %.2f after\n", load_before, load_average());
    return 0;
}

// One daemon on a fresh database with `sites` sites: its steady-state rate and peak RSS.
struct ScaleRun {
    double rate = 0;
    int failed = 0;
    long rss_kb = 0;
    double cpu_us = 0;      // daemon CPU per sitrep
    double written_kb = 0;  // bytes the daemon wrote per sitrep (WAL, checkpoints, sockets)
    std::string breakdown;
};

ScaleRun scale_run(zmq::context_t& context, int sites, int total) {
    const fs::path dir = workdir("scale");
    const fs::path config = bench::write_config(dir / "config", sites, false);
    // The timed sitreps must be the same work at every size. A site's first sitrep creates
    // its state and escalates from UNKNOWN; the next ones of the pressure cycle escalate it
    // again (each with an alert event, which carries a result and the card's actions), and
    // after that the card's 240-minute de-escalation hold keeps its level (the benchmark's
    // as_at moves a second per round). Timed from the start, the more sites, the larger the
    // share of escalations among the timed sitreps (bench/history.md). So every site goes
    // through one whole cycle (4 sitreps) before the clock starts, and the timed sitreps are
    // held steady state everywhere.
    const int warm_up = 4 * sites;
    auto payloads = ingest_payloads(sites, total + warm_up);
    const std::vector<std::string> first(payloads.begin(), payloads.begin() + warm_up);
    payloads.erase(payloads.begin(), payloads.begin() + warm_up);
    auto daemon = start_daemon(dir, config);
    const LoadResult warm = run_load(context, daemon->submit_endpoint(), first, 4, 16, true, sites);
    if (warm.failed > 0) {
        std::fprintf(stderr, "scale: %d warm-up sitreps failed\n", warm.failed);
        std::exit(1);
    }
    const double cpu_before = cpu_seconds(daemon->pid());
    const double written_before = written_bytes(daemon->pid());
    const LoadResult r = run_load(context, daemon->submit_endpoint(), payloads, 4, 16, true, sites);
    ScaleRun out{r.ok / r.seconds,
                 r.failed,
                 peak_rss_kb(daemon->pid()),
                 (cpu_seconds(daemon->pid()) - cpu_before) * 1e6 / r.ok,
                 (written_bytes(daemon->pid()) - written_before) / 1024 / r.ok,
                 {}};
    daemon->stop();
    out.breakdown = time_breakdown(daemon->log());
    remove_workdir(dir);
    return out;
}

// Each round runs 100, 1,000 and 10,000 sites back to back; a size's ratio is the median
// of its rounds' ratios to that round's 100-site run (the machine is shared and noisy).
int scale(int total, int rounds) {
    zmq::context_t context;
    const std::array<int, 3> sizes{100, 1000, 10000};
    std::array<std::vector<ScaleRun>, 3> runs;
    std::array<std::vector<double>, 3> ratios;
    for (int round = 0; round < rounds; ++round) {
        for (std::size_t k = 0; k < sizes.size(); ++k) {
            runs[k].push_back(scale_run(context, sizes[k], total));
            ratios[k].push_back(runs[k].back().rate / runs[0].back().rate);
        }
    }
    for (std::size_t k = 0; k < sizes.size(); ++k) {
        std::vector<double> rates;
        std::vector<double> cpus;
        std::vector<double> written;
        long rss = 0;
        int failed = 0;
        for (const ScaleRun& r : runs[k]) {
            rates.push_back(r.rate);
            cpus.push_back(r.cpu_us);
            written.push_back(r.written_kb);
            rss = std::max(rss, r.rss_kb);
            failed += r.failed;
        }
        std::printf(
            "RESULT scale sites=%d: %.0f sitreps/s (%d failed), ratio to 100 sites %.2f "
            "(target >= 0.9; %d rounds: %.2f to %.2f), peak RSS %.1f MB (target < 64 MB at "
            "10,000); daemon CPU %.1f us and %.1f KiB written per sitrep; daemon time (last "
            "round): %s\n",
            sizes[k], percentile(rates, 50), failed, percentile(ratios[k], 50), rounds,
            percentile(ratios[k], 0), percentile(ratios[k], 100), static_cast<double>(rss) / 1024,
            percentile(cpus, 50), percentile(written, 50), runs[k].back().breakdown.c_str());
        std::fflush(stdout);
    }
    return 0;
}

int fanout(double rate, int count) {
    for (const int subscribers : {1, 100, 1000}) {
        zmq::context_t context;
        context.set(zmq::ctxopt::max_sockets, 4096);
        const fs::path dir = workdir("fanout");
        const fs::path config = bench::write_config(dir / "config", 100, false);
        auto daemon = start_daemon(dir, config);
        std::vector<std::unique_ptr<zmq::socket_t>> subs;
        for (int i = 0; i < subscribers; ++i) {
            auto s = std::make_unique<zmq::socket_t>(context, zmq::socket_type::sub);
            s->set(zmq::sockopt::linger, 0);
            s->set(zmq::sockopt::subscribe, "");
            s->connect(daemon->publish_endpoint());
            subs.push_back(std::move(s));
        }
        // Wait until every subscriber has a heartbeat (it has joined), bounded.
        std::vector<std::uint64_t> received(static_cast<std::size_t>(subscribers), 0);
        std::vector<std::uint64_t> last_seen(static_cast<std::size_t>(subscribers), 0);
        std::vector<bool> joined(static_cast<std::size_t>(subscribers), false);
        std::vector<zmq::pollitem_t> items;
        items.reserve(subs.size());
        for (auto& s : subs) {
            items.push_back({s->handle(), 0, ZMQ_POLLIN, 0});
        }
        std::uint64_t first_seq = 0;
        std::uint64_t final_seq = 0;
        std::vector<double> lag_ms;
        std::vector<Clock::time_point> sent_at(static_cast<std::size_t>(count));
        const auto drain = [&](std::chrono::milliseconds timeout) {
            if (zmq::poll(items, timeout) <= 0) {
                return;
            }
            for (std::size_t i = 0; i < items.size(); ++i) {
                if ((items[i].revents & ZMQ_POLLIN) == 0) {
                    continue;
                }
                std::vector<zmq::message_t> frames;
                while (zmq::recv_multipart(*subs[i], std::back_inserter(frames),
                                           zmq::recv_flags::dontwait)) {
                    v1::Publication pub;
                    if (frames.size() == 2 &&
                        pub.ParseFromArray(frames[1].data(), static_cast<int>(frames[1].size()))) {
                        joined[i] = true;
                        if (!pub.has_heartbeat()) {
                            last_seen[i] = pub.sequence();
                            if (pub.sequence() > first_seq) {
                                ++received[i];
                            }
                            if (i == 0 && pub.status().kind() == "site") {
                                const std::string& sid = pub.status().submission_id();
                                const auto at = sid.find('#');
                                if (at != std::string::npos) {
                                    const auto k = std::stoul(sid.substr(at + 1));
                                    lag_ms.push_back(
                                        duration<double, std::milli>(Clock::now() - sent_at[k])
                                            .count());
                                }
                            }
                        }
                    }
                    frames.clear();
                }
            }
        };
        const auto join_deadline = Clock::now() + std::chrono::seconds(30);
        while (std::count(joined.begin(), joined.end(), true) < subscribers &&
               Clock::now() < join_deadline) {
            drain(std::chrono::milliseconds(100));
        }
        // Offered load from a sender thread; this thread keeps reading.
        std::atomic<bool> sending{true};
        std::thread sender([&] {
            net::RequestClient client(context, daemon->submit_endpoint());
            const auto start = Clock::now();
            for (int k = 0; k < count; ++k) {
                std::this_thread::sleep_until(start +
                                              std::chrono::duration_cast<Clock::duration>(
                                                  duration<double>(static_cast<double>(k) / rate)));
                engine::Sitrep s = bench::acute_sitrep(bench::site_id(k % 100),
                                                       t0 - std::chrono::hours(1) + Duration(k),
                                                       (k / 100) % 2 == 0 ? 0.2 : 0.9);
                s.submission_id = "fanout#" + std::to_string(k);
                sent_at[static_cast<std::size_t>(k)] = Clock::now();
                client.request(bench::encoded(s), std::chrono::seconds(10), 0);
            }
            sending = false;
        });
        while (sending) {
            drain(std::chrono::milliseconds(50));
        }
        sender.join();
        net::RequestClient snap(context, daemon->snapshot_endpoint());
        v1::Snapshot state;
        state.ParseFromString(*snap.request("", std::chrono::seconds(10), 0));
        final_seq = state.sequence();
        const auto end_deadline = Clock::now() + std::chrono::seconds(20);
        while (*std::min_element(last_seen.begin(), last_seen.end()) < final_seq &&
               Clock::now() < end_deadline) {
            drain(std::chrono::milliseconds(100));
        }
        daemon->stop();
        const auto expected = static_cast<double>(final_seq - first_seq);
        const auto worst = static_cast<double>(*std::min_element(received.begin(), received.end()));
        std::printf(
            "RESULT fanout subscribers=%d: delivered/expected %.4f (worst subscriber %.0f "
            "of %.0f; target 1.0) at %.0f sitreps/s, lag p99 %.2f ms (subscriber 0)\n",
            subscribers, worst / expected, worst, expected, rate, percentile(lag_ms, 99));
        std::fflush(stdout);
        subs.clear();
        remove_workdir(dir);
    }
    return 0;
}

// History: `rows` more stored sitreps in the database at `path` (which has the daemon's
// schema), as the daemon stores them: the sitrep, and the reply without its result; 100 sites,
// a second apart, ending 400 days before t0.
void seed_history(const fs::path& path, long rows) {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db,
                       "INSERT INTO sitreps (submission_id, site_id, as_at, received_at, "
                       "status, sitrep, reply) VALUES (?, ?, ?, ?, 'accepted', ?, ?)",
                       -1, &insert, nullptr);
    v1::SubmitReply reply;
    reply.set_status(v1::SUBMIT_STATUS_ACCEPTED);
    for (long i = 0; i < rows; ++i) {
        const std::string site = bench::site_id(static_cast<int>(i % 100));
        const TimePoint at = t0 - std::chrono::hours(24 * 400) + Duration(i);
        const engine::Sitrep seeded = bench::acute_sitrep(site, at, 0.3);
        const std::string sitrep = codec::to_proto(seeded).SerializeAsString();
        const std::string id = seeded.effective_submission_id();
        reply.set_submission_id(id);
        reply.set_site_id(site);
        reply.set_sequence(static_cast<std::uint64_t>(i));
        const std::string reply_bytes = reply.SerializeAsString();
        sqlite3_bind_text(insert, 1, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
        sqlite3_bind_text(insert, 2, site.data(), static_cast<int>(site.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(insert, 3, at.time_since_epoch().count());
        sqlite3_bind_int64(insert, 4, at.time_since_epoch().count());
        sqlite3_bind_blob(insert, 5, sitrep.data(), static_cast<int>(sitrep.size()),
                          SQLITE_TRANSIENT);
        sqlite3_bind_blob(insert, 6, reply_bytes.data(), static_cast<int>(reply_bytes.size()),
                          SQLITE_TRANSIENT);
        sqlite3_step(insert);
        sqlite3_reset(insert);
        if (i % 500000 == 499999) {
            sqlite3_exec(db, "COMMIT; BEGIN", nullptr, nullptr, nullptr);
        }
    }
    sqlite3_finalize(insert);
    sqlite3_exec(db, "COMMIT; PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
}

// `opel replay` over `path`: seconds and peak resident kilobytes of that process.
std::pair<double, long> run_replay(const fs::path& config, const fs::path& path) {
    const auto start = Clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int null_fd = ::open("/dev/null", O_WRONLY);
        ::dup2(null_fd, STDOUT_FILENO);
        ::execl(OPEL_COMMAND, OPEL_COMMAND, "replay", "--config", config.c_str(), "--database",
                path.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    rusage usage{};
    ::wait4(pid, &status, 0, &usage);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::cerr << "opel replay failed\n";
        std::exit(1);
    }
    return {seconds_since(start), usage.ru_maxrss};
}

// Replay (SPEC §6): `opel replay` over `rows` stored sitreps against the engine alone on the
// same sitreps in the same run (decoded beforehand: no storage, no decoding), in sitreps per
// second; and the replay's peak memory over `rows` and over twice as many (flat = it streams).
int replay(long rows, int rounds) {
    const fs::path dir = workdir("replay");
    const fs::path config = bench::write_config(dir / "config", 100, false);
    for (const long n : {rows, 2 * rows}) {
        const fs::path path = dir / ("replay-" + std::to_string(n) + ".db");
        (void)store::Store::open(path.string());  // the daemon's schema
        seed_history(path, n);
    }
    std::vector<double> ratios;
    std::vector<long> rss_n, rss_2n;
    for (int round = 0; round < rounds; ++round) {
        // The replays first: a forked child's peak memory starts at its parent's, so the
        // parent must not hold the decoded sitreps yet.
        const auto [seconds, rss] =
            run_replay(config, dir / ("replay-" + std::to_string(rows) + ".db"));
        const auto twice = run_replay(config, dir / ("replay-" + std::to_string(2 * rows) + ".db"));
        std::vector<engine::Sitrep> sitreps;
        for (long i = 0; i < rows; ++i) {
            sitreps.push_back(bench::acute_sitrep(bench::site_id(static_cast<int>(i % 100)),
                                                  t0 - std::chrono::hours(24 * 400) + Duration(i),
                                                  0.3));
        }
        engine::Engine engine(bench::load_config(config),
                              engine::EngineOptions{.track_submissions = false});
        const auto start = Clock::now();
        for (const engine::Sitrep& s : sitreps) {
            (void)engine.advance_to(*s.as_at);
            (void)engine.submit(s, *s.as_at);
        }
        const double engine_rate = static_cast<double>(rows) / seconds_since(start);
        const double replay_rate = static_cast<double>(rows) / seconds;
        ratios.push_back(replay_rate / engine_rate);
        rss_n.push_back(rss);
        rss_2n.push_back(twice.second);
        std::printf(
            "replay round %d: engine %.0f/s, replay %.0f/s, ratio %.3f; peak RSS %ld KB "
            "(%ld sitreps), %ld KB (%ld)\n",
            round + 1, engine_rate, replay_rate, ratios.back(), rss, rows, twice.second, 2 * rows);
    }
    std::printf(
        "RESULT replay ratio vs engine-only: min %.3f max %.3f (target >= 0.5: %s in every "
        "round); replay peak RSS %ld KB at %ld sitreps, %ld KB at %ld (first round: later "
        "children inherit the parent's grown heap)\n",
        *std::min_element(ratios.begin(), ratios.end()),
        *std::max_element(ratios.begin(), ratios.end()),
        *std::min_element(ratios.begin(), ratios.end()) >= 0.5 ? "met" : "NOT met", rss_n[0], rows,
        rss_2n[0], 2 * rows);
    remove_workdir(dir);
    return 0;
}

// The load average over the last minute (/proc/loadavg): the machine is shared.
double load_average() {
    std::ifstream in("/proc/loadavg");
    double one = 0;
    in >> one;
    return one;
}

// The first `lines` sitreps `opel simulate --dry-run` prints for the shipped configuration
// (every acute site every 2 hours from 2024-01-01, seed 1), as JSON lines, written to `path`
// as they come (this process never holds them).
void simulated_lines(const fs::path& config, long lines, const fs::path& path) {
    const std::string command = std::string(OPEL_COMMAND) + " simulate --config " +
                                config.string() +
                                " --dry-run --quiet --days 1500 --start 2024-01-01T00:00:00Z";
    FILE* in = ::popen(command.c_str(), "r");
    std::ofstream out(path, std::ios::binary);
    std::array<char, 65536> line{};
    long written = 0;
    while (written < lines && std::fgets(line.data(), line.size(), in) != nullptr) {
        out << line.data();
        written += std::string_view(line.data()).ends_with('\n') ? 1 : 0;
    }
    ::pclose(in);
    if (written < lines) {
        std::cerr << "opel simulate gave " << written << " lines, not " << lines << "\n";
        std::exit(1);
    }
}

// The same sitreps as CSV (site_id, as_at and one column per measure; values in their
// shortest exact form, so they read back to the same doubles), a line at a time.
void as_csv(const fs::path& jsonl, const fs::path& csv) {
    std::vector<std::string> names;
    {
        codec::SitrepJsonDecoder decoder;
        std::ifstream in(jsonl);
        std::set<std::string> all;
        for (std::string line; std::getline(in, line);) {
            const engine::Sitrep s = *decoder.decode(line);
            for (const auto& [name, value] : s.measures) {
                all.insert(name);
            }
        }
        names.assign(all.begin(), all.end());
    }
    codec::SitrepJsonDecoder decoder;
    std::ifstream in(jsonl);
    std::ofstream out(csv, std::ios::binary);
    out << "site_id,as_at";
    for (const std::string& name : names) {
        out << ',' << name;
    }
    out << '\n';
    for (std::string line; std::getline(in, line);) {
        const engine::Sitrep s = *decoder.decode(line);
        out << s.site_id << ',' << format_utc(*s.as_at);
        for (const std::string& name : names) {
            const auto it = s.measures.find(name);
            out << ',' << (it == s.measures.end() ? "" : engine::format_exact(it->second));
        }
        out << '\n';
    }
}

// `opel evaluate` over `path` as a user runs it (the readable report, to /dev/null): seconds
// and peak resident kilobytes of that process. OPEL_BENCH_OPEL names another `opel` binary
// to measure (an earlier build, for a before/after comparison).
std::pair<double, long> run_evaluate(const fs::path& config, const fs::path& path) {
    const char* other = std::getenv("OPEL_BENCH_OPEL");
    const char* command = other != nullptr ? other : OPEL_COMMAND;
    const auto start = Clock::now();
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int null_fd = ::open("/dev/null", O_WRONLY);
        ::dup2(null_fd, STDOUT_FILENO);
        ::execl(command, command, "evaluate", "--config", config.c_str(), path.c_str(),
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    int status = 0;
    rusage usage{};
    ::wait4(pid, &status, 0, &usage);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::cerr << "opel evaluate failed on " << path << "\n";
        std::exit(1);
    }
    return {seconds_since(start), usage.ru_maxrss};
}

// Evaluate (issue "opel evaluate gets the same treatment"): `opel evaluate` over `lines`
// simulated sitreps of the shipped configuration, as JSON lines and as CSV, against the
// engine alone on the same sitreps in the same round (decoded beforehand: no reading,
// decoding or printing), in sitreps per second; and evaluate's peak memory over lines/5
// and over lines (flat = it streams).
int evaluate(long lines, int rounds) {
    const fs::path dir = workdir("evaluate");
    const fs::path config = fs::path(OPEL_SOURCE_DIR) / "config";
    const long small = lines / 5;
    const auto input = [&dir](long n, const char* ext) {
        return dir / ("sitreps-" + std::to_string(n) + ext);
    };
    simulated_lines(config, lines, input(lines, ".jsonl"));
    simulated_lines(config, small, input(small, ".jsonl"));
    as_csv(input(lines, ".jsonl"), input(lines, ".csv"));
    as_csv(input(small, ".jsonl"), input(small, ".csv"));
    ::malloc_trim(0);  // a forked child's peak RSS starts at its parent's
    std::printf("evaluate: %ld and %ld sitreps of the shipped configuration (%zu nodes)\n", lines,
                small, bench::load_config(config).nodes.size());
    std::vector<double> json_ratios, csv_ratios, loads;
    std::vector<std::string> rss;
    for (int round = 0; round < rounds; ++round) {
        loads.push_back(load_average());
        // The evaluations first, before this process holds the decoded sitreps.
        const auto [json_s, json_rss] = run_evaluate(config, input(lines, ".jsonl"));
        const auto [csv_s, csv_rss] = run_evaluate(config, input(lines, ".csv"));
        const long json_small_rss = run_evaluate(config, input(small, ".jsonl")).second;
        const long csv_small_rss = run_evaluate(config, input(small, ".csv")).second;
        double engine_rate = 0;
        {
            std::vector<engine::Sitrep> sitreps;
            codec::SitrepJsonDecoder decoder;
            std::ifstream in(input(lines, ".jsonl"));
            for (std::string line; std::getline(in, line);) {
                sitreps.push_back(*decoder.decode(line));
            }
            // What evaluate runs: stream time, no memory of submissions in the engine.
            engine::Engine engine(bench::load_config(config),
                                  engine::EngineOptions{.track_submissions = false});
            const auto start = Clock::now();
            for (const engine::Sitrep& s : sitreps) {
                const engine::SubmitOutcome out = engine.submit(s, std::nullopt);
                if (out.status != engine::SubmitStatus::accepted) {
                    std::cerr << "engine-only: a simulated sitrep was not accepted\n";
                    std::exit(1);
                }
            }
            engine_rate = static_cast<double>(lines) / seconds_since(start);
        }
        ::malloc_trim(0);
        const double json_rate = static_cast<double>(lines) / json_s;
        const double csv_rate = static_cast<double>(lines) / csv_s;
        json_ratios.push_back(json_rate / engine_rate);
        csv_ratios.push_back(csv_rate / engine_rate);
        loads.push_back(load_average());
        rss.push_back(std::to_string(json_small_rss) + " / " + std::to_string(json_rss) +
                      " KB (JSON), " + std::to_string(csv_small_rss) + " / " +
                      std::to_string(csv_rss) + " KB (CSV)");
        std::printf(
            "evaluate round %d: engine %.0f/s, evaluate JSON lines %.0f/s (ratio %.3f), CSV "
            "%.0f/s (ratio %.3f); peak RSS at %ld / %ld sitreps %s; load average %.2f\n",
            round + 1, engine_rate, json_rate, json_ratios.back(), csv_rate, csv_ratios.back(),
            small, lines, rss.back().c_str(), loads.back());
        std::fflush(stdout);
    }
    const auto [json_min, json_max] = std::minmax_element(json_ratios.begin(), json_ratios.end());
    const auto [csv_min, csv_max] = std::minmax_element(csv_ratios.begin(), csv_ratios.end());
    const auto [load_min, load_max] = std::minmax_element(loads.begin(), loads.end());
    std::printf(
        "RESULT evaluate ratio vs engine-only (%ld sitreps, %d rounds): JSON lines min %.3f max "
        "%.3f, CSV min %.3f max %.3f (target >= 0.3: %s in every round); peak RSS at %ld / %ld "
        "sitreps %s (first round: later children inherit the parent's grown heap); load "
        "average %.2f-%.2f\n",
        lines, rounds, *json_min, *json_max, *csv_min, *csv_max,
        std::min(*json_min, *csv_min) >= 0.3 ? "met" : "NOT met", small, lines, rss[0].c_str(),
        *load_min, *load_max);
    remove_workdir(dir);
    return 0;
}

int restart(const std::vector<long>& sizes) {
    zmq::context_t context;
    for (const long rows : sizes) {
        const fs::path dir = workdir("restart");
        struct statvfs fsinfo {};
        ::statvfs(dir.c_str(), &fsinfo);
        const double free_gb =
            static_cast<double>(fsinfo.f_bavail) * static_cast<double>(fsinfo.f_frsize) / 1e9;
        const double need_gb = static_cast<double>(rows) * 900 / 1e9 * 1.5;
        if (free_gb < need_gb) {
            std::printf("RESULT restart rows=%ld: SKIPPED, %.1f GB free, needs about %.1f GB\n",
                        rows, free_gb, need_gb);
            continue;
        }
        const fs::path config = bench::write_config(dir / "config", 100, false);
        {
            // A real run first, so node state, results and idempotency keys exist.
            auto daemon = start_daemon(dir, config);
            run_load(context, daemon->submit_endpoint(), ingest_payloads(100, 2000), 4, 16, true);
            daemon->stop();
        }
        const auto seed_start = Clock::now();
        seed_history(dir / "opel.db", rows);
        const double seed_s = seconds_since(seed_start);
        const double size_gb = static_cast<double>(fs::file_size(dir / "opel.db")) / 1e9;
        // Measured: process start until the snapshot endpoint answers, twice (cold, warm).
        // The daemon logs its start-up integrity check's own cost.
        std::vector<double> ready_s;
        std::vector<std::string> check_ms;
        const std::regex check_re(R"(integrity check: [^)]*: ([0-9.]+) ms)");
        for (int run = 0; run < 2; ++run) {
            const auto start = Clock::now();
            auto daemon = start_daemon(dir, config);
            ready_s.push_back(seconds_since(start));
            daemon->stop();
            std::smatch m;
            const std::string log = daemon->log();
            check_ms.push_back(std::regex_search(log, m, check_re) ? m[1].str() : "?");
        }
        std::printf(
            "RESULT restart rows=%ld: start to serving %.3f s (first), %.3f s (second); "
            "integrity check %s ms, %s ms; database %.2f GB (seeded in %.0f s)\n",
            rows, ready_s[0], ready_s[1], check_ms[0].c_str(), check_ms[1].c_str(), size_gb,
            seed_s);
        std::fflush(stdout);
        remove_workdir(dir);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    self_path = fs::canonical("/proc/self/exe").string();
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 3 && args[0] == "raw-server") {
        return raw_server(args[1], args[2]);
    }
    rlimit files{};
    ::getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
    const bool quick = std::getenv("OPEL_BENCH_QUICK") != nullptr;
    const std::string mode = args.empty() ? "" : args[0];
    if (mode == "ingest") {
        return ingest(quick ? 5000 : 40000, 16, quick ? 1 : 3);
    }
    if (mode == "latency") {
        return latency(200, quick ? 400 : 2000);
    }
    if (mode == "notify") {
        return notify_latency(20, quick ? 40 : 200, quick ? 1 : 3);
    }
    if (mode == "web") {
        return web_latency(20, quick ? 40 : 100, quick ? 1 : 3);
    }
    if (mode == "scale") {
        return scale(quick ? 5000 : 30000, quick ? 1 : 3);
    }
    if (mode == "fanout") {
        return fanout(100, quick ? 200 : 500);
    }
    if (mode == "replay") {
        return replay(quick ? 20000 : 200000, quick ? 1 : 3);
    }
    if (mode == "evaluate") {
        return evaluate(quick ? 20000 : 100000, quick ? 1 : 3);
    }
    if (mode == "restart") {
        std::vector<long> sizes;
        if (const char* env = std::getenv("OPEL_BENCH_RESTART_ROWS")) {
            std::stringstream ss(env);
            std::string item;
            while (std::getline(ss, item, ',')) {
                sizes.push_back(std::stol(item));
            }
        } else {
            sizes = quick ? std::vector<long>{100000} : std::vector<long>{1000000, 10000000};
        }
        return restart(sizes);
    }
    std::cerr << "usage: opel_bench ingest|latency|scale|fanout|restart|replay|evaluate\n";
    return 2;
}

// opel-escalatord: ingest sitreps, compute OPEL levels, store, publish. main() only wires.
#include <spdlog/logger.h>
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "common/clock/clock.h"
#include "common/config/loader.h"
#include "common/log/log.h"
#include "common/store/store.h"
#include "escalatord/escalator.h"
#include "escalatord/server.h"

#ifdef OPEL_JEMALLOC
// jemalloc reads this at start-up. One arena: the daemon's allocations come from two
// threads and the heap holds every site's state, so per-thread arenas would only add
// resident memory. Freed pages go back to the system after a second. Chosen over glibc
// malloc, which slows as the heap grows: with 10,000 sites the daemon spent noticeably more
// of its time in it (the measurement is in bench/history.md).
extern "C" {
// NOLINTNEXTLINE(readability-identifier-naming): the name jemalloc looks for
const char* malloc_conf = "narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
constexpr const char* allocator = "jemalloc (narenas:1, dirty_decay_ms:1000)";
#else
constexpr const char* allocator = "the C library's malloc (sanitizer build)";
#endif

namespace {

constexpr const char* usage = R"(usage: opel-escalatord [options]

Ingests sitreps over ZeroMQ, computes OPEL levels per the action cards, stores everything
in SQLite and publishes status, alerts and heartbeats. Stops cleanly on SIGINT/SIGTERM.

  --config DIR|FILE        configuration (default $OPEL_CONFIG, else the shipped config/)
  --database PATH          SQLite database (default: escalatord.database_path)
  --submit ENDPOINT        submit ROUTER endpoint   (default: escalatord.submit_endpoint)
  --publish ENDPOINT       publish PUB endpoint     (default: escalatord.publish_endpoint)
  --snapshot ENDPOINT      snapshot ROUTER endpoint (default: escalatord.snapshot_endpoint)
  --heartbeat-seconds N    heartbeat interval, 1 to 86400 (default: escalatord.heartbeat_interval_seconds)
  --publish-hwm N          messages queued per subscriber before it loses some, 1 to 100000000
                           (default 100000)
  --pipeline-depth N       batches prepared while earlier ones commit, 1 to 16 (default 4;
                           1 prepares the next batch only after the last one is committed)
  --allow-insecure-remote  allow unencrypted non-loopback endpoints (logged loudly)
  --clock-rate R           DEMO/DRILL ONLY: run the clock R times faster than real time
  --clock-start TIME       DEMO/DRILL ONLY: the clock's reading at start (RFC 3339)
  --log-level LEVEL        trace, debug, info, warn, error, critical (default $SPDLOG_LEVEL or info)
  --log-format FORMAT      human (default) or json
  --help                   this text

Environment overrides (applied after the file, before flags): OPEL_DATABASE_PATH,
OPEL_SUBMIT_ENDPOINT, OPEL_PUBLISH_ENDPOINT, OPEL_SNAPSHOT_ENDPOINT.
Exit codes: 0 clean stop, 1 failure (config, database, endpoint), 2 usage.
)";

struct Flags {
    std::string config;
    std::string database, submit, publish, snapshot, heartbeat;
    std::string log_level, log_format = "human";
    std::string clock_rate, clock_start, publish_hwm, pipeline_depth;
    bool allow_insecure_remote = false;
};

// Returns an error message for bad usage.
std::string parse(const std::vector<std::string>& args, Flags& f) {
    const std::pair<const char*, std::string*> values[] = {
        {"--config", &f.config},           {"--database", &f.database},
        {"--submit", &f.submit},           {"--publish", &f.publish},
        {"--snapshot", &f.snapshot},       {"--heartbeat-seconds", &f.heartbeat},
        {"--log-level", &f.log_level},     {"--log-format", &f.log_format},
        {"--clock-rate", &f.clock_rate},   {"--clock-start", &f.clock_start},
        {"--publish-hwm", &f.publish_hwm}, {"--pipeline-depth", &f.pipeline_depth}};
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--allow-insecure-remote") {
            f.allow_insecure_remote = true;
            continue;
        }
        bool known = false;
        for (const auto& [name, target] : values) {
            if (args[i] == name) {
                if (i + 1 >= args.size()) {
                    return std::string(name) + " needs a value";
                }
                *target = args[++i];
                known = true;
            }
        }
        if (!known) {
            return "unknown argument '" + args[i] + "'";
        }
    }
    return {};
}

void override_from_env(const char* name, std::string& target) {
    if (const char* v = std::getenv(name); v != nullptr && *v != '\0') {
        target = v;
    }
}

// The flags that take a number or a time, checked before anything is read or opened.
struct Values {
    std::optional<int> heartbeat_seconds;  // none: the config file's
    int publish_hwm = 100000;
    std::size_t pipeline_depth = opel::escalatord::ServerOptions{}.pipeline_depth;
    double clock_rate = 1;
    std::optional<opel::TimePoint> clock_start;  // none: now
};

// A whole-number flag from `min` to `max` (unchanged when empty); false with an error that
// names the flag, the range and what it got.
bool whole(const char* name, const std::string& text, long min, long max, long& out,
           std::string& error) {
    if (text.empty()) {
        return true;
    }
    char* end = nullptr;
    errno = 0;
    const long value = std::strtol(text.c_str(), &end, 10);
    if (*end != '\0' || errno != 0 || value < min || value > max) {
        error = std::string(name) + " must be a whole number from " + std::to_string(min) + " to " +
                std::to_string(max) + ", got '" + text + "'";
        return false;
    }
    out = value;
    return true;
}

// Returns an error message for a bad value.
std::string check(const Flags& f, Values& v) {
    std::string error;
    long heartbeat = 0;
    long hwm = v.publish_hwm;
    long depth = static_cast<long>(v.pipeline_depth);
    if (!whole("--heartbeat-seconds", f.heartbeat, 1, 86400, heartbeat, error) ||
        !whole("--publish-hwm", f.publish_hwm, 1, 100000000, hwm, error) ||
        !whole("--pipeline-depth", f.pipeline_depth, 1, 16, depth, error)) {
        return error;
    }
    if (!f.heartbeat.empty()) {
        v.heartbeat_seconds = static_cast<int>(heartbeat);
    }
    v.publish_hwm = static_cast<int>(hwm);
    v.pipeline_depth = static_cast<std::size_t>(depth);
    if (!f.clock_rate.empty()) {
        char* end = nullptr;
        v.clock_rate = std::strtod(f.clock_rate.c_str(), &end);
        if (*end != '\0' || !(v.clock_rate >= 1) || v.clock_rate > 100000) {
            return "--clock-rate must be a number from 1 to 100000, got '" + f.clock_rate + "'";
        }
    }
    if (!f.clock_start.empty()) {
        v.clock_start = opel::parse_rfc3339(f.clock_start);
        if (!v.clock_start) {
            return "--clock-start must be an RFC 3339 time, got '" + f.clock_start + "'";
        }
    }
    return {};
}

}  // namespace

int main(int argc, char** argv) try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    for (const std::string& a : args) {
        if (a == "--help" || a == "-h") {
            std::cout << usage;
            return 0;
        }
    }
    Flags flags;
    if (const std::string error = parse(args, flags); !error.empty()) {
        std::cerr << "opel-escalatord: " << error << "\n\n" << usage;
        return 2;
    }
    Values values;
    if (const std::string error = check(flags, values); !error.empty()) {
        std::cerr << "opel-escalatord: " << error << '\n';
        return 2;
    }
    const auto format = opel::log::parse_format(flags.log_format);
    if (!format) {
        std::cerr << "opel-escalatord: --log-format must be human or json\n";
        return 2;
    }
    auto log = opel::log::make_logger("escalatord", *format, flags.log_level);
    if (!log) {
        std::cerr << "opel-escalatord: unknown log level '" << flags.log_level << "'\n";
        return 2;
    }

    std::string config_path = flags.config;
    override_from_env("OPEL_CONFIG", config_path);
    if (!flags.config.empty()) {
        config_path = flags.config;
    }
    if (config_path.empty()) {
        config_path = OPEL_DEFAULT_CONFIG;
    }
    auto loaded = opel::config::load_config(config_path);
    if (!loaded) {
        for (const auto& e : loaded.error()) {
            log->critical("config: {}", e.to_string());
        }
        return 1;
    }
    opel::config::EscalatordSettings settings = loaded->escalatord;
    override_from_env("OPEL_DATABASE_PATH", settings.database_path);
    override_from_env("OPEL_SUBMIT_ENDPOINT", settings.submit_endpoint);
    override_from_env("OPEL_PUBLISH_ENDPOINT", settings.publish_endpoint);
    override_from_env("OPEL_SNAPSHOT_ENDPOINT", settings.snapshot_endpoint);
    const std::pair<const std::string*, std::string*> overrides[] = {
        {&flags.database, &settings.database_path},
        {&flags.submit, &settings.submit_endpoint},
        {&flags.publish, &settings.publish_endpoint},
        {&flags.snapshot, &settings.snapshot_endpoint}};
    for (const auto& [flag, target] : overrides) {
        if (!flag->empty()) {
            *target = *flag;
        }
    }
    if (values.heartbeat_seconds) {
        settings.heartbeat_interval = opel::Duration{*values.heartbeat_seconds};
    }
    log->info(
        "config {}: {} measures, {} cards, {} nodes; database {}; max clock skew {} s, "
        "heartbeat {} s, max message {} bytes",
        loaded->root_file.string(), loaded->engine.measures.size(), loaded->engine.cards.size(),
        loaded->engine.nodes.size(), settings.database_path, settings.max_clock_skew.count(),
        settings.heartbeat_interval.count(), settings.max_message_bytes);
    log->info("allocator: {}", allocator);

    // Two connections to one database: the storage thread writes through `store`, the
    // engine thread reads (duplicates, restore) through `reads` while a commit is running.
    const auto open_store = [&]() -> std::unique_ptr<opel::store::Store> {
        auto opened = opel::store::Store::open(settings.database_path);
        if (!opened) {
            log->critical("database {}: {}", settings.database_path, opened.error().message);
            return nullptr;
        }
        return std::move(opened).value();
    };
    const std::unique_ptr<opel::store::Store> store = open_store();
    const std::unique_ptr<opel::store::Store> reads = store ? open_store() : nullptr;
    if (!reads) {
        return 1;
    }
    if (auto limited = reads->limit_cache(256); !limited) {
        log->critical("database {}: {}", settings.database_path, limited.error().message);
        return 1;
    }
    if (store->read_only()) {
        log->error(
            "database {} is read-only: every submission will be answered UNAVAILABLE "
            "until it is writable (snapshots are still served)",
            settings.database_path);
    }
    const opel::SystemClock system_clock;
    const double rate = values.clock_rate;
    const opel::TimePoint start = values.clock_start.value_or(system_clock.now());
    const opel::ScaledClock scaled_clock(start, rate);
    const bool simulated_clock = !flags.clock_rate.empty() || !flags.clock_start.empty();
    const opel::Clock& clock =
        simulated_clock ? static_cast<const opel::Clock&>(scaled_clock) : system_clock;
    if (simulated_clock) {
        log->warn(
            "SIMULATED CLOCK: starts at {} and runs {}x real time; for demos and drills "
            "only, never for live reporting",
            opel::format_utc(start), rate);
    }
    opel::escalatord::Escalator escalator(std::move(loaded->engine), settings, *reads, clock, *log);
    if (auto restored = escalator.restore(); !restored) {
        log->critical("database {}: cannot restore state: {}", settings.database_path,
                      restored.error().message);
        return 1;
    }

    // Every subscriber connection is a file descriptor: allow as many as the system does.
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
    // One thread runs the io_context (hint 1): a handler it posts for itself goes on that
    // thread's private queue, instead of through the shared queue and an epoll_ctl that wakes
    // the reactor, a cost that shows in profiles at 10,000 sites (bench/history.md). The
    // storage thread's posts still take the locked path.
    boost::asio::io_context io(1);
    zmq::context_t context;
    opel::escalatord::ServerOptions options;
    options.allow_insecure_remote = flags.allow_insecure_remote;
    options.publish_high_water_mark = values.publish_hwm;
    options.clock_rate = rate;
    options.pipeline_depth = values.pipeline_depth;
    opel::escalatord::Server server(io, context, escalator, *store, clock, settings, options, *log);
    if (auto bound = server.bind(); !bound) {
        log->critical("{}", bound.error());
        return 1;
    }
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) {
            return;
        }
        log->info("signal {}: stopping", signal);
        server.stop();
        io.stop();
    });
    server.start();
    io.run();
    const auto& c = escalator.counters();
    log->info(
        "stopped cleanly: {} accepted, {} late, {} duplicate, {} rejected, {} unavailable, "
        "{} published, {} dropped for slow subscribers, {} replies undelivered, sequence {}",
        c.accepted, c.late, c.duplicate, c.rejected, c.unavailable, c.published, server.dropped(),
        server.undelivered(), escalator.sequence());
    const auto ms = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e6; };
    log->info(
        "time (ms): decode {:.1f}, dedupe {:.1f}, engine {:.1f}, encode {:.1f}, "
        "commit {:.1f}, publish {:.1f}; {} commits",
        ms(c.decode_ns), ms(c.dedupe_ns), ms(c.engine_ns), ms(c.encode_ns), ms(c.commit_ns),
        ms(server.publish_ns()), c.commits);
    return 0;
} catch (const std::exception& e) {
    std::cerr << "opel-escalatord: fatal: " << e.what() << '\n';
    return 1;
}

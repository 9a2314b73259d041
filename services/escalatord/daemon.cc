#include "escalatord/daemon.h"

#include <grp.h>
#include <spdlog/logger.h>
#include <sys/resource.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <memory>

#include "adapters/clock/real_clock.h"
#include "adapters/clock/stopwatch.h"
#include "adapters/http/monitoring.h"
#include "adapters/http/server.h"
#include "adapters/net/curve.h"
#include "adapters/options/options.h"
#include "adapters/systemd/notify.h"
#include "escalatord/escalator.h"
#include "escalatord/query.h"
#include "escalatord/server.h"
#include "escalatord/store/store.h"

namespace opel::escalatord {
namespace {

// Three connections to one database: the journal writes through `store`, the engine
// thread reads (duplicates, restore) through `reads` while a commit is running, and the
// query thread reads history through `queries`.
struct Stores {
    std::unique_ptr<store::Store> store;
    std::unique_ptr<store::Store> reads;
    std::unique_ptr<store::Store> queries;
};

std::optional<Stores> open_stores(const std::string& path, std::optional<gid_t> group,
                                  spdlog::logger& log) {
    Stores out;
    for (std::unique_ptr<store::Store>* s : {&out.store, &out.reads, &out.queries}) {
        auto opened = store::Store::open(path, group);
        if (!opened) {
            log.critical("database {}: {}", path, opened.error().message);
            return std::nullopt;
        }
        *s = std::move(opened).value();
    }
    Stopwatch check;
    const auto stored = out.store->check_integrity();
    const double check_ms = static_cast<double>(check.lap()) / 1e6;
    if (!stored) {
        log.critical("database {}: {}", path, stored.error().message);
        return std::nullopt;
    }
    if (out.store->created()) {
        log.info("database {}: created, empty", path);
    } else {
        log.info(
            "database {}: opened, {} sitreps stored (integrity check: quick_check of the small "
            "tables, the newest row of each large one: {:.1f} ms)",
            path, *stored, check_ms);
    }
    if (auto limited = out.reads->limit_cache(256); !limited) {
        log.critical("database {}: {}", path, limited.error().message);
        return std::nullopt;
    }
    if (out.store->read_only()) {
        log.error(
            "database {} is read-only: every submission will be answered UNAVAILABLE until it "
            "is writable (snapshots are still served)",
            path);
    }
    return out;
}

// Every subscriber connection is a file descriptor: allow as many as the system does.
void raise_file_limit() {
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }
}

void log_summary(const Escalator& escalator, const Server& server, spdlog::logger& log) {
    const Counters& c = escalator.counters();
    log.info(
        "stopped cleanly: {} accepted, {} late, {} duplicate, {} rejected, {} unavailable, "
        "{} published, {} dropped for slow subscribers, {} replies undelivered, sequence {}",
        c.accepted, c.late, c.duplicate, c.rejected, c.unavailable, c.published, server.dropped(),
        server.undelivered(), escalator.sequence());
    const auto ms = [](std::uint64_t ns) { return static_cast<double>(ns) / 1e6; };
    log.info(
        "time (ms): decode {:.1f}, dedupe {:.1f}, engine {:.1f}, encode {:.1f}, "
        "commit {:.1f}, publish {:.1f}; {} commits",
        ms(c.decode_ns), ms(c.dedupe_ns), ms(c.engine_ns), ms(c.encode_ns), ms(c.commit_ns),
        ms(server.publish_ns()), c.commits);
}

std::vector<QueryNode> query_nodes(const engine::Model& model) {
    std::vector<QueryNode> nodes;
    for (engine::NodeIndex i = 0; i < model.node_count(); ++i) {
        const engine::ModelNode& n = model.node(i);
        nodes.push_back({n.config.id, n.path, n.config.kind == engine::NodeKind::site});
    }
    return nodes;
}

// Why a client key of the allow-list cannot be used (Z85 the loader let through that does
// not decode to a key), or none.
std::optional<std::string> client_key_problem(const std::vector<config::CurveClient>& clients) {
    for (std::size_t i = 0; i < clients.size(); ++i) {
        if (auto key = net::decode_key(clients[i].public_key); !key) {
            return "escalatord.curve.clients[" + std::to_string(i) + "] (" + clients[i].name +
                   "): " + key.error();
        }
    }
    return std::nullopt;
}

// The settings that differ between the running and a reloaded configuration: none of them
// can change without a restart (sockets are bound, the database open), so a reload keeps them.
std::vector<std::string_view> restart_only_changes(const config::EscalatordSettings& a,
                                                   const config::EscalatordSettings& b) {
    std::vector<std::string_view> changed;
    const auto check = [&changed](bool differs, std::string_view name) {
        if (differs) {
            changed.push_back(name);
        }
    };
    check(a.submit_endpoint != b.submit_endpoint, "submit_endpoint");
    check(a.publish_endpoint != b.publish_endpoint, "publish_endpoint");
    check(a.snapshot_endpoint != b.snapshot_endpoint, "snapshot_endpoint");
    check(a.query_endpoint != b.query_endpoint, "query_endpoint");
    check(a.database_path != b.database_path, "database_path");
    check(a.max_clock_skew != b.max_clock_skew, "max_clock_skew_seconds");
    check(a.heartbeat_interval != b.heartbeat_interval, "heartbeat_interval_seconds");
    check(a.max_message_bytes != b.max_message_bytes, "max_message_bytes");
    check(a.group != b.group, "group");
    check(a.metrics_address != b.metrics_address, "metrics_address");
    check(a.curve.has_value() != b.curve.has_value() ||
              (a.curve && (a.curve->public_key_file != b.curve->public_key_file ||
                           a.curve->secret_key_file != b.curve->secret_key_file)),
          "curve (on or off, or its key files; its clients are reloaded)");
    return changed;
}

// The escalator's CURVE secret key, checked against its public key file, and every client key
// decoded; the error says which file or client is wrong.
Result<std::optional<net::CurveKey>, std::string> curve_secret(
    const config::EscalatordSettings& settings) {
    if (!settings.curve) {
        return std::optional<net::CurveKey>{};
    }
    auto secret =
        net::read_server_key(settings.curve->secret_key_file, settings.curve->public_key_file);
    if (!secret) {
        return unexpected("escalatord.curve: " + secret.error());
    }
    if (auto bad = client_key_problem(settings.curve->clients)) {
        return unexpected(std::move(*bad));
    }
    return std::optional<net::CurveKey>(std::move(*secret));
}

// What SIGHUP needs: where the configuration is, what runs, and who takes the new one.
struct Reloading {
    systemd::Notifier& notifier;
    const Options& options;
    const config::EscalatordSettings& running;
    Server& server;
    QueryService& query;
    const Escalator& escalator;
    spdlog::logger& log;
};

// Re-reads the configuration. A bad one is refused with every problem logged and the
// running one kept; a good one goes to the server, which applies it between batches.
void reload_config(const Reloading& r) {
    const std::string path = options::config_path(r.options.config);
    r.log.info("signal SIGHUP: reloading the configuration from {}", path);
    auto loaded = config::load_config(path);
    if (!loaded) {
        for (const config::ConfigError& e : loaded.error()) {
            r.log.error("reload: {}", e.to_string());
        }
        r.log.error("reload refused: {} problems; the running configuration is kept",
                    loaded.error().size());
        return;
    }
    const config::EscalatordSettings settings = with_overrides(loaded->escalatord, r.options);
    for (const std::string_view name : restart_only_changes(r.running, settings)) {
        r.log.warn("reload: escalatord.{} changed: not applied until the daemon is restarted",
                   name);
    }
    std::vector<config::CurveClient> clients;
    if (settings.curve && r.running.curve) {
        if (auto bad = client_key_problem(settings.curve->clients)) {
            r.log.error("reload refused: {}; the running configuration is kept", *bad);
            return;
        }
        clients = settings.curve->clients;
    } else if (r.running.curve) {
        clients = r.running.curve->clients;  // CURVE stays on until a restart
    }
    std::string hash = config::content_hash(*loaded);
    r.log.info(
        "reload: configuration {} read ({} measures, {} cards, {} nodes{}); applied once "
        "the batches in flight are answered",
        hash, loaded->engine.measures.size(), loaded->engine.cards.size(),
        loaded->engine.nodes.size(),
        r.running.curve ? ", " + std::to_string(clients.size()) + " client keys" : std::string());
    r.server.reload(std::move(loaded->engine), std::move(hash), std::move(clients), [&r] {
        r.query.set_nodes(query_nodes(r.escalator.engine().model()));
        r.query.set_scopes(r.server.scopes());
    });
}

// Waits for SIGHUP, reloads, and waits again (until the signal set is cancelled).
void await_hangup(boost::asio::signal_set& hangup, const Reloading& r) {
    hangup.async_wait([&hangup, &r](const boost::system::error_code& ec, int /*signal*/) {
        if (ec) {
            return;
        }
        r.notifier.reloading();
        reload_config(r);
        r.notifier.ready("serving (configuration reloaded or refused: see the log)");
        await_hangup(hangup, r);
    });
}

// Binds and serves until SIGINT/SIGTERM, reloading on SIGHUP; the exit code.
int serve(const Options& options, Escalator& escalator, Journal& journal, const Clock& clock,
          const config::EscalatordSettings& settings, std::optional<gid_t> group,
          std::unique_ptr<store::Store> queries, spdlog::logger& log) {
    raise_file_limit();
    // One thread runs the io_context (hint 1): a handler it posts for itself goes on that
    // thread's private queue, instead of through the shared queue and an epoll_ctl that wakes
    // the reactor, a cost that shows in profiles at 10,000 sites (bench/history.md). The
    // storage thread's posts still take the locked path.
    boost::asio::io_context io(1);
    zmq::context_t context;
    ServerOptions server_options;
    server_options.allow_insecure_remote = options.allow_insecure_remote;
    server_options.publish_high_water_mark = static_cast<int>(options.publish_hwm);
    server_options.clock_rate = options.clock_rate;
    server_options.pipeline_depth = options.pipeline_depth;
    server_options.group = group;
    auto secret = curve_secret(settings);
    if (!secret) {
        log.critical("{}", secret.error());
        return 1;
    }
    server_options.curve_secret = *secret;
    Server server(io, context, escalator, journal, clock, settings, server_options, log);
    QueryService query(context, settings.query_endpoint, std::move(queries),
                       query_nodes(escalator.engine().model()), escalator.epoch(), log);
    if (auto bound = server.bind(); !bound) {
        log.critical("{}", bound.error().message);
        return 1;
    }
    if (auto bound = query.bind(options.allow_insecure_remote, group, *secret); !bound) {
        log.critical("{}", bound.error().message);
        return 1;
    }
    query.set_scopes(server.scopes());
    if (settings.curve) {
        log.info("CURVE on every socket: {} client keys may connect (escalatord.curve.clients)",
                 settings.curve->clients.size());
    }
    http::Server monitoring(io);
    const http::Monitoring routes{[&server] { return server.metrics(); },
                                  [&server] { return server.not_ready(); }};
    if (!http::serve_monitoring(monitoring, settings.metrics_address, options.allow_insecure_remote,
                                routes, log)) {
        return 1;
    }
    // SIGHUP has its own set, so stopping stays exactly as it was.
    systemd::Notifier notifier(io);
    boost::asio::signal_set hangup(io, SIGHUP);
    const Reloading reloading{notifier, options, settings, server, query, escalator, log};
    await_hangup(hangup, reloading);
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) {
            return;
        }
        log.info("signal {}: stopping", signal);
        notifier.stopping();
        hangup.cancel();
        monitoring.stop();
        server.stop();
        io.stop();
    });
    server.start();
    query.start();
    log.info("serving queries on {}", settings.query_endpoint);
    notifier.ready("serving: submit " + settings.submit_endpoint + ", publish " +
                   settings.publish_endpoint);
    io.run();
    query.stop();
    log_summary(escalator, server, log);
    return 0;
}

}  // namespace

int run_daemon(const Options& options, config::LoadedConfig loaded, spdlog::logger& log) {
    const config::EscalatordSettings settings = with_overrides(loaded.escalatord, options);
    std::string hash = config::content_hash(loaded);
    log.info(
        "config {} (configuration {}): {} measures, {} cards, {} nodes; database {}; max clock "
        "skew {} s, heartbeat {} s, max message {} bytes",
        loaded.root_file.string(), hash, loaded.engine.measures.size(), loaded.engine.cards.size(),
        loaded.engine.nodes.size(), settings.database_path, settings.max_clock_skew.count(),
        settings.heartbeat_interval.count(), settings.max_message_bytes);
    // The clock first: a simulated clock reads --clock-start as early as possible, so a
    // simulation started beside the daemon (tools/dev/demo) is not ahead of it by the time
    // the database takes to open.
    const SystemClock system_clock;
    const TimePoint start = options.clock_start.value_or(system_clock.now());
    const ScaledClock scaled_clock(start, options.clock_rate);
    const Clock& clock =
        options.simulated_clock ? static_cast<const Clock&>(scaled_clock) : system_clock;
    if (options.simulated_clock) {
        log.warn(
            "SIMULATED CLOCK: starts at {} and runs {}x real time; for demos and drills only, "
            "never for live reporting",
            format_utc(start), options.clock_rate);
    }
    std::optional<gid_t> group;
    if (!settings.group.empty()) {
        const ::group* found = ::getgrnam(settings.group.c_str());  // once, before any thread
        if (found == nullptr) {
            log.critical("escalatord.group: no group '{}' on this machine (getent group {})",
                         settings.group, settings.group);
            return 1;
        }
        group = found->gr_gid;
        log.info("group {} (gid {}) may read the database and use the ipc:// sockets",
                 settings.group, *group);
    }
    std::optional<Stores> stores = open_stores(settings.database_path, group, log);
    if (!stores) {
        return 1;
    }
    Escalator escalator(std::move(loaded.engine), settings, *stores->reads, clock, log);
    escalator.set_config_hash(std::move(hash));
    if (auto restored = escalator.restore(); !restored) {
        log.critical("database {}: cannot restore state: {}", settings.database_path,
                     restored.error().message);
        return 1;
    }
    Journal journal(*stores->store);
    return serve(options, escalator, journal, clock, settings, group, std::move(stores->queries),
                 log);
}

}  // namespace opel::escalatord

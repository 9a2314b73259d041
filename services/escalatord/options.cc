#include "escalatord/options.h"

namespace opel::escalatord {
namespace {

constexpr const char* usage = R"(usage: opel-escalatord [options]

Ingests sitreps over ZeroMQ, computes OPEL levels per the action cards, stores everything
in SQLite and publishes status, alerts and heartbeats. Stops cleanly on SIGINT/SIGTERM.

  --config DIR|FILE         configuration (default $OPEL_CONFIG, else the shipped config/)
  --database PATH           SQLite database (default: escalatord.database_path)
  --submit-endpoint EP      submit ROUTER endpoint   (default: escalatord.submit_endpoint)
  --publish-endpoint EP     publish PUB endpoint     (default: escalatord.publish_endpoint)
  --snapshot-endpoint EP    snapshot ROUTER endpoint (default: escalatord.snapshot_endpoint)
  --query-endpoint EP       query ROUTER endpoint    (default: escalatord.query_endpoint)
  --metrics-address HOST:PORT
                            HTTP /metrics, /healthz, /readyz; "off" disables; port 0 takes
                            a free port (default: escalatord.metrics_address, 127.0.0.1:9464)
  --group NAME              a group that may read the database (0640, with its -wal and
                            -shm) and use the ipc:// sockets (0660), all owned by it; the
                            daemon's user must be a member (default: escalatord.group; none:
                            the database is 0600)
  --heartbeat-seconds N     heartbeat interval, 1 to 86400 (default: escalatord.heartbeat_interval_seconds)
  --publish-hwm N           messages queued per subscriber before it loses some, 1 to 100000000
                            (default 100000)
  --pipeline-depth N        batches prepared while earlier ones commit, 1 to 16 (default 4;
                            1 prepares the next batch only after the last one is committed)
  --allow-insecure-remote   allow unencrypted non-loopback endpoints and metrics address
                            (logged loudly)
  --clock-rate R            DEMO/DRILL ONLY: run the clock R times faster than real time
  --clock-start TIME        DEMO/DRILL ONLY: the clock's reading at start (RFC 3339)
  --log-level LEVEL         trace, debug, info, warn, error, critical, off
                            (default $SPDLOG_LEVEL or info)
  --log-format FORMAT       human (default) or json
  --version                 the version
  -h, --help                this text

Environment overrides (applied after the file, before flags): OPEL_CONFIG,
OPEL_DATABASE_PATH, OPEL_SUBMIT_ENDPOINT, OPEL_PUBLISH_ENDPOINT, OPEL_SNAPSHOT_ENDPOINT,
OPEL_QUERY_ENDPOINT, OPEL_METRICS_ADDRESS, OPEL_GROUP.
Exit codes: 0 clean stop, 1 failure (config, database, endpoint), 2 usage.
)";

// The flags as given, before defaults are applied.
struct Given {
    std::optional<long> publish_hwm, pipeline_depth;
    std::optional<double> clock_rate;
    std::optional<std::string> log_level, log_format;
};

Options with_defaults(Options options, const Given& given) {
    options.simulated_clock = given.clock_rate.has_value() || options.clock_start.has_value();
    options.publish_hwm = given.publish_hwm.value_or(options.publish_hwm);
    options.pipeline_depth = static_cast<std::size_t>(given.pipeline_depth.value_or(4));
    options.clock_rate = given.clock_rate.value_or(options.clock_rate);
    options.log_level = given.log_level.value_or("");
    options.log_format = given.log_format == "json" ? log::Format::json : log::Format::human;
    return options;
}

}  // namespace

Result<Options, options::Stop> parse_options(const std::vector<std::string>& args) {
    Options o;
    Given given;
    options::CommandLine cl("opel-escalatord", usage);
    cl.config(o.config);
    cl.text("--database", o.database, "OPEL_DATABASE_PATH");
    cl.endpoints(o.endpoints);
    cl.text("--metrics-address", o.metrics_address, "OPEL_METRICS_ADDRESS");
    cl.text("--group", o.group, "OPEL_GROUP");
    cl.whole("--heartbeat-seconds", o.heartbeat_seconds, {1, 86400, "seconds"});
    cl.whole("--publish-hwm", given.publish_hwm, {1, 100000000, ""});
    cl.whole("--pipeline-depth", given.pipeline_depth, {1, 16, ""});
    cl.flag("--allow-insecure-remote", o.allow_insecure_remote);
    cl.number("--clock-rate", given.clock_rate, 1, 100000);
    cl.time("--clock-start", o.clock_start);
    cl.choice("--log-level", given.log_level,
              {"trace", "debug", "info", "warn", "error", "critical", "off"});
    cl.choice("--log-format", given.log_format, {"human", "json"});
    if (auto stop = cl.parse(args)) {
        return unexpected(std::move(*stop));
    }
    return with_defaults(std::move(o), given);
}

config::EscalatordSettings with_overrides(config::EscalatordSettings settings,
                                          const Options& options) {
    settings = options::with_endpoints(std::move(settings), options.endpoints);
    settings.database_path = options.database.value_or(settings.database_path);
    settings.metrics_address = options.metrics_address.value_or(settings.metrics_address);
    settings.group = options.group.value_or(settings.group);
    if (options.heartbeat_seconds) {
        settings.heartbeat_interval = Duration{*options.heartbeat_seconds};
    }
    return settings;
}

}  // namespace opel::escalatord

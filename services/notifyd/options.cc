#include "notifyd/options.h"

namespace opel::notifyd {
namespace {

constexpr const char* usage = R"(usage: opel-notifyd [options]

Delivers opel-escalatord's alerts to people: e-mail through an SMTP relay and webhooks
(generic JSON, Microsoft Teams, Slack), as the routing file says (notifyd.routing in the
configuration). Every delivery is stored in its own SQLite outbox before it is attempted,
retried with backoff until it is sent or given up, and never sent again once a receiver
has answered success. Escalations to OPEL 3 or 4 stay open until acknowledged
(`opel ack`): reminders and further groups follow per route. After any restart or gap it
catches up from the escalator's stored publications. SIGHUP re-reads the routing (a bad
configuration is refused and the running routing kept). Stops cleanly on SIGINT/SIGTERM.

  --config DIR|FILE         configuration (default $OPEL_CONFIG, else the shipped config/)
  --database PATH           the outbox (default: notifyd.database_path)
  --metrics-address HOST:PORT
                            HTTP /metrics, /healthz, /readyz; "off" disables; port 0 takes
                            a free port (default: notifyd.metrics_address, 127.0.0.1:9465)
  --publish-endpoint EP     the escalator's feed     (default: escalatord.publish_endpoint)
  --snapshot-endpoint EP    its snapshot endpoint    (default: escalatord.snapshot_endpoint)
  --query-endpoint EP       its query endpoint       (default: escalatord.query_endpoint)
  --submit-endpoint EP      its submit endpoint, where reminders and escalation steps
                            are reported (the `unacknowledged` event on the feed)
                            (default: escalatord.submit_endpoint)
  --curve-public-key FILE   with escalatord.curve: this daemon's key pair (opel keygen),
  --curve-secret-key FILE   default $OPEL_CURVE_*_KEY, else notifyd.curve
  --curve-server-key FILE   the escalator's public key (default: escalatord.curve's)
  --clock wall|stream       the clock reminders and escalation steps run on: the wall
                            (default), or the feed's own time (the latest event or heartbeat
                            time) for drills and tests with a simulated escalator clock
  --allow-insecure-remote   allow a non-loopback metrics address (logged loudly)
  --log-level LEVEL         trace, debug, info, warn, error, critical, off
                            (default $SPDLOG_LEVEL or info)
  --log-format FORMAT       human (default) or json
  --version                 the version
  -h, --help                this text

Environment overrides (applied after the file, before flags): OPEL_CONFIG,
OPEL_NOTIFY_DATABASE_PATH, OPEL_NOTIFY_METRICS_ADDRESS, OPEL_PUBLISH_ENDPOINT,
OPEL_SNAPSHOT_ENDPOINT, OPEL_QUERY_ENDPOINT.
Exit codes: 0 clean stop, 1 failure (config, outbox, metrics address), 2 usage.
)";

}  // namespace

Result<Options, options::Stop> parse_options(const std::vector<std::string>& args) {
    Options o;
    std::optional<std::string> clock, log_level, log_format;
    options::CommandLine cl("opel-notifyd", usage);
    cl.config(o.config);
    cl.text("--database", o.database, "OPEL_NOTIFY_DATABASE_PATH");
    cl.endpoints(o.endpoints);
    cl.curve_keys(o.endpoints);
    cl.text("--metrics-address", o.metrics_address, "OPEL_NOTIFY_METRICS_ADDRESS");
    cl.choice("--clock", clock, {"wall", "stream"});
    cl.flag("--allow-insecure-remote", o.allow_insecure_remote);
    cl.choice("--log-level", log_level,
              {"trace", "debug", "info", "warn", "error", "critical", "off"});
    cl.choice("--log-format", log_format, {"human", "json"});
    if (auto stop = cl.parse(args)) {
        return unexpected(std::move(*stop));
    }
    o.clock = clock == "stream" ? PolicyClock::stream : PolicyClock::wall;
    o.log_level = log_level.value_or("");
    o.log_format = log_format == "json" ? log::Format::json : log::Format::human;
    return o;
}

config::NotifydSettings with_overrides(config::NotifydSettings settings, const Options& options) {
    settings.database_path = options.database.value_or(settings.database_path);
    settings.metrics_address = options.metrics_address.value_or(settings.metrics_address);
    return settings;
}

config::EscalatordSettings escalator_endpoints(config::EscalatordSettings settings,
                                               const Options& options) {
    return options::with_endpoints(std::move(settings), options.endpoints);
}

}  // namespace opel::notifyd

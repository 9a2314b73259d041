#include "escalatord/options.h"

#include <cerrno>
#include <cstdlib>

namespace opel::escalatord {

const char* const usage = R"(usage: opel-escalatord [options]

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

namespace {

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
        v.clock_start = parse_rfc3339(f.clock_start);
        if (!v.clock_start) {
            return "--clock-start must be an RFC 3339 time, got '" + f.clock_start + "'";
        }
    }
    return {};
}

}  // namespace

Result<Options, UsageError> parse_options(const std::vector<std::string>& args) {
    Options options;
    for (const std::string& a : args) {
        if (a == "--help" || a == "-h") {
            options.help = true;
            return options;
        }
    }
    if (std::string error = parse(args, options.flags); !error.empty()) {
        return unexpected(UsageError{std::move(error), true});
    }
    if (std::string error = check(options.flags, options.values); !error.empty()) {
        return unexpected(UsageError{std::move(error), false});
    }
    return options;
}

std::string config_path(const Options& options, const std::string& shipped) {
    std::string path = options.flags.config;
    if (path.empty()) {
        override_from_env("OPEL_CONFIG", path);
    }
    return path.empty() ? shipped : path;
}

config::EscalatordSettings with_overrides(config::EscalatordSettings settings,
                                          const Options& options) {
    override_from_env("OPEL_DATABASE_PATH", settings.database_path);
    override_from_env("OPEL_SUBMIT_ENDPOINT", settings.submit_endpoint);
    override_from_env("OPEL_PUBLISH_ENDPOINT", settings.publish_endpoint);
    override_from_env("OPEL_SNAPSHOT_ENDPOINT", settings.snapshot_endpoint);
    const Flags& f = options.flags;
    const std::pair<const std::string*, std::string*> overrides[] = {
        {&f.database, &settings.database_path},
        {&f.submit, &settings.submit_endpoint},
        {&f.publish, &settings.publish_endpoint},
        {&f.snapshot, &settings.snapshot_endpoint}};
    for (const auto& [flag, target] : overrides) {
        if (!flag->empty()) {
            *target = *flag;
        }
    }
    if (options.values.heartbeat_seconds) {
        settings.heartbeat_interval = Duration{*options.values.heartbeat_seconds};
    }
    return settings;
}

}  // namespace opel::escalatord

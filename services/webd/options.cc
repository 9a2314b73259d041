#include "webd/options.h"

namespace opel::webd {
namespace {

constexpr const char* usage = R"(usage: opel-webd [options]

The single operational command cell's wallboard: every site and system of the tree with its
OPEL level (number and colour), status, declared level and "last reported" time, live over a
WebSocket as opel-escalatord publishes, with a banner when the feed falls silent. Also the
same state as JSON for other tools. It follows the escalator's feed (a snapshot at start,
then every publication; gaps filled from the escalator's store) and never waits for a slow
browser: a browser that cannot keep up is sent the whole state again, and the drop is shown
and counted. Stops cleanly on SIGINT/SIGTERM.

  --config DIR|FILE         configuration (default $OPEL_CONFIG, else the shipped config/):
                            the tree's names and kinds, and the escalator's endpoints
  --address HOST:PORT       where to serve HTTP (default $OPEL_WEB_ADDRESS, else webd.address,
                            else 127.0.0.1:8080; port 0 takes a free port). Loopback only
                            unless --allow-insecure-remote
  --assets DIR              the page's files: index.html, app.js, style.css
                            (default $OPEL_WEB_ASSETS, else webd.assets, else the shipped web/:
                            /usr/share/opel/web when installed)
  --publish-endpoint EP     the escalator's feed     (default: escalatord.publish_endpoint)
  --snapshot-endpoint EP    its snapshot endpoint    (default: escalatord.snapshot_endpoint)
  --query-endpoint EP       its query endpoint       (default: escalatord.query_endpoint)
  --submit-endpoint EP      its submit endpoint, where uploaded sitreps and acknowledgements
                            made on the page go (default: escalatord.submit_endpoint)
  --curve-public-key FILE   with escalatord.curve: this daemon's key pair (opel keygen),
  --curve-secret-key FILE   default $OPEL_CURVE_*_KEY, else webd.curve
  --curve-server-key FILE   the escalator's public key (default: escalatord.curve's)
  --submit-timeout-ms N     wait this long for the escalator's replies before sending the
                            unanswered again (same submission_id), twice; then they are
                            UNAVAILABLE (default webd.submit_timeout_ms, else 5000;
                            50..600000)
  --feed-silence-seconds N  the board is "not live" (a banner on every screen, /readyz
                            503) when nothing, not even a heartbeat, came from the
                            escalator for N seconds (default webd.feed_silence_seconds, else
                            15; 1..3600)
  --tls-certificate FILE    serve HTTPS only (TLS 1.2+), with this certificate chain (PEM)
                            (default $OPEL_WEB_TLS_CERTIFICATE, else webd.tls_certificate)
  --tls-private-key FILE    its private key (PEM) (default $OPEL_WEB_TLS_PRIVATE_KEY, else
                            webd.tls_private_key)
  --users-file FILE         who may log in and upload (opel.config.v1.WebAccess: users with
                            roles and password hashes, upload tokens; opel web-user and
                            opel web-token make the entries); re-read on SIGHUP (default
                            $OPEL_WEB_USERS, else webd.users_file). Without it anyone who
                            reaches the address may read, upload and acknowledge
  --allow-insecure-remote   serve on a non-loopback address without TLS and a users file
                            (logged loudly; for a closed network only). With both, a
                            non-loopback address needs no flag
  --log-level LEVEL         trace, debug, info, warn, error, critical, off
                            (default $SPDLOG_LEVEL or info)
  --log-format FORMAT       human (default) or json
  --version                 the version
  -h, --help                this text

Routes: / (the wallboard), /node/<id> (a node's page), /upload (the upload form),
GET /api/v1/state, /api/v1/nodes/<id>, /api/v1/alerts[?limit=N&node=P],
/api/v1/history?node=ID[&from&to&format], /api/v1/live (WebSocket), POST /api/v1/sitreps
(CSV, JSON lines, JSON), POST /api/v1/ack, POST /api/v1/login, POST /api/v1/logout,
GET /api/v1/me, /metrics, /healthz, /readyz.
Signals: SIGTERM/SIGINT stop; SIGHUP re-reads the users file (a broken one is logged and
the old one kept).
Exit codes: 0 clean stop, 1 failure (config, assets, address), 2 usage.
)";

}  // namespace

Result<Options, options::Stop> parse_options(const std::vector<std::string>& args) {
    Options o;
    std::optional<std::string> log_level, log_format;
    options::CommandLine cl("opel-webd", usage);
    cl.config(o.config);
    cl.text("--address", o.address, "OPEL_WEB_ADDRESS");
    cl.text("--assets", o.assets, "OPEL_WEB_ASSETS");
    cl.endpoints(o.endpoints);
    cl.curve_keys(o.endpoints);
    std::optional<long> silence, submit_timeout;
    cl.whole("--feed-silence-seconds", silence, {1, 3600, "seconds"});
    cl.whole("--submit-timeout-ms", submit_timeout, {50, 600000, "milliseconds"});
    cl.text("--tls-certificate", o.tls_certificate, "OPEL_WEB_TLS_CERTIFICATE");
    cl.text("--tls-private-key", o.tls_private_key, "OPEL_WEB_TLS_PRIVATE_KEY");
    cl.text("--users-file", o.users_file, "OPEL_WEB_USERS");
    cl.flag("--allow-insecure-remote", o.allow_insecure_remote);
    cl.choice("--log-level", log_level,
              {"trace", "debug", "info", "warn", "error", "critical", "off"});
    cl.choice("--log-format", log_format, {"human", "json"});
    if (auto stop = cl.parse(args)) {
        return unexpected(std::move(*stop));
    }
    if (silence) {
        o.feed_silence = std::chrono::seconds(*silence);
    }
    if (submit_timeout) {
        o.submit_timeout = std::chrono::milliseconds(*submit_timeout);
    }
    o.log_level = log_level.value_or("");
    o.log_format = log_format == "json" ? log::Format::json : log::Format::human;
    return o;
}

config::WebdSettings settings(const Options& options, const config::WebdSettings& configured) {
    config::WebdSettings out = configured;
    out.address = options.address.value_or(out.address);
    const std::string shipped = options::installed() ? OPEL_INSTALLED_WEB_ASSETS : OPEL_WEB_ASSETS;
    out.assets = options.assets.value_or(out.assets.empty() ? shipped : out.assets);
    out.feed_silence = options.feed_silence.value_or(out.feed_silence);
    out.submit_timeout = options.submit_timeout.value_or(out.submit_timeout);
    out.tls_certificate = options.tls_certificate.value_or(out.tls_certificate);
    out.tls_private_key = options.tls_private_key.value_or(out.tls_private_key);
    out.users_file = options.users_file.value_or(out.users_file);
    return out;
}

}  // namespace opel::webd

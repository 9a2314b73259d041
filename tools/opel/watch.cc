// opel watch: the live feed (status and alerts), complete from the moment it connects and
// never silently missing an update (ZeroMQ guide "Clone" pattern).
#include <charconv>
#include <deque>
#include <iostream>
#include <zmq.hpp>

#include "adapters/clock/real_clock.h"
#include "adapters/codec/client.h"
#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "adapters/feed/query_client.h"
#include "adapters/feed/snapshot_client.h"
#include "adapters/net/client.h"
#include "cli.h"
#include "engine/model.h"
#include "report.h"

namespace opel::cli {
namespace {

constexpr const char* help =
    R"(usage: opel watch [PATH] [--kind status|alert] [--min-level N] [--json] [options]

Follows opel-escalatord live. On connecting it takes a snapshot of the current state (shown
for --kind status), then prints every update after it. Every message carries the
publisher's sequence number; a gap (a dropped message, a daemon restart) is reported on
standard error and the view is re-synchronised from a fresh snapshot, so nothing is missed
silently and nothing is shown twice.

  --kind status|alert       only node results, or only alerts (default both)
  PATH, --node PATH         only this subtree (QOP/stockport, RWJ, national/north-west)
  --min-level N             only results/alerts at OPEL N or above (STALE,
                            declared-vs-computed mismatches, acknowledgements and
                            declarations are always shown)
  --json                    JSON lines: {"snapshot":...} once, then {"status":...} /
                            {"alert":...} with "sequence"
  --since SEQ|TIME          first show what was published after sequence SEQ, or since
                            TIME (RFC 3339), from the daemon's store (no snapshot), then
                            carry on live with no gap and nothing twice; a later gap is
                            caught up from the store too
  --count N                 exit after N printed updates (scripts, tests)
  --seconds N               exit after N seconds
  --timeout-ms N            wait for the daemon's snapshot and catch-up replies (default 5000)
  --publish-endpoint EP     default $OPEL_PUBLISH_ENDPOINT, else the configuration
  --snapshot-endpoint EP    default $OPEL_SNAPSHOT_ENDPOINT, else the configuration
  --query-endpoint EP       default $OPEL_QUERY_ENDPOINT, else the configuration (--since)
  --curve-public-key FILE   with escalatord.curve: this client's key pair (opel keygen),
  --curve-secret-key FILE   default $OPEL_CURVE_PUBLIC_KEY / $OPEL_CURVE_SECRET_KEY
  --curve-server-key FILE   the escalator's public key (default: escalatord.curve's)
  --config DIR|FILE         configuration to read the endpoints from

When nothing at all (not even a heartbeat) arrives for three heartbeat intervals, says on
standard error that the feed is silent and since when, and keeps trying.

Exit 0 on --count/--seconds; 1 when the daemon cannot be reached for a snapshot (or, with
--since, its query endpoint), or when the feed went silent meanwhile; 2 for usage errors.
)";

struct Filter {
    bool status = true;
    bool alert = true;
    std::string node;
    int min_level = 1;

    bool wants(const engine::NodeResult& r) const {
        return status && engine::path_matches(r.path, node) &&
               (r.status == engine::Status::stale ||
                (engine::is_level(r.status) && engine::level_of(r.status) >= min_level) ||
                min_level <= 1);
    }
    bool wants(const engine::Event& e) const {
        const auto high = [this](engine::Status s) {
            return engine::is_level(s) && engine::level_of(s) >= min_level;
        };
        return alert && engine::path_matches(e.path, node) &&
               (min_level <= 1 || high(e.from) || high(e.to) ||
                e.kind == engine::EventKind::stale ||
                e.kind == engine::EventKind::declared_mismatch ||
                e.kind == engine::EventKind::sustained_pressure ||
                e.kind == engine::EventKind::config_reloaded ||
                e.kind == engine::EventKind::acknowledged ||
                e.kind == engine::EventKind::declared ||
                e.kind == engine::EventKind::declaration_expired ||
                e.kind == engine::EventKind::unacknowledged);
    }
};

// Tells when the feed falls silent: no message at all for three heartbeat intervals (the
// interval as observed between heartbeats; 5 s, the daemon's default, until two are seen).
// Says so on standard error once, and again when messages come back.
class Silence {
public:
    // Called on every turn of the loop: whether a message came, and whether a heartbeat.
    void heard(bool message, bool heartbeat) {
        const TimePoint now = clock_.now();
        if (heartbeat) {
            if (last_heartbeat_) {
                interval_ = std::max(Duration{1}, now - *last_heartbeat_);
            }
            last_heartbeat_ = now;
        }
        if (message) {
            if (silent_) {
                std::cerr << "opel watch: the feed is back (" << format_london(now) << ")\n";
            }
            silent_ = false;
            last_message_ = now;
        } else if (!silent_ && now - last_message_ >= 3 * interval_) {
            silent_ = true;
            went_silent_ = true;
            std::cerr << "opel watch: the feed is silent: no message and no heartbeat since "
                      << format_london(last_message_) << " (" << (now - last_message_).count()
                      << " s, 3 heartbeat intervals); still trying\n";
        }
    }
    bool went_silent() const { return went_silent_; }

private:
    SystemClock clock_;
    TimePoint last_message_ = clock_.now();
    std::optional<TimePoint> last_heartbeat_;
    Duration interval_{5};
    bool silent_ = false;
    bool went_silent_ = false;
};

class Watcher {
public:
    Watcher(zmq::context_t& context, Endpoints endpoints, Filter filter, bool json,
            std::optional<std::uint64_t> since, std::optional<TimePoint> since_time,
            std::chrono::milliseconds timeout)
        : context_(context),
          endpoints_(std::move(endpoints)),
          filter_(std::move(filter)),
          json_(json),
          since_(since),
          since_time_(since_time),
          timeout_(timeout),
          subscriber_(context, endpoints_.publish, {""}, endpoints_.curve) {}

    // Takes a snapshot; returns false when the daemon cannot be reached.
    bool synchronise(bool show) {
        auto snapshot = feed::fetch_snapshot(context_, endpoints_.snapshot, filter_.node, timeout_,
                                             endpoints_.curve);
        if (!snapshot) {
            std::cerr << "opel watch: " << snapshot.error() << '\n';
            return false;
        }
        last_ = snapshot->sequence();
        epoch_ = snapshot->epoch();
        if (!show) {
            return true;
        }
        if (json_) {
            std::cout << "{\"snapshot\":" << codec::to_json(*snapshot) << "}\n";
        } else {
            std::cout << "-- snapshot at sequence " << last_ << '\n';
            if (filter_.status) {
                for (const v1::NodeResult& r : snapshot->results()) {
                    const engine::NodeResult result = codec::from_proto(r);
                    if (filter_.wants(result)) {
                        print_row(std::cout, 0, "", result);
                    }
                }
            }
        }
        std::cout.flush();
        return true;
    }

    // Runs until `count` updates were printed (0 = no limit) or `seconds` pass (0 = none).
    // Exit 0, or 1 when the daemon could not be reached at the start or the feed went silent.
    int run(long count, long seconds) {
        using clock = std::chrono::steady_clock;
        const auto deadline = clock::now() + std::chrono::seconds(seconds);
        // Clone pattern: subscribed first; wait briefly for the subscription to carry
        // traffic, buffering it, then snapshot (or replay from the store with --since) and
        // drop what that already covers.
        std::deque<std::pair<std::string, std::string>> early;
        if (auto first = subscriber_.receive(std::chrono::milliseconds(1500))) {
            early.push_back(std::move(*first));
        }
        if (!(since_ ? catch_up(*since_) : synchronise(true))) {
            return exit_failed;
        }
        while ((count == 0 || printed_ < count) && (seconds == 0 || clock::now() < deadline)) {
            std::optional<std::pair<std::string, std::string>> message;
            if (!early.empty()) {
                message = std::move(early.front());
                early.pop_front();
            } else if (auto next = subscriber_.receive(std::chrono::milliseconds(200))) {
                message = std::move(*next);
            }
            silence_.heard(message.has_value(), message && message->first == "heartbeat");
            if (message) {
                handle(*message);
            }
        }
        return silence_.went_silent() ? exit_failed : exit_ok;
    }

private:
    // A publication from another publisher epoch: the daemon restarted (or its database was
    // restored), so sequence numbers start afresh. Re-synchronises; true when the view is
    // now of `epoch`.
    bool restarted(std::uint64_t epoch) {
        std::cerr << "opel watch: the publisher restarted (epoch " << epoch_ << " -> " << epoch
                  << "); re-synchronising from a snapshot\n";
        return synchronise(true) && epoch_ == epoch;
    }

    void resync(std::uint64_t from, std::uint64_t to) {
        std::cerr << "opel watch: missed sequence " << from << ".." << to
                  << (since_ ? "; catching up from the store\n"
                             : "; re-synchronising from a snapshot\n");
        if (since_) {
            catch_up(last_);
        } else {
            synchronise(true);
        }
    }

    // --since: shows what was stored after sequence `after`, page by page, then carries on
    // live from the last one shown (live messages up to it are skipped, a gap after it is
    // caught up the same way). False when the query endpoint cannot be had.
    bool catch_up(std::uint64_t after) {
        v1::QueryRequest request;
        request.mutable_publications()->set_after_sequence(after);
        if (since_time_ && after == 0) {
            request.mutable_publications()->mutable_since()->set_seconds(
                since_time_->time_since_epoch().count());
        }
        last_ = after;
        const auto done = feed::query_pages(
            context_, endpoints_.query, request, timeout_,
            [this](const v1::QueryReply& reply) {
                epoch_ = reply.epoch();
                for (const v1::Publication& pub : reply.publications()) {
                    last_ = std::max(last_, pub.sequence());
                    show(pub);
                }
                last_ = std::max(last_, reply.more() ? 0 : reply.last_sequence());
                return true;
            },
            endpoints_.curve);
        if (!done) {
            std::cerr << "opel watch: " << done.error() << '\n';
        }
        return done.has_value();
    }

    // One live message: skipped when already shown or covered, caught up after a gap; true
    // when it was printed.
    bool handle(const std::pair<std::string, std::string>& message) {
        const auto read = codec::read_publication(message.first, message.second);
        if (!read) {
            std::cerr << "opel watch: " << read.error() << " ignored\n";
            return false;
        }
        const v1::Publication& pub = *read;
        if (pub.epoch() != epoch_ && !restarted(pub.epoch())) {
            return false;  // the snapshot could not be had; it is tried again on the next one
        }
        if (pub.has_heartbeat()) {
            if (pub.heartbeat().last_sequence() > last_) {
                resync(last_ + 1, pub.heartbeat().last_sequence());
            } else if (pub.heartbeat().last_sequence() < last_) {
                std::cerr << "opel watch: publisher sequence went back to "
                          << pub.heartbeat().last_sequence() << " (daemon restarted with "
                          << "older state?); re-synchronising\n";
                synchronise(true);
            }
            return false;
        }
        if (pub.sequence() <= last_) {
            return false;  // already reflected in the snapshot or shown from the store
        }
        if (pub.sequence() > last_ + 1) {
            resync(last_ + 1, pub.sequence() - 1);
            if (pub.sequence() <= last_) {
                return false;
            }
        }
        last_ = pub.sequence();
        return show(pub);
    }

    bool show(const v1::Publication& pub) {
        if (pub.has_status()) {
            const engine::NodeResult r = codec::from_proto(pub.status());
            if (!filter_.wants(r)) {
                return false;
            }
            if (json_) {
                std::cout << "{\"sequence\":" << pub.sequence()
                          << ",\"status\":" << codec::to_json(pub.status()) << "}\n";
            } else {
                std::cout << pad(std::to_string(pub.sequence()), 8);
                print_row(std::cout, 0, "", r);
            }
        } else if (pub.has_alert()) {
            const engine::Event e = codec::from_proto(pub.alert());
            if (!filter_.wants(e)) {
                return false;
            }
            if (json_) {
                std::cout << "{\"sequence\":" << pub.sequence()
                          << ",\"alert\":" << codec::to_json(pub.alert()) << "}\n";
            } else {
                std::cout << pad(std::to_string(pub.sequence()), 8) << format_london(e.at) << '\n';
                print_event(std::cout, e);
            }
        } else {
            return false;
        }
        std::cout.flush();
        ++printed_;
        return true;
    }

    zmq::context_t& context_;
    Endpoints endpoints_;
    Filter filter_;
    bool json_;
    std::optional<std::uint64_t> since_;   // --since: a sequence (0 with a time)
    std::optional<TimePoint> since_time_;  // --since TIME
    std::chrono::milliseconds timeout_;    // per snapshot or catch-up request
    Silence silence_;
    long printed_ = 0;  // updates shown (snapshot rows not counted)
    net::Subscriber subscriber_;
    std::uint64_t last_ = 0;
    std::uint64_t epoch_ = 0;  // of last_ (Publication.epoch)
};

struct Flags {
    std::optional<std::string> config;
    options::Endpoints endpoints;
    Filter filter;
    long count = 0;    // 0: no limit
    long seconds = 0;  // 0: no limit
    long timeout_ms = 5000;
    bool json = false;
    std::optional<std::uint64_t> since;
    std::optional<TimePoint> since_time;
};

// --since: a sequence number, or an RFC 3339 time (then 0 and the time).
Result<std::pair<std::uint64_t, std::optional<TimePoint>>, std::string> since_of(
    const std::string& text) {
    if (auto time = parse_rfc3339(text)) {
        return std::pair{std::uint64_t{0}, std::optional(*time)};
    }
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        return unexpected("--since: '" + text +
                          "' is neither a sequence number nor an RFC 3339 time "
                          "(2026-01-06T08:00:00Z)");
    }
    return std::pair{n, std::optional<TimePoint>{}};
}

Result<Flags, options::Stop> parse_flags(const std::vector<std::string>& argv) {
    Flags f;
    std::vector<std::string> positionals;
    std::optional<std::string> kind, node;
    std::optional<long> min_level, count, seconds;
    options::CommandLine cl("opel watch", help);
    cl.config(f.config);
    cl.endpoints(f.endpoints);
    cl.curve_keys(f.endpoints);
    cl.choice("--kind", kind, {"status", "alert"});
    cl.text("--node", node);
    cl.whole("--min-level", min_level, {1, 4, ""});
    cl.whole("--count", count, {1, 1000000000, ""});
    cl.whole("--seconds", seconds, {1, 31536000, "seconds"});
    std::optional<long> timeout_ms;
    cl.whole("--timeout-ms", timeout_ms, {1, 3600000, "milliseconds"});
    cl.flag("--json", f.json);
    std::optional<std::string> since;
    cl.text("--since", since);
    cl.positionals(positionals);
    auto chosen = parse_with_node(cl, argv, positionals, node);
    if (!chosen) {
        return unexpected(std::move(chosen).error());
    }
    if (since) {
        auto parsed = since_of(*since);
        if (!parsed) {
            return unexpected(cl.usage_error(parsed.error()));
        }
        f.since = parsed->first;
        f.since_time = parsed->second;
    }
    f.filter.node = std::move(chosen).value();
    f.filter.status = kind != "alert";
    f.filter.alert = kind != "status";
    f.filter.min_level = static_cast<int>(min_level.value_or(1));
    f.count = count.value_or(0);
    f.seconds = seconds.value_or(0);
    f.timeout_ms = timeout_ms.value_or(f.timeout_ms);
    return f;
}

}  // namespace

int watch_main(const std::vector<std::string>& argv) {
    const auto flags = parse_flags(argv);
    if (!flags) {
        return options::report(flags.error(), std::cout, std::cerr);
    }
    const auto eps = endpoints(flags->endpoints, flags->config, std::cerr);
    if (!eps) {
        return exit_failed;
    }
    zmq::context_t context;
    Watcher watcher(context, *eps, flags->filter, flags->json, flags->since, flags->since_time,
                    std::chrono::milliseconds(flags->timeout_ms));
    return watcher.run(flags->count, flags->seconds);
}

}  // namespace opel::cli

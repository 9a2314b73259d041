// Metrics: opel-escalatord's Prometheus text exposition (GET /metrics, served by
// adapters/http on the engine thread).
//
// Nearly every figure is read at scrape time from what the daemon already keeps: the
// escalator's counters, the server's drops, undelivered replies and subscriptions, and the
// engine's state of every node. Nothing is counted twice, and a scrape sees one consistent
// moment of the engine thread. Only the commit-time histogram is recorded here, as each
// transaction's batch comes back (prometheus-cpp's Histogram is thread-safe).
//
// Levels are `opel_node_level` 1..4, 0 while a node is UNKNOWN or STALE; `opel_node_stale` is 1
// while it is STALE, so "stale" and "no data" can be told apart.
//
// Owner: the Server, on the engine thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/time.h"

namespace prometheus {
class Histogram;
class Registry;
}  // namespace prometheus

namespace opel::escalatord {

class Escalator;

// The transport's figures at scrape time (Server).
struct ServerFigures {
    std::uint64_t dropped = 0;        // publications lost by at least one subscriber
    std::uint64_t undelivered = 0;    // replies a client never got
    std::uint64_t subscriptions = 0;  // active topic subscriptions
    std::size_t snapshot_requests_waiting = 0;
    // With CURVE (none without): handshakes the ZAP handler admitted and refused, and
    // subscriptions refused because no topic was inside the subscriber's subtrees.
    std::optional<std::uint64_t> zap_admitted;
    std::optional<std::uint64_t> zap_refused;
    std::uint64_t subscriptions_refused = 0;
};

class Metrics {
public:
    Metrics();
    ~Metrics();
    Metrics(const Metrics&) = delete;
    Metrics& operator=(const Metrics&) = delete;

    // Records one transaction's time, committed or rolled back (nanoseconds). Any thread.
    void observe_commit(std::uint64_t ns);

    // Every metric in Prometheus text format. `now` is the daemon's clock (which demos may
    // scale), against which each site's last sitrep is aged.
    std::string exposition(const Escalator& escalator, const ServerFigures& server,
                           TimePoint now) const;

private:
    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Histogram* commit_seconds_ = nullptr;  // owned by registry_
};

}  // namespace opel::escalatord

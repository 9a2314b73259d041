// Follows opel-escalatord's feed from a stored position so that every publication after it
// is handed over exactly once and in order, whatever is lost on the way (ZeroMQ guide
// "Clone" pattern, with the query endpoint's stored publications as the catch-up):
//
//   SUB (every topic) ──▶ sequence check ──▶ handler(item)
//        a gap (a sequence jump, a heartbeat ahead of us, a restart) ─▶ the query endpoint:
//        publications after the last handled, page by page, then live again; live messages
//        already covered are skipped
//
// Used by opel-notifyd; the same shape serves any daemon that must not miss an alert.
#pragma once

#include <zmq.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "adapters/net/curve.h"
#include "base/result.h"
#include "base/time.h"
#include "engine/node_result.h"

namespace zmq {
class context_t;
}  // namespace zmq

namespace opel::net {
class Subscriber;
}

namespace opel::feed {

// One publication, decoded.
struct Item {
    std::uint64_t epoch = 0;
    std::uint64_t sequence = 0;
    std::optional<engine::Event> alert;        // alert/<path>
    std::optional<engine::NodeResult> status;  // status/<path>
    std::optional<TimePoint> heartbeat_at;     // heartbeat: the publisher's clock
};

struct Endpoints {
    std::string publish;
    std::string snapshot;
    std::string query;
    std::optional<net::ClientKeys> curve;  // the escalator's and this client's CURVE keys
};

class Follower {
public:
    // Handles one item; false when it could not (its store failed): the position stays
    // before it and the next pump() fetches it again.
    using Handler = std::function<bool(const Item&)>;
    // `after`: the last sequence handled; none when nothing ever was (then the follower
    // starts from a snapshot's sequence, handing over nothing of the past).
    Follower(zmq::context_t& context, Endpoints endpoints, std::optional<std::uint64_t> after,
             std::chrono::milliseconds timeout);
    ~Follower();
    Follower(const Follower&) = delete;
    Follower& operator=(const Follower&) = delete;

    // The subscriber socket to poll for ZMQ_POLLIN.
    zmq_pollitem_t poll_item() const;

    // Catches up if needed (blocking on the query endpoint up to the timeout per page), then
    // hands over every live message waiting. An error (the query endpoint unreachable, a
    // snapshot refused) leaves the position where it was; the next call tries again.
    Result<std::monostate, std::string> pump(const Handler& handler);

    std::uint64_t last() const { return last_; }
    bool synchronised() const { return synchronised_; }
    // Messages that could not be decoded (dropped, counted) and catch-ups run.
    std::uint64_t undecodable() const { return undecodable_; }
    std::uint64_t catch_ups() const { return catch_ups_; }

private:
    Result<std::monostate, std::string> catch_up(const Handler& handler);
    Result<std::monostate, std::string> start(const Handler& handler);

    zmq::context_t& context_;
    Endpoints endpoints_;
    std::chrono::milliseconds timeout_;
    std::unique_ptr<net::Subscriber> subscriber_;
    std::uint64_t last_;
    bool from_snapshot_;  // nothing handled before: start from a snapshot
    bool synchronised_ = false;
    bool behind_ = false;  // a gap was seen: catch up before handing over anything live
    std::uint64_t undecodable_ = 0;
    std::uint64_t catch_ups_ = 0;
};

}  // namespace opel::feed

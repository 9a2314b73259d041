// Reports to opel-escalatord's submit socket (issue 14, SPEC §5): the `unacknowledged` command
// for each reminder and step of an open escalation, which the escalator checks, stores and
// publishes as an event on the feed. One DEALER socket per attempt (a late reply to an
// abandoned attempt is never taken for the next one's), polled in the daemon's loop like
// the sender's transfers, so a silent escalator never blocks it.
#pragma once

#include <zmq.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/clock/stopwatch.h"
#include "adapters/net/curve.h"
#include "notifyd/delivery.h"
#include "notifyd/outbox.h"

namespace zmq {
class context_t;
class socket_t;
}  // namespace zmq

namespace opel::notifyd {

// An attempt that ended (a transfer's or a report's).
struct Finished {
    std::string key;
    Attempt attempt;
    std::chrono::milliseconds took{0};
};

class Reporter {
public:
    Reporter(zmq::context_t& context, Duration timeout,
             std::optional<net::ClientKeys> keys = std::nullopt);
    ~Reporter();
    Reporter(const Reporter&) = delete;
    Reporter& operator=(const Reporter&) = delete;

    // Sends `message` (its body: a serialized opel.v1.SubmitRequest) to its receiver's
    // endpoint. A send that cannot start finishes with the next perform().
    void start(const OutMessage& message);
    bool sending(const std::string& key) const { return requests_.count(key) != 0; }
    std::size_t in_flight() const { return requests_.size(); }

    // Appends the sockets awaiting a reply to `items`; returns the milliseconds until the
    // earliest attempt times out (-1: none in flight).
    long poll_items(std::vector<zmq_pollitem_t>& items) const;
    // The attempts that ended: a reply read (ACCEPTED/DUPLICATE sent, REJECTED failed,
    // UNAVAILABLE retried), or no reply within the timeout (retried).
    std::vector<Finished> perform();

private:
    struct Request {
        std::string endpoint;
        std::unique_ptr<zmq::socket_t> socket;
        Stopwatch started;
    };

    zmq::context_t& context_;
    Duration timeout_;
    std::optional<net::ClientKeys> keys_;
    std::map<std::string, Request, std::less<>> requests_;
    std::vector<Finished> failed_to_start_;
};

}  // namespace opel::notifyd

// Sends messages through libcurl's multi interface (issue 14): webhooks as HTTP(S) POSTs and
// e-mail through an SMTP relay (STARTTLS when offered, required with require_tls), many at
// once, without blocking the daemon's loop: the caller polls the sockets poll_items() gives
// together with its ZeroMQ sockets and calls perform(). Reports to the escalator go through
// its Reporter (reporter.h) the same way.
#pragma once

#include <zmq.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/config/notify_settings.h"
#include "adapters/net/curve.h"
#include "notifyd/delivery.h"
#include "notifyd/outbox.h"
#include "notifyd/reporter.h"

namespace opel::notifyd {

class Sender {
public:
    // `keys`: CURVE keys for the escalator's submit socket (its reports), with
    // escalatord.curve.
    Sender(config::SmtpSettings smtp, Duration timeout, zmq::context_t& context,
           std::optional<net::ClientKeys> keys = std::nullopt);
    ~Sender();
    Sender(const Sender&) = delete;
    Sender& operator=(const Sender&) = delete;

    // Starts an attempt at `message`. A transfer that cannot even start (a malformed URL)
    // finishes with the next perform().
    void start(const OutMessage& message);
    bool sending(const std::string& key) const {
        return transfers_.count(key) != 0 || reporter_.sending(key);
    }
    std::size_t in_flight() const { return transfers_.size() + reporter_.in_flight(); }

    // Appends the sockets libcurl waits on to `items`; returns how long libcurl may wait
    // before perform() must be called (-1: no transfer).
    long poll_items(std::vector<zmq_pollitem_t>& items);

    using Finished = notifyd::Finished;
    // Moves every transfer on; returns the attempts that ended.
    std::vector<Finished> perform();

    struct Transfer;

private:
    long transfer_poll_items(std::vector<zmq_pollitem_t>& items);

    config::SmtpSettings smtp_;
    Duration timeout_;
    void* multi_;  // CURLM*
    std::map<std::string, std::unique_ptr<Transfer>, std::less<>> transfers_;
    std::vector<Finished> failed_to_start_;
    Reporter reporter_;
};

// The address inside "Name <address>" (or the whole text when there are no brackets).
std::string mail_address(const std::string& from);

}  // namespace opel::notifyd

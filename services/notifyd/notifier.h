// opel-notifyd's core (issue 14): from feed items to stored deliveries, grouped messages,
// reminders and escalations, and the outcome of each attempt. Holds no sockets; the outbox
// is its only I/O, and every time is passed in (wall time for grouping and retries; the
// policy clock — the wall, or the feed's own time in drills and tests — for escalations).
//
//   handle(item)  alert ─▶ routes ─▶ deliveries, escalations opened/closed, feed position:
//                 one outbox transaction; then held for grouping (a stand-down is not)
//   tick(now)     grouping windows closed ─▶ messages; follow-ups due ─▶ messages
//   to_send(now)  messages due, within each receiver's rate limit
//   finished()    sent, or retrying at a backed-off time, or failed
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/config/notify_settings.h"
#include "adapters/feed/follower.h"
#include "engine/model.h"
#include "notifyd/delivery.h"
#include "notifyd/escalation.h"
#include "notifyd/grouping.h"
#include "notifyd/outbox.h"

namespace spdlog {
class logger;
}

namespace opel::notifyd {

// Counted since start (the outbox keeps the durable totals).
struct Figures {
    std::uint64_t alerts = 0;            // alert events handled
    std::uint64_t deliveries = 0;        // new deliveries stored
    std::uint64_t messages = 0;          // messages formed (grouped, prompt or follow-up)
    std::uint64_t reminders = 0;         // reminder messages formed
    std::uint64_t escalation_steps = 0;  // messages to a further group
    std::uint64_t attempts = 0;          // delivery attempts ended
    std::uint64_t sent = 0;
    std::uint64_t retries = 0;         // attempts that failed and will be retried
    std::uint64_t failed = 0;          // deliveries given up
    std::uint64_t rate_limited = 0;    // attempts postponed by a receiver's rate limit
    std::uint64_t store_failures = 0;  // outbox transactions that failed
    std::uint64_t silenced = 0;        // alerts no one was told of because of a silence
    std::uint64_t escalations_opened = 0;
    std::uint64_t escalations_closed = 0;  // acknowledged or superseded
};

enum class PolicyClock { wall, stream };

class Notifier {
public:
    // `report_to`: the escalator's submit endpoint, where each reminder and step is reported
    // (the `unacknowledged` event on the feed); empty: not reported.
    Notifier(config::NotifydSettings settings, const engine::Model& model, Outbox& outbox,
             spdlog::logger& log, PolicyClock clock, std::string report_to);

    // Re-holds deliveries still in their grouping window and loads open escalations.
    OutboxResult<bool> restore();
    // One feed item. False when the outbox could not store it: the follower hands it over
    // again.
    bool handle(const feed::Item& item, WallTime now);
    // Takes new routing (groups, routes, silences) from a reloaded configuration. Open
    // escalations keep their timers; one whose route is gone gets no more follow-ups.
    void set_routing(config::Routing routing) { settings_.routing = std::move(routing); }
    // Stores the feed position when it moved since the last one stored (heartbeats and
    // status messages move it without any delivery), so a restart starts from there.
    void remember(const FeedPosition& position);
    // Closes grouping windows and takes follow-ups that fell due.
    void tick(WallTime now);
    // Messages due to be attempted now, skipping those `sending` says are in flight and
    // those over their receiver's rate limit.
    std::vector<OutMessage> to_send(WallTime now,
                                    const std::function<bool(const std::string&)>& sending);
    // The outcome of an attempt at `message`; `draw` (0..1) sets the retry jitter.
    void finished(const OutMessage& message, const Attempt& attempt, WallTime now, double draw);
    // When something is next due (a window, a retry, a follow-up on the wall clock).
    std::optional<WallTime> next_wakeup();

    TimePoint policy_now(WallTime now) const;
    const Figures& figures() const { return figures_; }
    const std::vector<OpenEscalation>& open_escalations() const { return open_; }

private:
    bool store_messages(const std::vector<Message>& messages, WallTime now,
                        const std::optional<OpenEscalation>& escalation);
    void follow_up(WallTime now);
    const Route* route_named(const std::string& name) const;
    std::vector<Receiver> receivers_of(const std::vector<std::string>& groups) const;

    config::NotifydSettings settings_;
    const engine::Model& model_;
    Outbox& outbox_;
    spdlog::logger& log_;
    PolicyClock clock_;
    std::string report_to_;
    std::map<std::string, std::string, std::less<>> names_;  // node id -> name
    Grouper grouper_;
    RateLimit rate_;
    std::vector<OpenEscalation> open_;
    std::optional<TimePoint> stream_time_;  // the latest time the feed has shown
    // Stand-downs to send now, by receiver: events of the same feed pump join them, so one
    // sitrep's chain of stand-downs is one message. Stored by the next tick().
    std::map<std::string, Message, std::less<>> prompt_;
    std::optional<std::uint64_t> recorded_;  // the sequence last stored
    Figures figures_;
};

using config::redacted;

}  // namespace opel::notifyd

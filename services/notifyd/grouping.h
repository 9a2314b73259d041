// opel-notifyd's grouping window (issue 14): one sitrep that moves a site and its four
// ancestors becomes one message per receiver listing the chain, not five. Pure: time is
// passed in.
//
//   add(delivery, event, now) ─▶ held per receiver for `window` after its first event
//   stand-downs and recoveries ─▶ sent at once, with whatever that receiver had waiting
//   due(now) ─▶ the messages whose window has closed, oldest first
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"
#include "engine/node_result.h"
#include "notifyd/routing.h"

namespace opel::notifyd {

// One message for one receiver: the events it lists, in the order they came.
struct Message {
    Receiver receiver;
    std::string key;  // the first event's delivery key: stable, for de-duplication
    std::vector<engine::Event> events;
    // Reminders and escalations of an open escalation: why it is sent again ("not
    // acknowledged after 30 min"); empty for a first message.
    std::string reminder;
    // To the escalator (ReceiverKind::escalator): the unacknowledged escalation it reports.
    std::optional<engine::Unacknowledged> report;
};

class Grouper {
public:
    explicit Grouper(Duration window) : window_(window) {}

    // Holds `event` for `delivery`'s receiver. A stand-down (deescalated, recovered) is never
    // held for the window: it returns that receiver's message at once, holding everything
    // that was waiting for it too.
    std::optional<Message> add(const Delivery& delivery, engine::Event event, TimePoint now);
    // The messages whose window has closed by `now`, oldest window first.
    std::vector<Message> due(TimePoint now);
    // Whether an event of `transition_id` is held for some receiver.
    bool holds(std::string_view transition_id) const;
    // When the next window closes, if any is open.
    std::optional<TimePoint> next_deadline() const;

private:
    struct Pending {
        TimePoint deadline;
        Message message;
    };
    Duration window_;
    std::map<std::string, Pending> pending_;  // by receiver target
};

}  // namespace opel::notifyd

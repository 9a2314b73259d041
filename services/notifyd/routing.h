// opel-notifyd's routing core (issue 14): which people an alert goes to, and what they read.
// Pure: no sockets, files or clocks (time is passed in), so every rule is unit-tested.
//
//   engine::Event ──▶ route(): routes matching its node, kind, level and provider type,
//                     minus silences ─▶ one Delivery per receiver (a person in two groups
//                     hears once), keyed by the transition and the receiver
//   Deliveries ──▶ (the outbox, later: stored before sending, retried, acknowledged)
//   Event ──▶ subject() / body(): "[OPEL 4] Stepping Hill (RWJ) escalated from OPEL 3 — 08:00 GMT"
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "adapters/config/notify_settings.h"
#include "base/time.h"
#include "engine/config.h"
#include "engine/node_result.h"

namespace opel::notifyd {

using config::EscalationPolicy;
using config::EscalationStep;
using config::Group;
using config::Receiver;
using config::ReceiverKind;
using config::Route;
using config::Routing;
using config::Silence;

// One message to one receiver about one event. `key` is stable for the event and receiver
// (the idempotency key a receiver can de-duplicate on: HTTP header and body field, e-mail
// Message-ID): "<transition id or event id>/<receiver id>".
struct Delivery {
    std::string key;
    std::string group;  // the first group that named the receiver
    Receiver receiver;
    std::string route;  // the route of that group
};

// A receiver's part of a delivery key: an e-mail address as it is; a webhook as its kind and
// a digest of its URL ("teams-3f2a9c0b1d4e"), because webhook URLs carry credentials and
// keys are logged and sent.
std::string receiver_id(const Receiver& receiver);

// An event's stable id: its transition id, or for events without one (mismatches,
// declarations, acknowledgements, config reloads) "<node>/<kind>/<time>[/<n>]".
std::string event_id(const engine::Event& event);

// The deliveries for `event` at `now`, in route and receiver order, each receiver once;
// none when a silence covers it. `provider_type` is that of the event's node (none for
// system nodes).
std::vector<Delivery> route(const engine::Event& event, engine::ProviderType provider_type,
                            const Routing& routing, TimePoint now);

// The routes whose filters match `event` (none while a silence covers it), in order.
std::vector<const Route*> matching_routes(const engine::Event& event,
                                          engine::ProviderType provider_type,
                                          const Routing& routing, TimePoint now);

// The silence that covers `event` at `now`, if any.
const Silence* silenced_by(const engine::Event& event, const Routing& routing, TimePoint now);

// What people read. `name` is the node's name from the configuration ("Stepping Hill"),
// empty when it has none. Times are Europe/London.
//   [OPEL 4] Stepping Hill (RWJ) escalated from OPEL 3 — 08:00 GMT
std::string subject(const engine::Event& event, const std::string& name);
// The plain-text body: what happened, why, the card's actions for the new level, the
// stand-down note, and how to acknowledge it.
std::string text_body(const engine::Event& event, const std::string& name);

}  // namespace opel::notifyd

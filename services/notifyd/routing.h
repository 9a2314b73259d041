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

#include "base/time.h"
#include "engine/config.h"
#include "engine/node_result.h"

namespace opel::notifyd {

enum class ReceiverKind { webhook, teams, slack, email };

// Where a message goes: a webhook URL (generic JSON, Teams or Slack) or an e-mail address.
struct Receiver {
    ReceiverKind kind = ReceiverKind::webhook;
    std::string target;

    bool operator==(const Receiver&) const = default;
};

// A recipient group ("winter oversight group", "Stockport director on call").
struct Group {
    std::string name;
    std::vector<Receiver> receivers;
};

// Which events a group hears of. Empty lists mean "any".
struct Route {
    std::string name;
    std::string subtree;                   // a node path filter (engine::path_matches)
    std::vector<engine::EventKind> kinds;  // empty: every kind but config_reloaded
    // The event concerns OPEL min_level or above: its old or new level is at least this (so
    // the stand-down from it is heard too). STALE, UNKNOWN and people's commands always pass.
    int min_level = 1;
    std::vector<engine::ProviderType> provider_types;  // of the event's node
    std::vector<std::string> groups;
};

// "Quiet": no message for matching events while it lasts, with who and why.
struct Silence {
    std::string subtree;
    std::vector<engine::EventKind> kinds;  // empty: every kind
    std::string reason;
    std::string author;
    TimePoint starts_at;
    TimePoint ends_at;
};

struct Routing {
    std::vector<Group> groups;
    std::vector<Route> routes;
    std::vector<Silence> silences;
};

// One message to one receiver about one event. `key` is stable for the event and receiver
// (the idempotency key a receiver can de-duplicate on: HTTP header and body field, e-mail
// Message-ID): "<transition id or event id>/<receiver target>".
struct Delivery {
    std::string key;
    std::string group;  // the first group that named the receiver
    Receiver receiver;
};

// An event's stable id: its transition id, or for events without one (mismatches,
// declarations, acknowledgements, config reloads) "<node>/<kind>/<time>[/<n>]".
std::string event_id(const engine::Event& event);

// The deliveries for `event` at `now`, in route and receiver order, each receiver once;
// none when a silence covers it. `provider_type` is that of the event's node (none for
// system nodes).
std::vector<Delivery> route(const engine::Event& event, engine::ProviderType provider_type,
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

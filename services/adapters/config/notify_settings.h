// opel-notifyd's settings and routing as plain values with their defaults (from
// opel.config.v1.NotifydSettings and the routing file, opel.config.v1.NotifyRouting).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/config/settings.h"
#include "base/time.h"
#include "engine/config.h"
#include "engine/node_result.h"

namespace opel::config {

// `escalator` is not configured: it is opel-escalatord's submit socket, where notifyd
// reports escalations nobody acknowledged (the `unacknowledged` command).
enum class ReceiverKind { webhook, teams, slack, email, escalator };

// "webhook", "teams", "slack", "email", "escalator" (stored in the outbox) and back.
inline std::string_view to_string(ReceiverKind k) {
    switch (k) {
        case ReceiverKind::teams:
            return "teams";
        case ReceiverKind::slack:
            return "slack";
        case ReceiverKind::email:
            return "email";
        case ReceiverKind::escalator:
            return "escalator";
        case ReceiverKind::webhook:
            break;
    }
    return "webhook";
}
inline ReceiverKind receiver_kind(std::string_view s) {
    for (const ReceiverKind k :
         {ReceiverKind::teams, ReceiverKind::slack, ReceiverKind::email, ReceiverKind::escalator}) {
        if (s == to_string(k)) {
            return k;
        }
    }
    return ReceiverKind::webhook;
}

// Where a message goes: a webhook URL (generic JSON, Teams or Slack), an e-mail address, or
// the escalator's submit endpoint.
struct Receiver {
    ReceiverKind kind = ReceiverKind::webhook;
    std::string target;

    bool operator==(const Receiver&) const = default;
};

// A receiver for logs and listings without its secret: an e-mail address as it is, a URL as
// scheme://host/… (Teams and Slack webhook paths are credentials).
inline std::string redacted(const Receiver& r) {
    if (r.kind == ReceiverKind::email || r.kind == ReceiverKind::escalator) {
        return r.target;
    }
    const std::size_t scheme = r.target.find("://");
    const std::size_t path =
        scheme == std::string::npos ? std::string::npos : r.target.find('/', scheme + 3);
    return path == std::string::npos ? r.target : r.target.substr(0, path) + "/…";
}

// A recipient group ("winter oversight group", "Stockport director on call").
struct Group {
    std::string name;
    std::vector<Receiver> receivers;
};

// Further groups told when an escalation has been open (unacknowledged) for `after`.
struct EscalationStep {
    Duration after{0};
    std::vector<std::string> groups;
};

struct EscalationPolicy {
    Duration remind_every{0};  // 0: no reminders
    std::vector<EscalationStep> steps;
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
    EscalationPolicy escalation;
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

struct SmtpSettings {
    std::string url;  // smtp://host:port or smtps://host:port; empty: no e-mail
    std::string from;
    bool require_tls = false;
};

struct DeliverySettings {
    std::chrono::milliseconds first_retry{5000};
    std::chrono::milliseconds max_retry{300000};
    Duration give_up_after{6 * 3600};
    Duration timeout{10};
    std::uint32_t rate_per_minute = 30;
};

struct NotifydSettings {
    std::string database_path = "opel-notify.db";
    std::string metrics_address = "127.0.0.1:9465";
    Duration grouping{10};
    std::string wallboard_url;
    SmtpSettings smtp;
    DeliverySettings delivery;
    Routing routing;
    CurveClientFiles curve;  // notifyd's keys for the escalator's sockets
};

}  // namespace opel::config

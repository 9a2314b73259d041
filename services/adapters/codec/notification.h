// opel-notifyd's formats (issue 14): the generic webhook body (opel.v1.Notification), the
// Teams and Slack bodies, and events stored in the outbox as opel.v1.Event bytes.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/node_result.h"

namespace opel::codec {

struct NotifiedEvent {
    const engine::Event* event = nullptr;
    std::string name;         // the node's name from the configuration
    std::string link;         // on the wallboard; "" = none
    std::string acknowledge;  // "opel ack RWJ#4 --by \"Your Name\""; "" = not a transition
};

struct NotificationContent {
    std::string idempotency_key;
    std::string subject;
    std::string text;
    std::string reminder;
    std::vector<NotifiedEvent> events;
};

// JSON (protobuf's mapping) of opel.v1.Notification.
std::string notification_json(const NotificationContent& content);
// A Teams incoming-webhook / Workflows message carrying an Adaptive Card: the subject as a
// bold title, the text, and an "Open on the wallboard" button when `link` is set.
std::string teams_json(const std::string& subject, const std::string& text,
                       const std::string& link);
// A Slack incoming-webhook message: `text` is the notification line, the block the message.
std::string slack_json(const std::string& subject, const std::string& text,
                       const std::string& link);

std::string event_bytes(const engine::Event& event);
// Nullopt when `bytes` are not an opel.v1.Event.
std::optional<engine::Event> event_from_bytes(std::string_view bytes);

}  // namespace opel::codec

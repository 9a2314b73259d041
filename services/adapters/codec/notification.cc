#include "adapters/codec/notification.h"

#include <google/protobuf/struct.pb.h>

#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "opel/v1/notification.pb.h"

namespace opel::codec {
namespace {

namespace pb = google::protobuf;

pb::Value text_value(const std::string& s) {
    pb::Value v;
    v.set_string_value(s);
    return v;
}

pb::Value boolean(bool b) {
    pb::Value v;
    v.set_bool_value(b);
    return v;
}

pb::Value object(std::initializer_list<std::pair<const char*, pb::Value>> fields) {
    pb::Value v;
    auto& map = *v.mutable_struct_value()->mutable_fields();
    for (const auto& [key, value] : fields) {
        map[key] = value;
    }
    return v;
}

pb::Value list(std::vector<pb::Value> items) {
    pb::Value v;
    for (pb::Value& item : items) {
        *v.mutable_list_value()->add_values() = std::move(item);
    }
    return v;
}

}  // namespace

std::string notification_json(const NotificationContent& c) {
    v1::Notification n;
    n.set_idempotency_key(c.idempotency_key);
    n.set_subject(c.subject);
    n.set_text(c.text);
    n.set_reminder(c.reminder);
    for (const NotifiedEvent& e : c.events) {
        v1::NotifiedEvent& out = *n.add_events();
        to_proto(*e.event, *out.mutable_event());
        out.set_name(e.name);
        out.set_link(e.link);
        out.set_acknowledge(e.acknowledge);
    }
    return to_json(n);
}

std::string teams_json(const std::string& subject, const std::string& text,
                       const std::string& link) {
    std::vector<pb::Value> actions;
    if (!link.empty()) {
        actions.push_back(object({{"type", text_value("Action.OpenUrl")},
                                  {"title", text_value("Open on the wallboard")},
                                  {"url", text_value(link)}}));
    }
    const pb::Value card =
        object({{"type", text_value("AdaptiveCard")},
                {"version", text_value("1.4")},
                {"$schema", text_value("http://adaptivecards.io/schemas/adaptive-card.json")},
                {"body", list({object({{"type", text_value("TextBlock")},
                                       {"text", text_value(subject)},
                                       {"weight", text_value("Bolder")},
                                       {"size", text_value("Medium")},
                                       {"wrap", boolean(true)}}),
                               object({{"type", text_value("TextBlock")},
                                       {"text", text_value(text)},
                                       {"wrap", boolean(true)}})})},
                {"actions", list(std::move(actions))}});
    return to_json(object(
        {{"type", text_value("message")},
         {"attachments",
          list({object({{"contentType", text_value("application/vnd.microsoft.card.adaptive")},
                        {"content", card}})})}}));
}

// Slack's message text treats &, < and > as control characters: they are sent escaped.
std::string slack_escaped(std::string_view text) {
    std::string out;
    for (const char c : text) {
        out += c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : std::string(1, c);
    }
    return out;
}

std::string slack_json(const std::string& subject, const std::string& text,
                       const std::string& link) {
    const std::string block = "*" + slack_escaped(subject) + "*\n" + slack_escaped(text) +
                              (link.empty() ? "" : "\n<" + link + "|Open on the wallboard>");
    return to_json(
        object({{"text", text_value(slack_escaped(subject))},
                {"blocks", list({object({{"type", text_value("section")},
                                         {"text", object({{"type", text_value("mrkdwn")},
                                                          {"text", text_value(block)}})}})})}}));
}

std::string event_bytes(const engine::Event& event) { return to_proto(event).SerializeAsString(); }

std::optional<engine::Event> event_from_bytes(std::string_view bytes) {
    v1::Event e;
    if (!e.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return std::nullopt;
    }
    return from_proto(e);
}

}  // namespace opel::codec

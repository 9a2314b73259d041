#include "notifyd/render.h"

#include <sodium.h>

#include <array>

#include "adapters/codec/command.h"
#include "adapters/codec/notification.h"
#include "engine/model.h"
#include "notifyd/routing.h"

namespace opel::notifyd {
namespace {

const std::string& name_of(const RenderContext& c, const std::string& node_id) {
    static const std::string none;
    if (c.names == nullptr) {
        return none;
    }
    const auto it = c.names->find(node_id);
    return it == c.names->end() ? none : it->second;
}

std::string link_of(const RenderContext& c, const engine::Event& e) {
    return c.wallboard_url.empty() ? "" : c.wallboard_url + "/node/" + e.node_id;
}

// The first event's link: the button of a Teams or Slack message ("" for a message of no
// events).
std::string first_link(const Message& m, const RenderContext& c) {
    return m.events.empty() ? "" : link_of(c, m.events.front());
}

std::string ack_line(const engine::Event& e) {
    return e.transition_id.empty() || e.kind == engine::EventKind::acknowledged
               ? ""
               : "opel ack " + e.transition_id + " --by \"Your Name\"";
}

std::string base64(std::string_view bytes) {
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(),
                      reinterpret_cast<const unsigned char*>(bytes.data()),  // NOLINT: C API
                      bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1);  // the terminating NUL
    return out;
}

// `text` as it is when plain ASCII, else RFC 2047 encoded-words (subjects carry an em dash).
std::string header_text(const std::string& text) {
    const bool ascii = std::all_of(text.begin(), text.end(), [](char ch) {
        return static_cast<unsigned char>(ch) >= 0x20 && static_cast<unsigned char>(ch) < 0x7f;
    });
    if (ascii) {
        return text;
    }
    // RFC 2047 §2: an encoded-word is at most 75 characters, so the text goes in pieces of at
    // most 45 bytes (60 in base64), each ending on a whole UTF-8 character; decoders drop the
    // spaces between encoded-words.
    constexpr std::size_t piece = 45;
    std::string out;
    for (std::size_t at = 0; at < text.size();) {
        std::size_t end = std::min(text.size(), at + piece);
        while (end < text.size() && end > at &&
               (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
            --end;  // not inside a character
        }
        out += (out.empty() ? "" : " ") + ("=?UTF-8?B?" + base64(text.substr(at, end - at)) + "?=");
        at = end;
    }
    return out;
}

std::string html_escape(std::string_view text) {
    std::string out;
    for (const char ch : text) {
        switch (ch) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += ch;
        }
    }
    return out;
}

// "Thu, 03 Dec 2026 08:00:00 +0000" (RFC 5322 date, UTC).
std::string mail_date(TimePoint t) {
    static constexpr std::array<const char*, 7> days = {"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{t - day};
    const std::chrono::weekday wd{day};
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%s, %02u %s %04d %02ld:%02ld:%02ld +0000",
                  days[wd.c_encoding()], static_cast<unsigned>(ymd.day()),
                  months[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                  static_cast<long>(hms.hours().count()), static_cast<long>(hms.minutes().count()),
                  static_cast<long>(hms.seconds().count()));
    return buffer;
}

std::string generic_json(const Message& m, const RenderContext& c) {
    codec::NotificationContent n{m.key, message_subject(m, c), message_text(m, c), m.reminder, {}};
    for (const engine::Event& e : m.events) {
        n.events.push_back({&e, name_of(c, e.node_id), link_of(c, e), ack_line(e)});
    }
    return codec::notification_json(n);
}

std::string html_of(const Message& m, const RenderContext& c) {
    std::string out = "<!DOCTYPE html><html><body style=\"font-family:sans-serif\">";
    if (!m.reminder.empty()) {
        out += "<p><strong>" + html_escape(m.reminder) + "</strong></p>";
    }
    for (const engine::Event& e : m.events) {
        out += "<h2>" + html_escape(subject(e, name_of(c, e.node_id))) + "</h2><pre>" +
               html_escape(text_body(e, name_of(c, e.node_id))) + "</pre>";
        if (const std::string link = link_of(c, e); !link.empty()) {
            out += "<p><a href=\"" + html_escape(link) + "\">Open on the wallboard</a></p>";
        }
    }
    return out + "</body></html>";
}

}  // namespace

std::string message_id(const std::string& key) {
    std::array<unsigned char, 16> digest{};
    crypto_generichash(digest.data(), digest.size(),
                       reinterpret_cast<const unsigned char*>(key.data()),  // NOLINT: C API
                       key.size(), nullptr, 0);
    std::string hex(digest.size() * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    hex.resize(digest.size() * 2);
    return "<" + hex + "@opel-notifyd>";
}

std::string message_subject(const Message& m, const RenderContext& c) {
    if (m.events.empty()) {
        return m.reminder;
    }
    const engine::Event& first = m.events.front();
    std::string out = subject(first, name_of(c, first.node_id));
    if (!m.reminder.empty()) {
        out = "[NOT ACKNOWLEDGED] " + out;
    }
    if (m.events.size() > 1) {
        out += " (+" + std::to_string(m.events.size() - 1) + " more)";
    }
    return out;
}

std::string message_text(const Message& m, const RenderContext& c) {
    std::string out;
    if (!m.reminder.empty()) {
        out += m.reminder + "\n\n";
    }
    for (std::size_t i = 0; i < m.events.size(); ++i) {
        const engine::Event& e = m.events[i];
        if (i > 0) {
            out += "\n----------------------------------------\n\n";
        }
        out += text_body(e, name_of(c, e.node_id));
        if (const std::string link = link_of(c, e); !link.empty()) {
            out += "Wallboard: " + link + "\n";
        }
    }
    return out;
}

Rendered render(const Message& m, const RenderContext& c) {
    Rendered out;
    out.subject = message_subject(m, c);
    switch (m.receiver.kind) {
        case ReceiverKind::webhook:
            out.body = generic_json(m, c);
            break;
        case ReceiverKind::teams:
            out.body = codec::teams_json(out.subject, message_text(m, c), first_link(m, c));
            break;
        case ReceiverKind::slack:
            out.body = codec::slack_json(out.subject, message_text(m, c), first_link(m, c));
            break;
        case ReceiverKind::escalator:
            out.content_type = "application/x-protobuf";  // an opel.v1.SubmitRequest
            out.body = m.report ? codec::unacknowledged_request(*m.report) : std::string();
            return out;
        case ReceiverKind::email:
            out.content_type = "text/plain";
            out.body = message_text(m, c);
            out.html = html_of(m, c);
            out.headers = {"From: " + c.from,
                           "To: " + m.receiver.target,
                           "Subject: " + header_text(out.subject),
                           "Date: " + mail_date(c.now),
                           "Message-ID: " + message_id(m.key),
                           "X-OPEL-Idempotency-Key: " + m.key};
            return out;
    }
    out.content_type = "application/json";
    out.headers = {"Idempotency-Key: " + m.key};
    return out;
}

}  // namespace opel::notifyd

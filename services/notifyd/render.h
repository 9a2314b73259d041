// What one message looks like to each kind of receiver (issue 14): the generic webhook's
// JSON (opel.v1.Notification), a Microsoft Teams Adaptive Card, a Slack message, or an
// e-mail (plain text and HTML, RFC 5322 with a stable Message-ID). No I/O: names, links
// and the time are passed in.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/time.h"
#include "notifyd/grouping.h"

namespace opel::notifyd {

struct RenderContext {
    const std::map<std::string, std::string, std::less<>>* names = nullptr;  // node id -> name
    std::string wallboard_url;                                               // "" = no links
    std::string from;                                                        // e-mail From
    TimePoint now;                                                           // e-mail Date
};

struct Rendered {
    std::string subject;
    std::string content_type;  // "application/json" (webhooks) or "text/plain" (e-mail)
    std::string body;          // the JSON to POST, or the e-mail's plain text
    std::string html;          // e-mail: the HTML alternative
    // E-mail: From, To, Subject (RFC 2047), Date, Message-ID, X-OPEL-Idempotency-Key;
    // webhooks: Idempotency-Key.
    std::vector<std::string> headers;
};

// The message for `message.receiver`'s kind.
Rendered render(const Message& message, const RenderContext& context);

// The subject and the plain text of a message (every kind carries them).
std::string message_subject(const Message& message, const RenderContext& context);
std::string message_text(const Message& message, const RenderContext& context);

// The e-mail Message-ID for an idempotency key: "<hex digest of the key>@opel-notifyd".
std::string message_id(const std::string& key);

}  // namespace opel::notifyd

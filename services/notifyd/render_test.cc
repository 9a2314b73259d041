#include "notifyd/render.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <regex>

#include "adapters/codec/command.h"
#include "adapters/codec/wire.h"

namespace opel::notifyd {
namespace {

using engine::EventKind;
using engine::Status;

TimePoint at(std::string_view text) { return *parse_rfc3339(text); }

engine::Event event(EventKind kind, Status from, Status to, const std::string& node,
                    const std::string& transition) {
    engine::Event e;
    e.kind = kind;
    e.node_id = node;
    e.path = "national/north-west/QOP/stockport/" + node;
    e.transition_id = transition;
    e.from = from;
    e.to = to;
    e.at = at("2026-01-13T08:00:00Z");
    return e;
}

engine::Event rwj() {
    return event(EventKind::escalated, Status::opel3, Status::opel4, "RWJ", "RWJ#7");
}
engine::Event stockport() {
    return event(EventKind::escalated, Status::opel2, Status::opel3, "stockport", "stockport#2");
}
engine::Event qop() {
    return event(EventKind::escalated, Status::opel2, Status::opel3, "QOP", "QOP#5");
}

const std::map<std::string, std::string, std::less<>> names = {{"RWJ", "Stepping Hill"},
                                                               {"stockport", "Stockport"}};
const Receiver email{ReceiverKind::email, "director@example.nhs.uk"};
const Receiver webhook{ReceiverKind::webhook, "https://receiver.example/opel"};
const Receiver teams{ReceiverKind::teams, "https://example.webhook.office.com/webhookb2/abc"};
const Receiver slack{ReceiverKind::slack, "https://hooks.slack.example/services/T0/B0/x"};

RenderContext context(std::string wallboard = "https://opel.example.nhs.uk") {
    return {&names, std::move(wallboard), "OPEL <opel@example.nhs.uk>", at("2026-01-13T08:00:05Z")};
}

Message message(const Receiver& r, std::vector<engine::Event> events, std::string reminder = "") {
    return {r, "RWJ#7/" + r.target, std::move(events), std::move(reminder), {}};
}

// A parsed JSON document; strings read by JSON pointer ("/events/0/name").
class Json {
public:
    explicit Json(const std::string& text) {
        ok_ = parser_.parse(text).get(root_) == simdjson::SUCCESS;
    }
    bool ok() const { return ok_; }
    bool has(std::string_view pointer) const {
        return ok_ && root_.at_pointer(pointer).error() == simdjson::SUCCESS;
    }
    std::string string(std::string_view pointer) const {
        std::string_view out;
        if (!ok_ || root_.at_pointer(pointer).get_string().get(out) != simdjson::SUCCESS) {
            return "<no string at " + std::string(pointer) + ">";
        }
        return std::string(out);
    }
    std::size_t size(std::string_view pointer) const {
        simdjson::dom::array array;
        if (!ok_ || root_.at_pointer(pointer).get_array().get(array) != simdjson::SUCCESS) {
            return 0;
        }
        return array.size();
    }

private:
    simdjson::dom::parser parser_;
    simdjson::dom::element root_;
    bool ok_ = false;
};

std::string header(const Rendered& r, std::string_view name) {
    const std::string prefix = std::string(name) + ": ";
    for (const std::string& h : r.headers) {
        if (h.rfind(prefix, 0) == 0) {
            return h.substr(prefix.size());
        }
    }
    return "<no " + std::string(name) + " header>";
}

std::string base64_decode(std::string_view in) {
    static const std::string alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned bits = 0;
    int count = 0;
    for (const char ch : in) {
        if (ch == '=') {
            break;
        }
        const std::size_t v = alphabet.find(ch);
        if (v == std::string::npos) {
            return "<not base64>";
        }
        bits = (bits << 6U) | static_cast<unsigned>(v);
        count += 6;
        if (count >= 8) {
            count -= 8;
            out += static_cast<char>((bits >> static_cast<unsigned>(count)) & 0xffU);
        }
    }
    return out;
}

// The encoded-words of a header value ("=?UTF-8?B?...?= =?UTF-8?B?...?="), decoded.
struct EncodedWords {
    bool only_words = true;  // nothing but encoded-words separated by white space
    std::string decoded;
    std::vector<std::size_t> lengths;
    bool whole_characters = true;  // no word splits a UTF-8 sequence
};

EncodedWords encoded_words(const std::string& value) {
    static const std::regex word(R"(=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=)");
    EncodedWords out;
    std::size_t last = 0;
    for (auto it = std::sregex_iterator(value.begin(), value.end(), word);
         it != std::sregex_iterator(); ++it) {
        const std::string between =
            value.substr(last, static_cast<std::size_t>(it->position()) - last);
        out.only_words = out.only_words && between.find_first_not_of(" \t") == std::string::npos;
        last = static_cast<std::size_t>(it->position() + it->length());
        const std::string text = base64_decode((*it)[1].str());
        const auto continuation = [](char ch) {
            return (static_cast<unsigned char>(ch) & 0xC0U) == 0x80U;
        };
        if (!text.empty()) {
            // Whole characters: it does not start inside one, and its last one is complete.
            std::size_t lead = text.size() - 1;
            while (lead > 0 && continuation(text[lead])) {
                --lead;
            }
            const auto b = static_cast<unsigned char>(text[lead]);
            const std::size_t need = b < 0x80U ? 1 : b >= 0xF0U ? 4 : b >= 0xE0U ? 3 : 2;
            out.whole_characters =
                out.whole_characters && !continuation(text.front()) && text.size() - lead == need;
        }
        out.decoded += text;
        out.lengths.push_back(static_cast<std::size_t>(it->length()));
    }
    out.only_words = out.only_words && !out.lengths.empty() && last == value.size();
    return out;
}

// --- message_subject / message_text ---------------------------------------------------------

TEST(MessageSubjectTest, OneEventIsItsSubjectWithTheConfiguredName) {
    EXPECT_EQ(message_subject(message(email, {rwj()}), context()),
              "[OPEL 4] Stepping Hill (RWJ) escalated from OPEL 3 — 08:00 GMT");
    RenderContext nameless = context();
    nameless.names = nullptr;
    EXPECT_EQ(message_subject(message(email, {rwj()}), nameless),
              "[OPEL 4] RWJ escalated from OPEL 3 — 08:00 GMT");
}

TEST(MessageSubjectTest, AGroupedMessageSaysHowManyMore) {
    EXPECT_EQ(message_subject(message(email, {rwj(), stockport()}), context()),
              "[OPEL 4] Stepping Hill (RWJ) escalated from OPEL 3 — 08:00 GMT (+1 more)");
    EXPECT_EQ(message_subject(message(email, {rwj(), stockport(), qop()}), context()),
              "[OPEL 4] Stepping Hill (RWJ) escalated from OPEL 3 — 08:00 GMT (+2 more)");
}

TEST(MessageSubjectTest, AReminderIsMarkedNotAcknowledged) {
    EXPECT_EQ(message_subject(message(email, {rwj()}, "Reminder: not acknowledged after 30 min."),
                              context()),
              "[NOT ACKNOWLEDGED] [OPEL 4] Stepping Hill (RWJ) escalated from OPEL 3 — 08:00 GMT");
    EXPECT_EQ(message_subject(message(email, {rwj(), stockport()}, "Reminder"), context()),
              "[NOT ACKNOWLEDGED] [OPEL 4] Stepping Hill (RWJ) escalated from OPEL 3 — 08:00 GMT "
              "(+1 more)");
}

TEST(MessageTextTest, TheReasonComesFirstThenEachEventWithItsLink) {
    const std::string text = message_text(
        message(email, {rwj(), stockport()}, "Reminder: not acknowledged after 30 min."),
        context());
    EXPECT_EQ(text.rfind("Reminder: not acknowledged after 30 min.\n\n", 0), 0U) << text;
    const std::size_t first = text.find("[OPEL 4] Stepping Hill (RWJ)");
    const std::size_t second = text.find("[OPEL 3] Stockport (stockport)");
    ASSERT_NE(first, std::string::npos) << text;
    ASSERT_NE(second, std::string::npos) << text;
    EXPECT_LT(first, second);
    EXPECT_NE(text.find("Wallboard: https://opel.example.nhs.uk/node/RWJ\n"), std::string::npos);
    EXPECT_NE(text.find("Wallboard: https://opel.example.nhs.uk/node/stockport\n"),
              std::string::npos);
    EXPECT_NE(text.find("opel ack RWJ#7 --by"), std::string::npos);
    EXPECT_NE(text.find("opel ack stockport#2 --by"), std::string::npos);
    EXPECT_EQ(message_text(message(email, {rwj()}), context("")).find("Wallboard"),
              std::string::npos);
}

// --- e-mail -------------------------------------------------------------------------------

TEST(RenderEmailTest, HeadersNameSenderReceiverSubjectDateAndKeys) {
    const Message m = message(email, {rwj()});
    const Rendered r = render(m, context());
    EXPECT_EQ(r.content_type, "text/plain");
    EXPECT_EQ(r.subject, message_subject(m, context()));
    EXPECT_EQ(r.body, message_text(m, context()));
    ASSERT_EQ(r.headers.size(), 6U);
    EXPECT_EQ(header(r, "From"), "OPEL <opel@example.nhs.uk>");
    EXPECT_EQ(header(r, "To"), "director@example.nhs.uk");
    EXPECT_EQ(header(r, "Date"), "Tue, 13 Jan 2026 08:00:05 +0000");  // the context's now
    EXPECT_EQ(header(r, "X-OPEL-Idempotency-Key"), "RWJ#7/director@example.nhs.uk");
    EXPECT_EQ(header(r, "Message-ID"), message_id("RWJ#7/director@example.nhs.uk"));
    EXPECT_TRUE(
        std::regex_match(header(r, "Message-ID"), std::regex("<[0-9a-f]{32}@opel-notifyd>")))
        << header(r, "Message-ID");
}

TEST(RenderEmailTest, ANonAsciiSubjectIsSentAsRfc2047EncodedWords) {
    const Rendered r = render(message(email, {rwj()}), context());
    const EncodedWords words = encoded_words(header(r, "Subject"));
    EXPECT_TRUE(words.only_words) << header(r, "Subject");
    EXPECT_EQ(words.decoded, "[OPEL 4] Stepping Hill (RWJ) escalated from OPEL 3 — 08:00 GMT");
}

// RFC 2047 section 2: "An 'encoded-word' may not be more than 75 characters long"; longer
// text is sent as several, each of whole characters (section 5).
TEST(RenderEmailTest, EachEncodedWordIsAtMostSeventyFiveCharactersOfWholeCharacters) {
    const Rendered r = render(message(email, {rwj(), stockport()}), context());
    const EncodedWords words = encoded_words(header(r, "Subject"));
    ASSERT_TRUE(words.only_words) << header(r, "Subject");
    EXPECT_EQ(words.decoded, r.subject);
    for (std::size_t i = 0; i < words.lengths.size(); ++i) {
        EXPECT_LE(words.lengths[i], 75U) << "word " << i << " of " << header(r, "Subject");
    }
    EXPECT_TRUE(words.whole_characters);
}

TEST(RenderEmailTest, APlainAsciiSubjectIsSentAsItIs) {
    // A message of a reminder alone: its subject is the reason (all ASCII).
    const Rendered r =
        render(message(email, {}, "Reminder: not acknowledged after 30 min."), context());
    EXPECT_EQ(header(r, "Subject"), "Reminder: not acknowledged after 30 min.");
}

TEST(RenderEmailTest, NoHeaderCarriesALineBreakFromANodeName) {
    const std::map<std::string, std::string, std::less<>> hostile = {
        {"RWJ", "Stepping Hill\r\nBcc: everyone@example.org"}};
    RenderContext c = context();
    c.names = &hostile;
    const Rendered r = render(message(email, {rwj()}), c);
    for (const std::string& h : r.headers) {
        EXPECT_EQ(h.find_first_of("\r\n"), std::string::npos) << h;
    }
    EXPECT_EQ(header(r, "Bcc"), "<no Bcc header>");
}

TEST(RenderEmailTest, DatesAreRfc5322) {
    RenderContext c = context();
    c.now = at("2026-10-03T23:59:59Z");
    EXPECT_EQ(header(render(message(email, {rwj()}), c), "Date"),
              "Sat, 03 Oct 2026 23:59:59 +0000");
    c.now = at("2024-02-29T00:00:00Z");
    EXPECT_EQ(header(render(message(email, {rwj()}), c), "Date"),
              "Thu, 29 Feb 2024 00:00:00 +0000");
    c.now = at("2026-07-13T09:30:00+01:00");  // BST: the header stays in UTC
    EXPECT_EQ(header(render(message(email, {rwj()}), c), "Date"),
              "Mon, 13 Jul 2026 08:30:00 +0000");
}

TEST(RenderEmailTest, TheMessageIdIsStableForAKeyAndDiffersForAnother) {
    const Message m = message(email, {rwj()});
    RenderContext later = context();
    later.now = at("2026-01-13T09:00:00Z");
    const std::string id = header(render(m, context()), "Message-ID");
    EXPECT_EQ(header(render(m, later), "Message-ID"), id) << "a retry is the same message";
    Message other = m;
    other.key = "RWJ#8/director@example.nhs.uk";
    EXPECT_NE(header(render(other, context()), "Message-ID"), id);
    EXPECT_EQ(message_id("k"), message_id("k"));
    EXPECT_NE(message_id("k"), message_id("k2"));
}

TEST(RenderEmailTest, TheHtmlAlternativeEscapesTextAndLinksTheWallboard) {
    const std::map<std::string, std::string, std::less<>> odd = {{"RWJ", "A&E <North> \"B\""}};
    RenderContext c = context();
    c.names = &odd;
    const Rendered r = render(message(email, {rwj()}, "Reminder: <30 min>"), c);
    EXPECT_NE(r.html.find("A&amp;E &lt;North&gt; &quot;B&quot;"), std::string::npos) << r.html;
    EXPECT_EQ(r.html.find("<North>"), std::string::npos);
    EXPECT_NE(r.html.find("Reminder: &lt;30 min&gt;"), std::string::npos);
    EXPECT_NE(r.html.find("<a href=\"https://opel.example.nhs.uk/node/RWJ\">"), std::string::npos);
    EXPECT_EQ(render(message(email, {rwj()}), context("")).html.find("<a href"), std::string::npos);
}

// --- generic webhook ------------------------------------------------------------------------

TEST(RenderWebhookTest, TheJsonCarriesKeySubjectEveryEventNamesLinksAndHowToAcknowledge) {
    engine::Event ack =
        event(EventKind::acknowledged, Status::opel4, Status::opel4, "QOP", "QOP#5");
    ack.by = "Dr Lee";
    const Message m = message(webhook, {rwj(), stockport(), ack});
    const Rendered r = render(m, context());
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.headers,
              std::vector<std::string>{"Idempotency-Key: RWJ#7/https://receiver.example/opel"});
    const Json j(r.body);
    ASSERT_TRUE(j.ok()) << r.body;
    EXPECT_EQ(j.string("/idempotency_key"), m.key);
    EXPECT_EQ(j.string("/subject"), r.subject);
    EXPECT_EQ(j.string("/subject"), message_subject(m, context()));
    EXPECT_EQ(j.string("/text"), message_text(m, context()));
    ASSERT_EQ(j.size("/events"), 3U);
    EXPECT_EQ(j.string("/events/0/event/transition_id"), "RWJ#7");
    EXPECT_EQ(j.string("/events/1/event/transition_id"), "stockport#2");
    EXPECT_EQ(j.string("/events/2/event/transition_id"), "QOP#5");
    EXPECT_EQ(j.string("/events/0/event/node_id"), "RWJ");
    EXPECT_EQ(j.string("/events/0/name"), "Stepping Hill");
    EXPECT_EQ(j.string("/events/1/name"), "Stockport");
    EXPECT_FALSE(j.has("/events/2/name")) << "QOP has no configured name";
    EXPECT_EQ(j.string("/events/0/link"), "https://opel.example.nhs.uk/node/RWJ");
    EXPECT_EQ(j.string("/events/1/link"), "https://opel.example.nhs.uk/node/stockport");
    EXPECT_EQ(j.string("/events/0/acknowledge"), "opel ack RWJ#7 --by \"Your Name\"");
    EXPECT_EQ(j.string("/events/1/acknowledge"), "opel ack stockport#2 --by \"Your Name\"");
    EXPECT_FALSE(j.has("/events/2/acknowledge")) << "an acknowledgement is not acknowledged";
    EXPECT_FALSE(j.has("/reminder"));
}

TEST(RenderWebhookTest, WithoutAWallboardThereAreNoLinks) {
    const Rendered r = render(message(webhook, {rwj(), stockport()}), context(""));
    const Json j(r.body);
    ASSERT_TRUE(j.ok()) << r.body;
    ASSERT_EQ(j.size("/events"), 2U);
    EXPECT_FALSE(j.has("/events/0/link"));
    EXPECT_FALSE(j.has("/events/1/link"));
    EXPECT_EQ(r.body.find("/node/"), std::string::npos);
}

TEST(RenderWebhookTest, AReminderCarriesItsReason) {
    const Rendered r =
        render(message(webhook, {rwj()}, "Reminder: not acknowledged after 30 min."), context());
    const Json j(r.body);
    ASSERT_TRUE(j.ok()) << r.body;
    EXPECT_EQ(j.string("/reminder"), "Reminder: not acknowledged after 30 min.");
    EXPECT_EQ(j.string("/subject").rfind("[NOT ACKNOWLEDGED] ", 0), 0U);
}

// --- Teams --------------------------------------------------------------------------------

TEST(RenderTeamsTest, AnAdaptiveCardMessageWithAWallboardButton) {
    const Message m = message(teams, {rwj(), stockport()});
    const Rendered r = render(m, context());
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.headers, std::vector<std::string>{"Idempotency-Key: " + m.key});
    const Json j(r.body);
    ASSERT_TRUE(j.ok()) << r.body;
    EXPECT_EQ(j.string("/type"), "message");
    ASSERT_EQ(j.size("/attachments"), 1U);
    EXPECT_EQ(j.string("/attachments/0/contentType"), "application/vnd.microsoft.card.adaptive");
    EXPECT_EQ(j.string("/attachments/0/content/type"), "AdaptiveCard");
    EXPECT_EQ(j.string("/attachments/0/content/body/0/text"), r.subject);
    EXPECT_EQ(j.string("/attachments/0/content/body/1/text"), message_text(m, context()));
    ASSERT_EQ(j.size("/attachments/0/content/actions"), 1U);
    EXPECT_EQ(j.string("/attachments/0/content/actions/0/type"), "Action.OpenUrl");
    EXPECT_EQ(j.string("/attachments/0/content/actions/0/url"),
              "https://opel.example.nhs.uk/node/RWJ");
}

TEST(RenderTeamsTest, NoButtonWithoutAWallboard) {
    const Rendered r = render(message(teams, {rwj()}), context(""));
    const Json j(r.body);
    ASSERT_TRUE(j.ok()) << r.body;
    EXPECT_EQ(j.string("/attachments/0/contentType"), "application/vnd.microsoft.card.adaptive");
    EXPECT_EQ(j.size("/attachments/0/content/actions"), 0U);
    EXPECT_EQ(r.body.find("Action.OpenUrl"), std::string::npos);
}

// --- Slack --------------------------------------------------------------------------------

TEST(RenderSlackTest, TheTextIsTheSubjectAndTheBlockLinksTheWallboard) {
    const Message m = message(slack, {rwj()});
    const Rendered r = render(m, context());
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.headers, std::vector<std::string>{"Idempotency-Key: " + m.key});
    const Json j(r.body);
    ASSERT_TRUE(j.ok()) << r.body;
    EXPECT_EQ(j.string("/text"), r.subject);
    EXPECT_EQ(j.string("/text"), "[OPEL 4] Stepping Hill (RWJ) escalated from OPEL 3 — 08:00 GMT");
    const std::string block = j.string("/blocks/0/text/text");
    EXPECT_EQ(block.rfind("*" + r.subject + "*\n", 0), 0U) << block;
    EXPECT_NE(block.find("<https://opel.example.nhs.uk/node/RWJ|Open on the wallboard>"),
              std::string::npos)
        << block;

    const Json bare(render(m, context("")).body);
    ASSERT_TRUE(bare.ok());
    EXPECT_EQ(bare.string("/blocks/0/text/text").find("Open on the wallboard"), std::string::npos);
}

// Slack reads &, < and > as control characters: a name such as "A&E <North>" arrives as
// text, while the wallboard link keeps its <url|label> form.
TEST(RenderSlackTest, ControlCharactersInNamesAreEscaped) {
    const std::map<std::string, std::string, std::less<>> hostile = {{"RWJ", "A&E <North>"}};
    RenderContext c = context();
    c.names = &hostile;
    const Json j(render(message(slack, {rwj()}), c).body);
    ASSERT_TRUE(j.ok());
    EXPECT_EQ(j.string("/text").rfind("[OPEL 4] A&amp;E &lt;North&gt; (RWJ)", 0), 0U)
        << j.string("/text");
    const std::string block = j.string("/blocks/0/text/text");
    EXPECT_EQ(block.find("A&E"), std::string::npos) << block;
    EXPECT_NE(block.find("<https://opel.example.nhs.uk/node/RWJ|Open on the wallboard>"),
              std::string::npos);
}

// --- every kind ---------------------------------------------------------------------------

// A message of a reason alone (no events) is rendered for every kind, without links.
TEST(RenderTest, AMessageWithoutEventsRendersForEveryKind) {
    for (const Receiver& r : {email, webhook, teams, slack}) {
        const Rendered out =
            render(message(r, {}, "Reminder: not acknowledged after 30 min."), context());
        EXPECT_EQ(out.subject, "Reminder: not acknowledged after 30 min.") << r.target;
        if (r.kind != ReceiverKind::email) {
            EXPECT_TRUE(Json(out.body).ok()) << out.body;
            EXPECT_EQ(out.body.find("/node/"), std::string::npos) << out.body;
        }
    }
}

TEST(RenderEscalatorTest, TheReportIsTheUnacknowledgedCommandTheEscalatorReads) {
    Message m = message({ReceiverKind::escalator, "tcp://127.0.0.1:5560"}, {rwj()},
                        "Step 1: not acknowledged after 60 min.");
    m.report = engine::Unacknowledged{"RWJ#7",
                                      "system OPEL 3+",
                                      at("2026-01-13T08:00:00Z"),
                                      engine::Unacknowledged::FollowUp::step,
                                      1,
                                      {"director"},
                                      "opel-notifyd"};
    const Rendered out = render(m, context());
    EXPECT_EQ(out.content_type, "application/x-protobuf");
    const auto body = codec::request_body(out.body);
    ASSERT_TRUE(body.has_value());
    ASSERT_EQ(body->kind, codec::RequestKind::unacknowledged);
    const auto back = codec::decode_unacknowledged(body->bytes);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, *m.report);
    EXPECT_FALSE(out.subject.empty());  // `opel notifications` lists it like any message
}

}  // namespace
}  // namespace opel::notifyd

#include "adapters/codec/command.h"

#include <gtest/gtest.h>

#include "adapters/codec/messages.h"
#include "adapters/codec/wire.h"
#include "base/time.h"
#include "opel/v1/request.pb.h"

namespace opel::codec {
namespace {

// The body of a SubmitRequest, as the daemon takes it apart.
std::string body_of(const std::string& request, RequestKind expected) {
    const auto body = request_body(request);
    EXPECT_TRUE(body.has_value());
    EXPECT_EQ(body->kind, expected);
    return std::string(body->bytes);
}

std::vector<std::string> codes(const CommandErrors& errors) {
    std::vector<std::string> found;
    for (const engine::FieldError& e : errors) {
        found.push_back(e.field + "/" + e.code);
    }
    return found;
}

TEST(CommandCodecTest, ClientRequestsReadBackAsSent) {
    const engine::Acknowledgement ack{"RWJ#7", "Jane Smith", "bed meeting at 09:00"};
    const auto a =
        decode_acknowledgement(body_of(acknowledgement_request(ack), RequestKind::acknowledgement));
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->transition_id, "RWJ#7");
    EXPECT_EQ(a->by, "Jane Smith");
    EXPECT_EQ(a->note, "bed meeting at 09:00");

    const engine::Declaration d{"RWJ", 4, "staffing", "Dr Lee",
                                parse_rfc3339("2026-01-06T18:00:00Z")};
    const auto back =
        decode_declaration(body_of(declaration_request(d, "cli-1"), RequestKind::declaration));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->declaration, d);
    EXPECT_EQ(back->declaration_id, "cli-1");
    engine::Declaration withdraw{"RWJ", 0, "reopened", "Dr Lee", std::nullopt};
    const auto w =
        decode_declaration(body_of(declaration_request(withdraw, ""), RequestKind::declaration));
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->declaration, withdraw);
    EXPECT_EQ(w->declaration_id, "");
}

TEST(CommandCodecTest, AnUnacknowledgedReportReadsBackAsSentAndItsGapsAreNamed) {
    const engine::Unacknowledged r{"RWJ#7",
                                   "gm-escalations",
                                   *parse_rfc3339("2026-01-06T08:00:00Z"),
                                   engine::Unacknowledged::FollowUp::reminder,
                                   2,
                                   {"locality-on-call", "director"},
                                   "opel-notifyd"};
    const auto back =
        decode_unacknowledged(body_of(unacknowledged_request(r), RequestKind::unacknowledged));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, r);

    v1::Unacknowledged bare;  // no open_since, no follow-up kind
    bare.set_transition_id("RWJ#7");
    EXPECT_EQ(codes(decode_unacknowledged(bare.SerializeAsString()).error()),
              (std::vector<std::string>{"open_since/missing_field", "follow_up/invalid_value"}));
    bare.mutable_open_since()->set_seconds(-62135596801);  // before year 1
    bare.set_follow_up(v1::FOLLOW_UP_KIND_STEP);
    EXPECT_EQ(codes(decode_unacknowledged(bare.SerializeAsString()).error()),
              std::vector<std::string>{"open_since/invalid_time"});
    EXPECT_EQ(codes(decode_unacknowledged("\x0a\x09RW").error()),
              std::vector<std::string>{"unacknowledged/malformed"});
}

TEST(CommandCodecTest, ACommandsReplyIsDoneRefusedOrToRetry) {
    using Outcome = CommandReply::Outcome;
    engine::SubmitOutcome accepted;
    accepted.status = engine::SubmitStatus::accepted;
    std::string reply = outcome_reply(accepted, "RWJ", 7);
    append_reply_message(reply, "RWJ#1 reported unacknowledged");
    CommandReply r = read_command_reply(reply);
    EXPECT_EQ(r.outcome, Outcome::done);
    EXPECT_EQ(r.detail, "ACCEPTED: RWJ#1 reported unacknowledged");
    EXPECT_EQ(read_command_reply(duplicate_reply(reply)).outcome, Outcome::done);

    engine::SubmitOutcome rejected;
    rejected.status = engine::SubmitStatus::rejected;
    rejected.errors = {{"transition_id", "acknowledged", "RWJ#1 was acknowledged"},
                       {"route", "missing_field", "route is required"}};
    r = read_command_reply(outcome_reply(rejected, "RWJ", 0));
    EXPECT_EQ(r.outcome, Outcome::refused);
    EXPECT_EQ(r.detail,
              "REJECTED: transition_id: acknowledged: RWJ#1 was acknowledged; route: "
              "missing_field: route is required");

    r = read_command_reply(unavailable_reply("unack/RWJ#1", "storage unavailable"));
    EXPECT_EQ(r.outcome, Outcome::retry);
    EXPECT_EQ(r.detail.rfind("UNAVAILABLE", 0), 0U);
    EXPECT_EQ(read_command_reply("\xff\xff").outcome, Outcome::retry);
}

TEST(CommandCodecTest, WhatProtobufWouldLetThroughIsRejectedNamingIt) {
    // Undecodable bytes (a length past the end), text that is not UTF-8, unknown fields.
    EXPECT_EQ(codes(decode_acknowledgement("\x0a\x05RW").error()),
              std::vector<std::string>{"acknowledgement/malformed"});
    v1::Acknowledgement bad_text;
    bad_text.set_by("ok");
    std::string bytes = bad_text.SerializeAsString();
    bytes += std::string("\x0a\x02\xc3\x28", 4);  // transition_id: an invalid UTF-8 sequence
    EXPECT_EQ(codes(decode_acknowledgement(bytes).error()),
              std::vector<std::string>{"acknowledgement/malformed"});
    const auto unknown = decode_declaration(std::string("\x0a\x03RWJ\xa0\x06\x01", 8));
    ASSERT_FALSE(unknown.has_value());
    EXPECT_EQ(codes(unknown.error()), std::vector<std::string>{"declaration/unknown_field"});
    EXPECT_NE(unknown.error()[0].message.find("field 100"), std::string::npos)
        << unknown.error()[0].message;
    // A time RFC 3339 cannot write, and an oversize id: both named.
    v1::Declaration d;
    d.set_site_id("RWJ");
    d.mutable_until()->set_seconds(-62135596801);  // before year 1
    d.set_declaration_id(std::string(engine::max_id_length + 1, 'x'));
    const auto out = decode_declaration(d.SerializeAsString());
    ASSERT_FALSE(out.has_value());
    EXPECT_EQ(codes(out.error()),
              (std::vector<std::string>{"until/invalid_time", "declaration_id/too_long"}));
}

}  // namespace
}  // namespace opel::codec

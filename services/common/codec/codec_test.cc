#include "common/codec/codec.h"

#include <gtest/gtest.h>

#include "opel/v1/feed.pb.h"
#include "opel/v1/request.pb.h"

namespace opel::codec {
namespace {

TEST(SitrepJsonTest, DecodesTheProtobufJsonMapping) {
    const auto s = sitrep_from_json(
        R"({"siteId":"RWJ","asAt":"2026-01-06T08:00:00Z","declaredLevel":3,)"
        R"("declaredReason":"staffing","measures":{"ga_beds_occupied":612,"nctr_patients":74}})");
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->site_id, "RWJ");
    EXPECT_EQ(s->as_at, parse_rfc3339("2026-01-06T08:00:00Z"));
    EXPECT_EQ(s->declared_level, 3);
    EXPECT_EQ(s->measures.at("ga_beds_occupied"), 612);
    EXPECT_EQ(s->measures.size(), 2U);
}

TEST(SitrepJsonTest, AcceptsSnakeCaseFieldNames) {
    const auto s = sitrep_from_json(R"({"site_id":"RWJ","as_at":"2026-01-06T08:00:00Z"})");
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->site_id, "RWJ");
}

TEST(SitrepJsonTest, RejectsGarbageAndUnknownFieldsWithAMessage) {
    for (const char* bad : {"{", "not json", R"({"site":"RWJ"})", R"({"measures":{"a":"x"}})",
                            R"({"asAt":"yesterday"})", "\xff\xfe"}) {
        const auto s = sitrep_from_json(bad);
        ASSERT_FALSE(s.has_value()) << bad;
        EXPECT_EQ(s.error()[0].code, "malformed");
        EXPECT_FALSE(s.error()[0].message.empty());
    }
}

TEST(SitrepJsonTest, MissingAsAtStaysMissingForTheValidator) {
    const auto s = sitrep_from_json(R"({"siteId":"RWJ"})");
    ASSERT_TRUE(s.has_value());
    EXPECT_FALSE(s->as_at.has_value());
}

TEST(SitrepCsvTest, ParsesRowsWithOptionalColumnsAndEmptyCells) {
    const auto rows = sitreps_from_csv(
        "site_id,as_at,ga_beds_occupied,nctr_patients,comment\n"
        "RWJ,2026-01-06T08:00:00Z,612,74,\"busy, \"\"very\"\" busy\"\n"
        "RMC,2026-01-06T08:00:00Z,,30,\n");
    ASSERT_EQ(rows.size(), 2U);
    ASSERT_TRUE(rows[0].sitrep.has_value());
    EXPECT_EQ(rows[0].line, 2);
    EXPECT_EQ(rows[0].sitrep->comment, "busy, \"very\" busy");
    EXPECT_EQ(rows[0].sitrep->measures.at("nctr_patients"), 74);
    ASSERT_TRUE(rows[1].sitrep.has_value());
    EXPECT_EQ(rows[1].line, 3);
    EXPECT_FALSE(rows[1].sitrep->measures.contains("ga_beds_occupied"));
}

TEST(SitrepCsvTest, NamesBadCellsByColumnAndLine) {
    const auto rows = sitreps_from_csv(
        "site_id,as_at,ga_beds_occupied\n"
        "RWJ,08:00,lots\n"
        "RWJ,2026-01-06T08:00:00Z\n");
    ASSERT_EQ(rows.size(), 2U);
    ASSERT_FALSE(rows[0].sitrep.has_value());
    ASSERT_EQ(rows[0].sitrep.error().size(), 2U);
    EXPECT_EQ(rows[0].sitrep.error()[0].field, "as_at");
    EXPECT_EQ(rows[0].sitrep.error()[1].field, "measures.ga_beds_occupied");
    EXPECT_EQ(rows[1].line, 3);
    EXPECT_EQ(rows[1].sitrep.error()[0].message, "line has 2 fields; the header has 3");
}

TEST(SitrepCsvTest, HeaderNeedsSiteAndTimeColumnsWithoutDuplicates) {
    const auto rows = sitreps_from_csv("site,ga_beds_occupied,ga_beds_occupied\n1,2,3\n");
    ASSERT_EQ(rows.size(), 1U);
    ASSERT_FALSE(rows[0].sitrep.has_value());
    std::vector<std::string> codes;
    for (const auto& e : rows[0].sitrep.error()) {
        codes.push_back(e.code);
    }
    EXPECT_EQ(codes,
              (std::vector<std::string>{"duplicate_column", "missing_column", "missing_column"}));
}

TEST(CodecTest, StatusesMapOneToOne) {
    EXPECT_EQ(to_proto(engine::Status::opel1), v1::STATUS_OPEL_1);
    EXPECT_EQ(to_proto(engine::Status::opel4), v1::STATUS_OPEL_4);
    EXPECT_EQ(to_proto(engine::Status::unknown), v1::STATUS_UNKNOWN);
    EXPECT_EQ(to_proto(engine::Status::stale), v1::STATUS_STALE);
}

TEST(CodecTest, ResultKeepsTheExplanation) {
    engine::NodeResult r;
    r.node_id = "RWJ";
    r.status = engine::Status::opel3;
    r.parameters.push_back({"handover", "Handover", "min", 42.5, 3, 2, true,
                            parse_rfc3339("2026-01-06T08:00:00Z"), false});
    r.parameters.push_back({"nctr", "NCTR", "%", std::nullopt, 4, 1, false, std::nullopt, true});
    const v1::NodeResult p = to_proto(r);
    EXPECT_EQ(p.status(), v1::STATUS_OPEL_3);
    ASSERT_EQ(p.parameters_size(), 2);
    EXPECT_EQ(p.parameters(0).value(), 42.5);
    EXPECT_TRUE(p.parameters(0).carried_forward());
    EXPECT_EQ(p.parameters(0).carried_from().seconds(),
              parse_rfc3339("2026-01-06T08:00:00Z")->time_since_epoch().count());
    EXPECT_FALSE(p.parameters(1).has_value());
    EXPECT_TRUE(p.parameters(1).worst_policy());
}

// The wire-composed messages parse to exactly what protobuf itself would have built.
TEST(WireTest, ComposedPublicationAndReplyEqualTheirProtobufEquivalents) {
    v1::NodeResult result;
    result.set_node_id("RWJ");
    result.set_decided_by(std::string(300, 'x'));  // a length that needs a two-byte varint
    const std::string bytes = result.SerializeAsString();
    for (const std::uint64_t sequence : {0ULL, 1ULL, 127ULL, 128ULL, 1ULL << 40}) {
        v1::Publication expected;
        expected.set_sequence(sequence);
        *expected.mutable_status() = result;
        v1::Publication composed;
        ASSERT_TRUE(composed.ParseFromString(status_publication(sequence, bytes)));
        EXPECT_EQ(composed.SerializeAsString(), expected.SerializeAsString()) << sequence;
    }
    v1::SubmitReply reply;
    reply.set_status(v1::SUBMIT_STATUS_ACCEPTED);
    reply.set_sequence(9);
    std::string wire = reply.SerializeAsString();
    append_field(wire, v1::SubmitReply::kResultFieldNumber, bytes);
    *reply.mutable_result() = result;
    v1::SubmitReply parsed;
    ASSERT_TRUE(parsed.ParseFromString(wire));
    EXPECT_EQ(parsed.SerializeAsString(), reply.SerializeAsString());
}

TEST(WireTest, SoleSitrepIsTheSitrepFieldOfARequestWithNothingElse) {
    v1::SubmitRequest request;
    request.mutable_sitrep()->set_site_id("RWJ");
    (*request.mutable_sitrep()->mutable_measures())["beds"] = 91;
    const std::string wire = request.SerializeAsString();
    ASSERT_TRUE(sole_sitrep(wire).has_value());
    EXPECT_EQ(*sole_sitrep(wire), request.sitrep().SerializeAsString());
    // Anything else is left to the full parser: a second sitrep field (merged by protobuf),
    // truncation, trailing bytes, another first field, nothing at all.
    EXPECT_FALSE(sole_sitrep(wire + wire).has_value());
    EXPECT_FALSE(sole_sitrep(wire.substr(0, wire.size() - 1)).has_value());
    EXPECT_FALSE(sole_sitrep(wire + '\x00').has_value());
    EXPECT_FALSE(sole_sitrep(std::string("\x08\x01") + wire).has_value());
    EXPECT_FALSE(sole_sitrep("").has_value());
    EXPECT_FALSE(sole_sitrep("\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff").has_value());
}

TEST(CodecTest, ReplyListsEveryError) {
    engine::SubmitOutcome outcome;
    outcome.status = engine::SubmitStatus::rejected;
    outcome.submission_id = "x";
    outcome.errors = {{"site_id", "unknown_site", "no site"}, {"measures.a", "out_of_range", "a"}};
    const v1::SubmitReply reply = to_reply(outcome, "XYZ", 0);
    EXPECT_EQ(reply.status(), v1::SUBMIT_STATUS_REJECTED);
    ASSERT_EQ(reply.errors_size(), 2);
    EXPECT_EQ(reply.errors(1).field(), "measures.a");
    EXPECT_EQ(to_json(reply.errors(0)),
              R"({"field":"site_id","code":"unknown_site","message":"no site"})");
}

}  // namespace
}  // namespace opel::codec

namespace opel::codec {
namespace {

TEST(StateCodecTest, NodeSnapshotSurvivesTheRoundTrip) {
    engine::NodeSnapshot s;
    s.status = engine::Status::opel3;
    s.transitions = 7;
    s.hold.deescalate_since = parse_rfc3339("2026-01-06T08:00:00Z");
    s.result.node_id = "RWJ";
    s.result.kind = engine::NodeKind::site;
    s.result.status = engine::Status::opel3;
    s.result.parameters.push_back(
        {"handover", "Handover", "min", 42.0, 3, 2, false, std::nullopt, false});
    s.result.pillars.push_back({engine::ProviderType::community, engine::Status::opel2, 30, 50});
    s.latest_as_at = parse_rfc3339("2026-01-06T09:00:00Z");
    s.deadline = parse_rfc3339("2026-01-06T14:00:00Z");
    s.carried = {engine::CarriedValue{42, *parse_rfc3339("2026-01-06T09:00:00Z")}, std::nullopt};
    s.reported_mismatch = std::pair{4, engine::Status::opel3};
    const engine::NodeSnapshot back = from_proto(to_proto(s));
    EXPECT_EQ(back.status, s.status);
    EXPECT_EQ(back.transitions, 7U);
    EXPECT_EQ(back.hold, s.hold);
    EXPECT_EQ(back.latest_as_at, s.latest_as_at);
    EXPECT_EQ(back.deadline, s.deadline);
    EXPECT_EQ(back.carried, s.carried);
    EXPECT_EQ(back.reported_mismatch, s.reported_mismatch);
    EXPECT_EQ(back.result.parameters.size(), 1U);
    EXPECT_EQ(back.result.parameters[0].value, 42.0);
    ASSERT_EQ(back.result.pillars.size(), 1U);
    EXPECT_EQ(back.result.pillars[0].provider_type, engine::ProviderType::community);
    // And the wire form is stable: encoding the decoded state gives the same bytes.
    EXPECT_EQ(to_proto(back).SerializeAsString(), to_proto(s).SerializeAsString());
}

TEST(EventCodecTest, EventSurvivesTheRoundTrip) {
    engine::Event e;
    e.kind = engine::EventKind::deescalated;
    e.node_id = "RWJ";
    e.transition_id = "RWJ#4";
    e.from = engine::Status::opel4;
    e.to = engine::Status::opel3;
    e.at = *parse_rfc3339("2026-01-06T09:00:00Z");
    e.actions = {{"director on call", "hourly site meetings", 3}};
    e.stand_down_note = "stand down";
    const engine::Event back = from_proto(to_proto(e));
    EXPECT_EQ(back.kind, e.kind);
    EXPECT_EQ(back.transition_id, "RWJ#4");
    EXPECT_EQ(back.from, engine::Status::opel4);
    EXPECT_EQ(back.to, engine::Status::opel3);
    EXPECT_EQ(back.at, e.at);
    ASSERT_EQ(back.actions.size(), 1U);
    EXPECT_EQ(back.actions[0].level, 3);
    EXPECT_EQ(back.stand_down_note, "stand down");
}

}  // namespace
}  // namespace opel::codec

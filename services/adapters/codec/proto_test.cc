#include "adapters/codec/proto.h"

#include <gtest/gtest.h>

#include "adapters/codec/json.h"

namespace opel::codec {
namespace {

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
                            parse_rfc3339("2026-01-06T08:00:00Z"), false, ">= 30"});
    r.parameters.push_back(
        {"nctr", "NCTR", "%", std::nullopt, 4, 1, false, std::nullopt, true, ""});
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

TEST(StateCodecTest, NodeSnapshotSurvivesTheRoundTrip) {
    engine::NodeSnapshot s;
    s.status = engine::Status::opel3;
    s.transitions = 7;
    s.hold.deescalate_since = parse_rfc3339("2026-01-06T08:00:00Z");
    s.result.node_id = "RWJ";
    s.result.kind = engine::NodeKind::site;
    s.result.status = engine::Status::opel3;
    s.result.parameters.push_back(
        {"handover", "Handover", "min", 42.0, 3, 2, false, std::nullopt, false, ">= 30"});
    s.result.pillars.push_back({engine::ProviderType::community, engine::Status::opel2, 30, 50});
    s.result.pillars.push_back({engine::ProviderType::paediatric, engine::Status::opel4, 90, 100});
    s.latest_as_at = parse_rfc3339("2026-01-06T09:00:00Z");
    s.deadline = parse_rfc3339("2026-01-06T14:00:00Z");
    s.carried = {engine::CarriedValue{42, *parse_rfc3339("2026-01-06T09:00:00Z")}, std::nullopt};
    s.reported_mismatch = std::pair{4, engine::Status::opel3};
    s.declaration =
        engine::StandingDeclaration{4, "staffing", "Dr Lee", *parse_rfc3339("2026-01-06T08:30:00Z"),
                                    parse_rfc3339("2026-01-06T18:00:00Z")};
    s.pressure = {parse_rfc3339("2026-01-06T07:00:00Z"), true};
    s.result.declared_level = 4;
    s.result.declared_by = "Dr Lee";
    s.result.declared_until = parse_rfc3339("2026-01-06T18:00:00Z");
    s.result.acknowledged = engine::Acknowledged{
        "RWJ#7", "Jane Smith", *parse_rfc3339("2026-01-06T08:40:00Z"), "bed meeting"};
    const engine::NodeSnapshot back = from_proto(to_proto(s));
    EXPECT_EQ(back.status, s.status);
    EXPECT_EQ(back.transitions, 7U);
    EXPECT_EQ(back.hold, s.hold);
    EXPECT_EQ(back.latest_as_at, s.latest_as_at);
    EXPECT_EQ(back.deadline, s.deadline);
    EXPECT_EQ(back.carried, s.carried);
    EXPECT_EQ(back.reported_mismatch, s.reported_mismatch);
    EXPECT_EQ(back.declaration, s.declaration);
    EXPECT_EQ(back.pressure, s.pressure);
    EXPECT_EQ(back.result.declared_by, "Dr Lee");
    EXPECT_EQ(back.result.declared_until, s.result.declared_until);
    EXPECT_EQ(back.result.acknowledged, s.result.acknowledged);
    EXPECT_EQ(back.result.parameters.size(), 1U);
    EXPECT_EQ(back.result.parameters[0].value, 42.0);
    ASSERT_EQ(back.result.pillars.size(), 2U);
    EXPECT_EQ(back.result.pillars[0].provider_type, engine::ProviderType::community);
    EXPECT_EQ(back.result.pillars[1].provider_type, engine::ProviderType::paediatric);
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

TEST(EventCodecTest, SustainedPressureAndTheNoSystemCardNoteSurvive) {
    engine::Event e;
    e.kind = engine::EventKind::sustained_pressure;
    e.node_id = "QOP";
    e.transition_id = "QOP#3";
    e.from = engine::Status::opel3;
    e.to = engine::Status::opel3;
    e.at = *parse_rfc3339("2026-01-06T20:00:00Z");
    e.pressure_since = parse_rfc3339("2026-01-06T08:00:00Z");
    e.actions_note = "No system action card for QOP";
    const engine::Event back = from_proto(to_proto(e));
    EXPECT_EQ(back.kind, engine::EventKind::sustained_pressure);
    EXPECT_EQ(back.transition_id, "QOP#3");
    EXPECT_EQ(back.pressure_since, e.pressure_since);
    EXPECT_EQ(back.actions_note, e.actions_note);
}

// A state stored before pressure was tracked (no pressure fields) reads as no run.
TEST(StateCodecTest, AStateWithoutPressureFieldsHasNoRun) {
    v1::NodeState old;
    old.set_status(v1::STATUS_OPEL_4);
    EXPECT_EQ(from_proto(old).pressure, engine::Pressure{});
}

// The kinds people's commands publish keep their kind and who, note and until.
TEST(EventCodecTest, CommandEventsSurviveTheRoundTrip) {
    for (const auto kind : {engine::EventKind::acknowledged, engine::EventKind::declared,
                            engine::EventKind::declaration_expired}) {
        engine::Event e;
        e.kind = kind;
        e.node_id = "RWJ";
        e.transition_id = "RWJ#4";
        e.at = *parse_rfc3339("2026-01-06T09:00:00Z");
        e.by = "Jane Smith";
        e.note = "bed meeting";
        e.declared_level = 3;
        e.declared_reason = "staffing";
        e.computed = engine::Status::opel2;
        e.until = parse_rfc3339("2026-01-06T18:00:00Z");
        const engine::Event back = from_proto(to_proto(e));
        EXPECT_EQ(back.kind, kind);
        EXPECT_EQ(back.by, "Jane Smith");
        EXPECT_EQ(back.note, "bed meeting");
        EXPECT_EQ(back.until, e.until);
        EXPECT_EQ(back.declared_level, 3);
        if (kind != engine::EventKind::acknowledged) {
            EXPECT_EQ(back.computed, engine::Status::opel2);
        }
    }
}

TEST(EventCodecTest, AnUnacknowledgedEventKeepsItsReport) {
    engine::Event e;
    e.kind = engine::EventKind::unacknowledged;
    e.transition_id = "RWJ#4";
    e.unacknowledged = engine::Unacknowledged{"RWJ#4",
                                              "gm-escalations",
                                              *parse_rfc3339("2026-01-06T08:00:00Z"),
                                              engine::Unacknowledged::FollowUp::step,
                                              2,
                                              {"director-on-call"},
                                              "opel-notifyd"};
    const engine::Event back = from_proto(to_proto(e));
    EXPECT_EQ(back.kind, engine::EventKind::unacknowledged);
    EXPECT_EQ(back.unacknowledged, e.unacknowledged);
    EXPECT_EQ(from_proto(to_proto(engine::Event{})).unacknowledged, std::nullopt);
}

}  // namespace
}  // namespace opel::codec

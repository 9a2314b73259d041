#include "adapters/codec/messages.h"

#include <gtest/gtest.h>

#include <array>

#include "adapters/codec/proto.h"
#include "adapters/codec/wire.h"
#include "opel/v1/feed.pb.h"
#include "opel/v1/request.pb.h"

namespace opel::codec {
namespace {

template <typename Message>
Message parsed(const std::string& bytes) {
    Message m;
    EXPECT_TRUE(m.ParseFromString(bytes));
    return m;
}

engine::NodeResult site_result() {
    engine::NodeResult r;
    r.node_id = "RWJ";
    r.path = "national/north-west/QOP/stockport/RWJ";
    r.kind = engine::NodeKind::site;
    r.status = engine::Status::opel3;
    r.parameters.push_back(
        {"handover", "Handover", "min", 42.0, 3, 2, false, std::nullopt, false, ">= 30"});
    return r;
}

engine::Event escalation() {
    engine::Event e;
    e.kind = engine::EventKind::escalated;
    e.node_id = "RWJ";
    e.path = "national/north-west/QOP/stockport/RWJ";
    e.transition_id = "RWJ#2";
    e.from = engine::Status::opel2;
    e.to = engine::Status::opel3;
    e.at = *parse_rfc3339("2026-01-06T09:00:00Z");
    e.result = site_result();
    e.actions = {{"site manager", "open escalation beds", 3}};
    return e;
}

TEST(MessagesTest, RejectedAndUnavailableRepliesSayWhatAndForWhom) {
    const auto rejected = parsed<v1::SubmitReply>(rejected_reply("oversize", "too big"));
    EXPECT_EQ(rejected.status(), v1::SUBMIT_STATUS_REJECTED);
    ASSERT_EQ(rejected.errors_size(), 1);
    EXPECT_EQ(rejected.errors(0).code(), "oversize");
    EXPECT_EQ(rejected.errors(0).message(), "too big");
    const auto unavailable = parsed<v1::SubmitReply>(unavailable_reply("RWJ@x", "disk full"));
    EXPECT_EQ(unavailable.status(), v1::SUBMIT_STATUS_UNAVAILABLE);
    EXPECT_EQ(unavailable.submission_id(), "RWJ@x");
    EXPECT_EQ(unavailable.message(), "disk full");
}

TEST(MessagesTest, AReplyWithItsResultAppendedEqualsTheWholeReply) {
    engine::SubmitOutcome outcome;
    outcome.status = engine::SubmitStatus::accepted;
    outcome.submission_id = "RWJ@1";
    outcome.results.push_back(site_result());
    std::string reply = outcome_reply(outcome, "RWJ", 7, false);
    EXPECT_FALSE(parsed<v1::SubmitReply>(reply).has_result());
    append_reply_result(reply, encode_result(site_result()));
    EXPECT_EQ(parsed<v1::SubmitReply>(reply).SerializeAsString(),
              parsed<v1::SubmitReply>(outcome_reply(outcome, "RWJ", 7)).SerializeAsString());
}

TEST(MessagesTest, ADuplicateKeepsTheOriginalStatusAndGetsItsStoredResultBack) {
    engine::SubmitOutcome outcome;
    outcome.status = engine::SubmitStatus::late;
    outcome.submission_id = "RWJ@1";
    const std::string stored = outcome_reply(outcome, "RWJ", 9, false);
    const std::string publication = status_publication(9, encode_result(site_result()), 1);

    const auto with_result = parsed<v1::SubmitReply>(duplicate_reply(stored, publication));
    EXPECT_EQ(with_result.status(), v1::SUBMIT_STATUS_DUPLICATE);
    EXPECT_EQ(with_result.original_status(), v1::SUBMIT_STATUS_LATE);
    EXPECT_EQ(with_result.submission_id(), "RWJ@1");
    EXPECT_EQ(with_result.result().node_id(), "RWJ");

    // A stored publication that cannot be read leaves the result out, not the reply.
    const auto without = parsed<v1::SubmitReply>(duplicate_reply(stored, "\xff\xff"));
    EXPECT_EQ(without.status(), v1::SUBMIT_STATUS_DUPLICATE);
    EXPECT_FALSE(without.has_result());
}

TEST(MessagesTest, AnAlertPublicationIsTheSameOnAnyScratchSize) {
    std::array<char, 64> small{};
    std::vector<char> large(std::size_t{16} * 1024);
    const std::string a = alert_publication(12, 99, escalation(), small);
    EXPECT_EQ(a, alert_publication(12, 99, escalation(), large));
    const auto pub = parsed<v1::Publication>(a);
    EXPECT_EQ(pub.sequence(), 12U);
    EXPECT_EQ(pub.epoch(), 99U);
    EXPECT_EQ(pub.alert().transition_id(), "RWJ#2");
    EXPECT_EQ(pub.alert().to(), v1::STATUS_OPEL_3);
    ASSERT_EQ(pub.alert().actions_size(), 1);
}

TEST(MessagesTest, AHeartbeatNamesTheLastSequenceAndTheTime) {
    const auto pub = parsed<v1::Publication>(
        heartbeat_publication(41, 5, *parse_rfc3339("2026-01-06T09:00:05Z")));
    EXPECT_EQ(pub.sequence(), 41U);
    EXPECT_EQ(pub.epoch(), 5U);
    EXPECT_EQ(pub.heartbeat().last_sequence(), 41U);
    EXPECT_EQ(pub.heartbeat().at().seconds(),
              parse_rfc3339("2026-01-06T09:00:05Z")->time_since_epoch().count());
}

TEST(MessagesTest, SnapshotRequestsAreReadOrRefusedWithTheirSize) {
    v1::SnapshotRequest request;
    request.set_subtree("national/north-west");
    EXPECT_EQ(snapshot_subtree(request.SerializeAsString()).value(), "national/north-west");
    EXPECT_EQ(snapshot_subtree("").value(), "");  // everything
    const auto bad = snapshot_subtree("\x0a\xff");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error(), "not an opel.v1.SnapshotRequest (2 bytes)");

    const auto snapshot = parsed<v1::Snapshot>(snapshot_reply(8, 3, {site_result()}));
    EXPECT_EQ(snapshot.sequence(), 8U);
    EXPECT_EQ(snapshot.epoch(), 3U);
    ASSERT_EQ(snapshot.results_size(), 1);
    EXPECT_EQ(snapshot.results(0).node_id(), "RWJ");
    const auto error = parsed<v1::Snapshot>(snapshot_error(8, 3, "two frames"));
    EXPECT_EQ(error.error(), "two frames");
    EXPECT_EQ(error.results_size(), 0);
}

TEST(MessagesTest, NodeStatesAndStoredResultsReadBack) {
    engine::NodeSnapshot s;
    s.status = engine::Status::opel3;
    s.transitions = 2;
    s.latest_as_at = parse_rfc3339("2026-01-06T09:00:00Z");
    std::array<char, 128> scratch{};
    const std::optional<engine::NodeSnapshot> back =
        decode_node_state(encode_node_state(s, scratch));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->status, engine::Status::opel3);
    EXPECT_EQ(back->transitions, 2U);
    EXPECT_EQ(back->latest_as_at, s.latest_as_at);
    EXPECT_FALSE(decode_node_state("\x08\xff"));

    const auto result =
        result_of_publication(status_publication(4, encode_result(site_result()), 1));
    ASSERT_TRUE(result);
    EXPECT_EQ(result->node_id, "RWJ");
    EXPECT_EQ(result->status, engine::Status::opel3);
    // A heartbeat carries no result.
    EXPECT_FALSE(result_of_publication(heartbeat_publication(4, 1, TimePoint{})));
}

}  // namespace
}  // namespace opel::codec

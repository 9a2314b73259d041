#include "adapters/codec/client.h"

#include <gtest/gtest.h>

#include <array>

#include "adapters/codec/messages.h"
#include "adapters/codec/wire.h"

namespace opel::codec {
namespace {

constexpr const char* site_path = "national/north-west/QOP/stockport/RWJ";

engine::NodeResult site_result() {
    engine::NodeResult r;
    r.node_id = "RWJ";
    r.path = site_path;
    r.kind = engine::NodeKind::site;
    r.status = engine::Status::opel3;
    return r;
}

engine::Event escalation() {
    engine::Event e;
    e.kind = engine::EventKind::escalated;
    e.node_id = "RWJ";
    e.path = site_path;
    e.transition_id = "RWJ#2";
    e.from = engine::Status::opel2;
    e.to = engine::Status::opel3;
    e.result = site_result();
    return e;
}

std::string alert(const engine::Event& e) {
    std::array<char, 4096> scratch{};
    return alert_publication(9, 1, e, scratch);
}

TEST(ClientTest, ReadsWhatTheDaemonSends) {
    engine::SubmitOutcome outcome;
    outcome.status = engine::SubmitStatus::accepted;
    outcome.submission_id = "RWJ@1";
    outcome.results.push_back(site_result());
    const auto reply = read_reply(outcome_reply(outcome, "RWJ", 7));
    ASSERT_TRUE(reply) << reply.error();
    EXPECT_EQ(reply->submission_id(), "RWJ@1");
    EXPECT_EQ(reply->result().path(), site_path);

    const std::string status = std::string("status/") + site_path;
    const auto pub =
        read_publication(status, status_publication(8, encode_result(site_result()), 1));
    ASSERT_TRUE(pub) << pub.error();
    EXPECT_EQ(pub->sequence(), 8U);
    EXPECT_TRUE(read_publication(std::string("alert/") + site_path, alert(escalation())));
    EXPECT_TRUE(read_publication("heartbeat", heartbeat_publication(9, 1, TimePoint{})));

    const auto snapshot = read_snapshot(snapshot_reply(9, 1, {site_result()}));
    ASSERT_TRUE(snapshot) << snapshot.error();
    EXPECT_EQ(snapshot->results_size(), 1);
}

TEST(ClientTest, ARefusedSnapshotSaysWhy) {
    const auto snapshot = read_snapshot(snapshot_error(9, 1, "subtree too long"));
    ASSERT_FALSE(snapshot);
    EXPECT_EQ(snapshot.error(), "snapshot refused: subtree too long");
}

TEST(ClientTest, UndecodableBytesAndUnknownOutcomesAreErrors) {
    EXPECT_EQ(read_reply("\xff\xff").error(), "undecodable reply (2 bytes)");
    EXPECT_EQ(read_reply("").error(), "reply with unknown status 0");  // status never set
    EXPECT_EQ(read_reply("\x08\x09").error(), "reply with unknown status 9");
    EXPECT_EQ(read_snapshot("\x0a").error(), "undecodable snapshot (1 bytes)");
    EXPECT_EQ(read_publication("heartbeat", "\x0a\x05").error(),
              "undecodable message on topic 'heartbeat'");
}

TEST(ClientTest, AFeedMessageMustBeWhatItsTopicSays) {
    const std::string result = encode_result(site_result());
    // A result published under another node's topic, or as an alert.
    EXPECT_EQ(read_publication("status/national/north-west/QOP/bolton/RMC",
                               status_publication(8, result, 1))
                  .error(),
              std::string("result for '") + site_path +
                  "' on topic 'status/national/north-west/QOP/bolton/RMC'");
    EXPECT_FALSE(
        read_publication(std::string("alert/") + site_path, status_publication(8, result, 1)));
    EXPECT_FALSE(read_publication(std::string("status/") + site_path, alert(escalation())));
    EXPECT_FALSE(read_publication("heartbeat", alert(escalation())));
    EXPECT_EQ(read_publication(std::string("status/") + site_path,
                               heartbeat_publication(9, 1, TimePoint{}))
                  .error(),
              std::string("heartbeat on topic 'status/") + site_path + "'");
    // No body, no sequence.
    EXPECT_EQ(read_publication("x", "").error(), "message without a body on topic 'x'");
    EXPECT_EQ(read_publication(std::string("status/") + site_path, status_publication(0, result, 1))
                  .error(),
              std::string("message without a sequence number on topic 'status/") + site_path + "'");
}

// Found by fuzz_client: a time beyond 9999-12-31 has no JSON form, and `opel watch --json`
// aborted on it.
TEST(ClientTest, ATimeOutOfRangeIsAnError) {
    engine::NodeResult far = site_result();
    far.as_at = TimePoint{} + std::chrono::seconds(253402300800);  // 10000-01-01
    EXPECT_EQ(read_snapshot(snapshot_reply(9, 1, {site_result(), far})).error(),
              "snapshot with a time out of range at results[1].as_at");
    engine::Event e = escalation();
    e.result = far;
    EXPECT_EQ(read_publication(std::string("alert/") + site_path, alert(e)).error(),
              std::string("message on topic 'alert/") + site_path +
                  "' with a time out of range at alert.result.as_at");
    EXPECT_EQ(
        read_publication("heartbeat", heartbeat_publication(
                                          9, 1, TimePoint{} + std::chrono::seconds(-62135596801)))
            .error(),
        "message on topic 'heartbeat' with a time out of range at heartbeat.at");
}

TEST(ClientTest, ATopicInAMessageIsPrintableAndShort) {
    const std::string topic = "status/\x01\x02" + std::string(200, 'a');
    const std::string error = read_publication(topic, "").error();
    EXPECT_EQ(error, "message without a body on topic 'status/??" + std::string(71, 'a') + "...'");
}

}  // namespace
}  // namespace opel::codec

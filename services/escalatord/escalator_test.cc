#include "escalatord/escalator.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <sqlite3.h>
#include <zmq.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <sstream>

#include "adapters/codec/command.h"
#include "adapters/codec/proto.h"
#include "adapters/log/log.h"
#include "escalatord/journal.h"
#include "escalatord/server.h"
#include "escalatord/writer.h"
#include "opel/v1/feed.pb.h"
#include "opel/v1/request.pb.h"
#include "support/engine_fixtures.h"

namespace opel::escalatord {
namespace {

namespace fs = std::filesystem;
using opel::testing::at;

std::string request(const engine::Sitrep& s) {
    v1::SubmitRequest r;
    *r.mutable_sitrep() = codec::to_proto(s);
    return r.SerializeAsString();
}

v1::SubmitReply reply_of(const std::string& bytes) {
    v1::SubmitReply r;
    EXPECT_TRUE(r.ParseFromString(bytes));
    return r;
}

class EscalatorTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("opel-escalator-test-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        settings_.database_path = (dir_ / "opel.db").string();
        settings_.max_message_bytes = 4096;
        reopen();
    }
    void TearDown() override {
        escalator_.reset();
        journal_.reset();
        store_.reset();
        fs::remove_all(dir_);
    }
    // Simulates a restart: a new store connection and escalator restored from the file.
    void reopen() {
        escalator_.reset();
        store_ = std::move(store::Store::open(settings_.database_path)).value();
        journal_ = std::make_unique<Journal>(*store_);
        escalator_ = std::make_unique<Escalator>(opel::testing::small_config(), settings_, *store_,
                                                 clock_, *log_);
        ASSERT_TRUE(escalator_->restore());
    }
    Escalator::BatchOutput submit(const std::vector<std::string>& payloads) {
        std::vector<std::string_view> views(payloads.begin(), payloads.end());
        return submit_now(*escalator_, *journal_, views);
    }
    v1::SubmitReply submit_one(const engine::Sitrep& s) {
        return reply_of(submit({request(s)}).replies.at(0));
    }

    fs::path dir_;
    config::EscalatordSettings settings_;
    ManualClock clock_{at("2026-01-06T08:00:00Z")};
    std::shared_ptr<spdlog::logger> log_ = log::make_logger("test", log::Format::human, "off");
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<Journal> journal_;  // on store_: this fixture commits on its own thread
    std::unique_ptr<Escalator> escalator_;
};

const std::initializer_list<std::pair<const char*, double>> level3{{"a", 25}, {"b", 75}};
const std::initializer_list<std::pair<const char*, double>> level1{{"a", 5}, {"b", 95}};

TEST_F(EscalatorTest, AcceptedSitrepIsStoredAndPublishedWithExplanationAndActions) {
    const auto out = submit({request(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3))});
    const v1::SubmitReply reply = reply_of(out.replies.at(0));
    EXPECT_EQ(reply.status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(reply.result().status(), v1::STATUS_OPEL_3);
    EXPECT_EQ(reply.sequence(), out.publications.size());
    EXPECT_EQ(*store_->count("sitreps"), 1);
    ASSERT_FALSE(out.publications.empty());
    EXPECT_EQ(out.publications[0].topic, "status/national/region/ICS/loc/S1");
    bool alert = false;
    std::uint64_t expected_sequence = 0;
    for (const Publication& p : out.publications) {
        v1::Publication pub;
        ASSERT_TRUE(pub.ParseFromString(p.payload));
        EXPECT_EQ(pub.sequence(), ++expected_sequence);  // consecutive, from 1
        if (p.topic == "alert/national/region/ICS/loc/S1") {
            alert = true;
            EXPECT_EQ(pub.alert().transition_id(), "S1#1");
            EXPECT_EQ(pub.alert().to(), v1::STATUS_OPEL_3);
            ASSERT_EQ(pub.alert().actions_size(), 1);
            EXPECT_EQ(pub.alert().actions(0).action(), "act at level 3");
            EXPECT_EQ(pub.alert().result().parameters_size(), 2);
        }
    }
    EXPECT_TRUE(alert);
}

TEST_F(EscalatorTest, DuplicateGetsTheOriginalReplyAndHasNoEffect) {
    const auto s = opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3);
    const v1::SubmitReply first = submit_one(s);
    const auto again = submit({request(s)});
    const v1::SubmitReply dup = reply_of(again.replies[0]);
    EXPECT_EQ(dup.status(), v1::SUBMIT_STATUS_DUPLICATE);
    EXPECT_EQ(dup.original_status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(dup.sequence(), first.sequence());
    // The same reply again, site result included (rebuilt from its stored results row).
    ASSERT_TRUE(dup.has_result());
    EXPECT_EQ(dup.result().SerializeAsString(), first.result().SerializeAsString());
    EXPECT_TRUE(again.publications.empty());
    EXPECT_EQ(*store_->count("sitreps"), 1);
}

TEST_F(EscalatorTest, DuplicateInsideOneBatchIsDetected) {
    const std::string r = request(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3));
    const auto out = submit({r, r});
    EXPECT_EQ(reply_of(out.replies[0]).status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(reply_of(out.replies[1]).status(), v1::SUBMIT_STATUS_DUPLICATE);
    EXPECT_EQ(reply_of(out.replies[1]).result().SerializeAsString(),
              reply_of(out.replies[0]).result().SerializeAsString());
}

TEST_F(EscalatorTest, RejectedSitrepNamesEveryErrorAndStoresNothing) {
    const v1::SubmitReply reply =
        submit_one(opel::testing::sitrep("XYZ", "2026-01-06T08:00:00Z", {{"zz", 1}}));
    EXPECT_EQ(reply.status(), v1::SUBMIT_STATUS_REJECTED);
    ASSERT_EQ(reply.errors_size(), 2);
    EXPECT_EQ(reply.errors(0).code(), "unknown_site");
    EXPECT_EQ(reply.errors(1).code(), "unknown_measure");
    EXPECT_EQ(*store_->count("sitreps"), 0);
    EXPECT_EQ(escalator_->sequence(), 0U);
}

TEST_F(EscalatorTest, FutureAsAtBeyondTheClockSkewIsRejected) {
    const v1::SubmitReply reply =
        submit_one(opel::testing::sitrep("S1", "2026-01-06T08:06:00Z", level3));
    ASSERT_EQ(reply.status(), v1::SUBMIT_STATUS_REJECTED);
    EXPECT_EQ(reply.errors(0).code(), "future_as_at");
}

TEST_F(EscalatorTest, GarbageAndOversizeRequestsAreRejectedPrecisely) {
    const auto out = submit({"\x01\x02garbage", std::string(5000, 'x'), ""});
    const v1::SubmitReply garbage = reply_of(out.replies[0]);
    EXPECT_EQ(garbage.status(), v1::SUBMIT_STATUS_REJECTED);
    EXPECT_EQ(garbage.errors(0).code(), "malformed");
    const v1::SubmitReply big = reply_of(out.replies[1]);
    EXPECT_EQ(big.errors(0).code(), "oversize");
    EXPECT_EQ(big.errors(0).message(), "request of 5000 bytes is larger than the limit of 4096");
    EXPECT_EQ(reply_of(out.replies[2]).errors(0).code(), "missing_field");  // no sitrep
}

TEST_F(EscalatorTest, CorrectionIsAcceptedAndSaysSoAndBothVersionsAreStored) {
    submit_one(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3));
    const v1::SubmitReply fixed =
        submit_one(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level1));
    EXPECT_EQ(fixed.status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(fixed.corrects().seconds(), at("2026-01-06T08:00:00Z").time_since_epoch().count());
    EXPECT_EQ(fixed.message(),
              "correction of the 2026-01-06 08:00 GMT sitrep: these figures replace it (both are "
              "kept in history)");
    EXPECT_EQ(*store_->count("sitreps"), 2);
    // The corrected figures resent are a duplicate of the correction.
    EXPECT_EQ(submit_one(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level1)).status(),
              v1::SUBMIT_STATUS_DUPLICATE);
}

TEST_F(EscalatorTest, ExplicitIdReusedForOtherContentIsRejectedInFlightAndStored) {
    auto first = opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3);
    first.submission_id = "bi-42";
    auto other = opel::testing::sitrep("S2", "2026-01-06T08:00:00Z", level3);
    other.submission_id = "bi-42";
    const auto out = submit({request(first), request(other)});  // in one batch
    EXPECT_EQ(reply_of(out.replies[0]).status(), v1::SUBMIT_STATUS_ACCEPTED);
    const v1::SubmitReply in_flight = reply_of(out.replies[1]);
    EXPECT_EQ(in_flight.status(), v1::SUBMIT_STATUS_REJECTED);
    EXPECT_EQ(in_flight.errors(0).code(), "idempotency_conflict");
    const v1::SubmitReply stored = submit_one(other);  // after the commit: from the store
    EXPECT_EQ(stored.status(), v1::SUBMIT_STATUS_REJECTED);
    EXPECT_EQ(stored.errors(0).field(), "submission_id");
    EXPECT_EQ(stored.errors(0).code(), "idempotency_conflict");
    EXPECT_EQ(*store_->count("sitreps"), 1);
}

TEST_F(EscalatorTest, WrongWireTypesAreRejectedNamingTheField) {
    v1::SubmitRequest request;
    v1::Sitrep& s = *request.mutable_sitrep();
    s.set_site_id("S1");
    s.mutable_as_at()->set_seconds(at("2026-01-06T08:00:00Z").time_since_epoch().count());
    // measures { key: "a" value: "65" as a string }, inside the sitrep field.
    const std::string entry(
        "\x3a\x07\x0a\x01"
        "a\x12\x02"
        "65",
        9);
    const std::string sitrep = s.SerializeAsString() + entry;
    std::string wire;
    wire.push_back('\x0a');
    wire.push_back(static_cast<char>(sitrep.size()));
    wire += sitrep;
    const v1::SubmitReply reply = reply_of(submit({wire}).replies.at(0));
    EXPECT_EQ(reply.status(), v1::SUBMIT_STATUS_REJECTED);
    ASSERT_EQ(reply.errors_size(), 1);
    EXPECT_EQ(reply.errors(0).field(), "measures.a");
    EXPECT_EQ(reply.errors(0).code(), "wrong_type");
    EXPECT_EQ(*store_->count("sitreps"), 0);
}

TEST_F(EscalatorTest, LateSitrepIsStoredAsHistoryWithoutMovingState) {
    clock_.set(at("2026-01-06T10:00:00Z"));
    submit_one(opel::testing::sitrep("S1", "2026-01-06T10:00:00Z", level3));
    const std::uint64_t sequence = escalator_->sequence();
    const v1::SubmitReply late =
        submit_one(opel::testing::sitrep("S1", "2026-01-06T09:00:00Z", level1));
    EXPECT_EQ(late.status(), v1::SUBMIT_STATUS_LATE);
    EXPECT_EQ(*store_->count("sitreps"), 2);
    EXPECT_EQ(escalator_->sequence(), sequence);
}

TEST_F(EscalatorTest, RestartRestoresStateSequenceAndIdempotencyKeys) {
    const auto s = opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3);
    submit_one(s);
    const std::uint64_t sequence = escalator_->sequence();
    const auto results = [this] {
        std::vector<std::string> out;
        for (engine::NodeIndex i = 0; i < escalator_->engine().model().node_count(); ++i) {
            out.push_back(codec::to_proto(escalator_->engine().result(i)).SerializeAsString());
        }
        return out;
    };
    const std::vector<std::string> before = results();
    reopen();
    EXPECT_EQ(escalator_->sequence(), sequence);
    // Every node's result comes back whole (it is stored once, as its results row).
    EXPECT_EQ(results(), before);
    const auto s1 = *escalator_->engine().model().find_node("S1");
    EXPECT_EQ(escalator_->engine().result(s1).status, engine::Status::opel3);
    EXPECT_EQ(submit_one(s).status(), v1::SUBMIT_STATUS_DUPLICATE);
    // The next transition continues the numbering; nothing is re-published.
    clock_.set(at("2026-01-06T08:30:00Z"));
    const auto out = submit({request(opel::testing::sitrep("S1", "2026-01-06T08:30:00Z", level1))});
    v1::Publication first;
    ASSERT_TRUE(first.ParseFromString(out.publications.at(0).payload));
    EXPECT_EQ(first.sequence(), sequence + 1);
    bool saw_transition = false;
    for (const Publication& p : out.publications) {
        v1::Publication pub;
        pub.ParseFromString(p.payload);
        if (pub.has_alert() && pub.alert().node_id() == "S1") {
            EXPECT_EQ(pub.alert().transition_id(), "S1#2");
            saw_transition = true;
        }
    }
    EXPECT_TRUE(saw_transition);
}

TEST_F(EscalatorTest, StalenessFiresOnTimeAndIsDurable) {
    submit_one(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3));
    EXPECT_EQ(escalator_->next_deadline(), at("2026-01-06T09:30:00Z"));
    clock_.set(at("2026-01-06T09:29:59Z"));
    EXPECT_TRUE(tick_now(*escalator_, *journal_).empty());
    clock_.set(at("2026-01-06T09:30:00Z"));
    const auto pubs = tick_now(*escalator_, *journal_);
    ASSERT_FALSE(pubs.empty());
    reopen();
    const auto s1 = *escalator_->engine().model().find_node("S1");
    EXPECT_EQ(escalator_->engine().result(s1).status, engine::Status::stale);
    EXPECT_FALSE(escalator_->next_deadline());
}

TEST_F(EscalatorTest, LockedDatabaseAnswersUnavailableAndChangesNothing) {
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(settings_.database_path.c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
    const auto s = opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3);
    auto explicit_id = opel::testing::sitrep("S2", "2026-01-06T08:00:00Z", level1);
    explicit_id.submission_id = "bi-7";
    const auto out = submit({request(s), request(explicit_id)});
    // Every UNAVAILABLE reply names the submission it answers, so a client can retry it.
    EXPECT_EQ(reply_of(out.replies[0]).status(), v1::SUBMIT_STATUS_UNAVAILABLE);
    EXPECT_EQ(reply_of(out.replies[0]).submission_id(), s.effective_submission_id());
    EXPECT_EQ(reply_of(out.replies[1]).status(), v1::SUBMIT_STATUS_UNAVAILABLE);
    EXPECT_EQ(reply_of(out.replies[1]).submission_id(), "bi-7");
    EXPECT_TRUE(out.publications.empty());
    EXPECT_EQ(escalator_->sequence(), 0U);
    const auto s1 = *escalator_->engine().model().find_node("S1");
    EXPECT_EQ(escalator_->engine().result(s1).status, engine::Status::unknown);
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    EXPECT_EQ(submit_one(s).status(), v1::SUBMIT_STATUS_ACCEPTED);  // the retry is safe
}

// The daemon's pipeline: batch B is prepared while batch A is not yet committed, and both
// are committed by a journal on a second connection (the storage thread's).
TEST_F(EscalatorTest, PipelinedBatchesCommitInOrderAndSeeEachOthersSubmissions) {
    auto writer = std::move(store::Store::open(settings_.database_path)).value();
    Journal journal(*writer);
    const auto s1 = opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3);
    const auto s2 = opel::testing::sitrep("S2", "2026-01-06T08:00:00Z", level1);
    const std::string a_payload = request(s1);
    const std::string b_payloads[] = {request(s1), request(s2)};
    BatchPtr a = escalator_->prepare({a_payload});
    BatchPtr b = escalator_->prepare({b_payloads[0], b_payloads[1]});
    EXPECT_EQ(escalator_->in_flight(), 2U);
    journal.commit(*a);
    journal.commit(*b);
    const auto out_a = escalator_->finish(std::move(a));
    const v1::SubmitReply accepted = reply_of(out_a.replies.at(0));
    EXPECT_EQ(accepted.status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(escalator_->sequence(), accepted.sequence());
    const auto out_b = escalator_->finish(std::move(b));
    EXPECT_EQ(escalator_->in_flight(), 0U);
    // The duplicate was found in flight, before its original was committed.
    const v1::SubmitReply duplicate = reply_of(out_b.replies.at(0));
    EXPECT_EQ(duplicate.status(), v1::SUBMIT_STATUS_DUPLICATE);
    EXPECT_EQ(duplicate.sequence(), accepted.sequence());
    EXPECT_EQ(duplicate.result().SerializeAsString(), accepted.result().SerializeAsString());
    const v1::SubmitReply second = reply_of(out_b.replies.at(1));
    EXPECT_EQ(second.status(), v1::SUBMIT_STATUS_ACCEPTED);
    v1::Publication first_of_b;
    ASSERT_TRUE(first_of_b.ParseFromString(out_b.publications.at(0).payload));
    EXPECT_EQ(first_of_b.sequence(), accepted.sequence() + 1);  // numbering continues
    EXPECT_EQ(escalator_->sequence(), second.sequence());
    EXPECT_EQ(*store_->count("sitreps"), 2);
    EXPECT_EQ(submit_one(s1).status(), v1::SUBMIT_STATUS_DUPLICATE);  // now from the store
}

TEST_F(EscalatorTest, FailedCommitSkipsEveryLaterBatchAndRebuildsFromTheLastCommit) {
    auto writer = std::move(store::Store::open(settings_.database_path)).value();
    Journal journal(*writer);
    const auto s0 = opel::testing::sitrep("S2", "2026-01-06T07:50:00Z", level1);
    ASSERT_EQ(submit_one(s0).status(), v1::SUBMIT_STATUS_ACCEPTED);
    const std::uint64_t committed = escalator_->sequence();
    const std::string a_payload =
        request(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3));
    const std::string b_payload =
        request(opel::testing::sitrep("S2", "2026-01-06T08:00:00Z", level3));
    BatchPtr a = escalator_->prepare({a_payload});
    BatchPtr b = escalator_->prepare({b_payload});
    {
        // Another process holds the write lock while A commits: A fails.
        sqlite3* other = nullptr;
        ASSERT_EQ(sqlite3_open(settings_.database_path.c_str(), &other), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
        journal.commit(*a);
        sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(other);
    }
    // The database is writable again, but B was computed on top of A: it is not written.
    journal.commit(*b);
    EXPECT_EQ(reply_of(escalator_->finish(std::move(a)).replies.at(0)).status(),
              v1::SUBMIT_STATUS_UNAVAILABLE);
    const auto out_b = escalator_->finish(std::move(b));
    EXPECT_EQ(reply_of(out_b.replies.at(0)).status(), v1::SUBMIT_STATUS_UNAVAILABLE);
    EXPECT_TRUE(out_b.publications.empty());
    EXPECT_EQ(*store_->count("sitreps"), 1);
    EXPECT_EQ(escalator_->sequence(), committed);
    // The engine is back at the last commit: S1 never reported, S2 at its first level.
    const auto& engine = escalator_->engine();
    EXPECT_EQ(engine.result(*engine.model().find_node("S1")).status, engine::Status::unknown);
    EXPECT_EQ(engine.result(*engine.model().find_node("S2")).status, engine::Status::opel1);
    // Both retries are accepted, numbered straight after the last commit.
    const auto retry = submit({b_payload});
    v1::Publication first;
    ASSERT_TRUE(first.ParseFromString(retry.publications.at(0).payload));
    EXPECT_EQ(first.sequence(), committed + 1);
    EXPECT_EQ(reply_of(retry.replies.at(0)).status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(reply_of(submit({a_payload}).replies.at(0)).status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(escalator_->counters().commit_failures, 1U);
}

// The storage thread commits every waiting batch in one transaction: they land or fail
// together.
TEST_F(EscalatorTest, BatchesCommittedTogetherAreOneTransaction) {
    auto writer = std::move(store::Store::open(settings_.database_path)).value();
    Journal journal(*writer);
    const std::string s1 = request(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3));
    const std::string s2 = request(opel::testing::sitrep("S2", "2026-01-06T08:00:00Z", level1));
    {
        BatchPtr a = escalator_->prepare({s1});
        BatchPtr b = escalator_->prepare({s2});
        sqlite3* other = nullptr;
        ASSERT_EQ(sqlite3_open(settings_.database_path.c_str(), &other), SQLITE_OK);
        ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
        Batch* both[] = {a.get(), b.get()};
        journal.commit(both);
        sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
        sqlite3_close(other);
        EXPECT_EQ(reply_of(escalator_->finish(std::move(a)).replies.at(0)).status(),
                  v1::SUBMIT_STATUS_UNAVAILABLE);
        EXPECT_EQ(reply_of(escalator_->finish(std::move(b)).replies.at(0)).status(),
                  v1::SUBMIT_STATUS_UNAVAILABLE);
        EXPECT_EQ(*store_->count("sitreps"), 0);
    }
    BatchPtr a = escalator_->prepare({s1});
    BatchPtr b = escalator_->prepare({s2});
    Batch* both[] = {a.get(), b.get()};
    journal.commit(both);
    const auto out_a = escalator_->finish(std::move(a));
    const auto out_b = escalator_->finish(std::move(b));
    EXPECT_EQ(reply_of(out_a.replies.at(0)).status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(reply_of(out_b.replies.at(0)).status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(*store_->count("sitreps"), 2);
    EXPECT_EQ(escalator_->counters().commits, 1U);
    EXPECT_EQ(escalator_->counters().commit_failures, 1U);
    // The state stored for the shared ancestors is the later batch's: every node restarts
    // with the result it had (the earlier batch's ancestors saw S1 without S2).
    const auto results = [this] {
        std::vector<std::string> out;
        const engine::Engine& engine = escalator_->engine();
        for (engine::NodeIndex i = 0; i < engine.model().node_count(); ++i) {
            out.push_back(codec::to_proto(engine.result(i)).SerializeAsString());
        }
        return out;
    };
    const std::vector<std::string> before = results();
    reopen();
    EXPECT_EQ(results(), before);
    const auto& engine = escalator_->engine();
    EXPECT_EQ(engine.result(*engine.model().find_node("S1")).status, engine::Status::opel3);
    EXPECT_EQ(engine.result(*engine.model().find_node("S2")).status, engine::Status::opel1);
    EXPECT_EQ(escalator_->sequence(), reply_of(out_b.replies.at(0)).sequence());
}

// The storage thread commits what the engine thread pushes and hands every batch back in
// push order, through the wake-up it was given.
TEST_F(EscalatorTest, WriterCommitsOnItsOwnThreadAndHandsBatchesBackInOrder) {
    auto writes = std::move(store::Store::open(settings_.database_path)).value();
    std::mutex mutex;
    std::condition_variable woken;
    int wakes = 0;
    Journal journal(*writes);
    Writer writer(journal, [&] {
        const std::lock_guard lock(mutex);
        ++wakes;
        woken.notify_all();
    });
    const char* const sites[] = {"S1", "S2", "S1"};
    const char* const times[] = {"2026-01-06T07:00:00Z", "2026-01-06T07:00:00Z",
                                 "2026-01-06T07:30:00Z"};
    for (int i = 0; i < 3; ++i) {
        const std::string payload =
            request(opel::testing::sitrep(sites[i], times[i], {{"a", 25.0 * i}, {"b", 50}}));
        writer.push(escalator_->prepare({payload}));
    }
    std::vector<BatchPtr> done;
    while (done.size() < 3) {
        std::unique_lock lock(mutex);
        ASSERT_TRUE(woken.wait_for(lock, std::chrono::seconds(10), [&] { return wakes > 0; }));
        wakes = 0;
        lock.unlock();
        for (BatchPtr& b : writer.take_done()) {
            done.push_back(std::move(b));
        }
    }
    std::uint64_t last = 0;
    for (BatchPtr& b : done) {
        const v1::SubmitReply reply = reply_of(escalator_->finish(std::move(b)).replies.at(0));
        EXPECT_EQ(reply.status(), v1::SUBMIT_STATUS_ACCEPTED);
        EXPECT_GT(reply.sequence(), last);  // finished in push order
        last = reply.sequence();
    }
    EXPECT_EQ(escalator_->sequence(), last);
    EXPECT_EQ(*store_->count("sitreps"), 3);

    // close() commits what is still queued before the thread stops.
    const std::string late =
        request(opel::testing::sitrep("S2", "2026-01-06T07:45:00Z", {{"a", 5}, {"b", 95}}));
    writer.push(escalator_->prepare({late}));
    writer.close();
    auto rest = writer.take_done();
    ASSERT_EQ(rest.size(), 1U);
    EXPECT_FALSE(escalator_->finish(std::move(rest[0])).publications.empty());
    EXPECT_EQ(*store_->count("sitreps"), 4);
}

TEST_F(EscalatorTest, SnapshotIsConsistentWithTheSequenceAndFiltersBySubtree) {
    submit_one(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3));
    v1::SnapshotRequest req;
    req.set_subtree("ICS/loc");
    v1::Snapshot snap;
    ASSERT_TRUE(snap.ParseFromString(escalator_->snapshot(req.SerializeAsString())));
    EXPECT_EQ(snap.sequence(), escalator_->sequence());
    std::vector<std::string> ids;
    for (const auto& r : snap.results()) {
        ids.push_back(r.node_id());
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"loc", "S1", "S2"}));
    v1::Snapshot bad;
    ASSERT_TRUE(bad.ParseFromString(escalator_->snapshot("\xff\xff")));
    EXPECT_EQ(bad.error(), "not an opel.v1.SnapshotRequest (2 bytes)");
    EXPECT_EQ(bad.results_size(), 0);
    v1::Snapshot framed;
    ASSERT_TRUE(framed.ParseFromString(escalator_->snapshot_framing_error(2)));
    EXPECT_EQ(framed.error(), "expected exactly one payload frame, got 2");
}

TEST_F(EscalatorTest, ServerRefusesANonLoopbackEndpointWithoutAllowInsecureRemote) {
    boost::asio::io_context io(1);
    zmq::context_t context;
    config::EscalatordSettings settings = settings_;
    settings.submit_endpoint = "tcp://0.0.0.0:0";
    settings.publish_endpoint = "inproc://escalator-test-publish";
    settings.snapshot_endpoint = "inproc://escalator-test-snapshot";
    Server server(io, context, *escalator_, *journal_, clock_, settings, ServerOptions{}, *log_);
    const auto bound = server.bind();
    ASSERT_FALSE(bound);
    EXPECT_EQ(bound.error().code, net::Errc::insecure_endpoint);
    EXPECT_EQ(
        bound.error().message.rfind(
            "refusing to listen on non-loopback endpoint tcp://0.0.0.0:0 without encryption", 0),
        0U);
}

// With --allow-insecure-remote a non-loopback endpoint is bound, and the warning naming it is
// logged at start and again at every interval (an hour in the daemon); with CURVE it needs
// neither the flag nor the warning.
TEST_F(EscalatorTest, AnUnencryptedRemoteEndpointIsWarnedOfRepeatedlyAndACurveOneIsNot) {
    auto lines = std::make_shared<std::ostringstream>();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*lines);
    spdlog::logger log("test", sink);
    config::EscalatordSettings settings = settings_;
    settings.submit_endpoint = "tcp://0.0.0.0:0";
    settings.publish_endpoint = "inproc://escalator-test-warn-publish";
    settings.snapshot_endpoint = "inproc://escalator-test-warn-snapshot";
    {
        boost::asio::io_context io(1);
        zmq::context_t context;
        ServerOptions options;
        options.allow_insecure_remote = true;
        options.insecure_warning_every = std::chrono::milliseconds(20);
        Server server(io, context, *escalator_, *journal_, clock_, settings, options, log);
        ASSERT_TRUE(server.bind());
        server.start();
        const std::string warning =
            "listening UNENCRYPTED on non-loopback endpoint tcp://0.0.0.0:0";
        const auto count = [&] {
            const std::string text = lines->str();
            std::size_t n = 0;
            for (auto at = text.find(warning); at != std::string::npos;
                 at = text.find(warning, at + 1)) {
                ++n;
            }
            return n;
        };
        EXPECT_EQ(count(), 1U);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (count() < 3 && std::chrono::steady_clock::now() < deadline) {
            io.run_one_for(std::chrono::milliseconds(100));
        }
        EXPECT_GE(count(), 3U);
        server.stop();
    }
    lines->str("");
    {
        boost::asio::io_context io(1);
        zmq::context_t context;
        ServerOptions options;
        std::array<char, 41> pub{};
        std::array<char, 41> sec{};
        ASSERT_EQ(zmq_curve_keypair(pub.data(), sec.data()), 0);
        options.curve_secret = net::decode_key(sec.data()).value();
        settings.curve = config::CurveSettings{};
        Server server(io, context, *escalator_, *journal_, clock_, settings, options, log);
        ASSERT_TRUE(server.bind());
        server.stop();
    }
    EXPECT_EQ(lines->str().find("UNENCRYPTED"), std::string::npos) << lines->str();
}

// The result of `id` in a full snapshot, and the snapshot's config hash.
std::pair<v1::NodeResult, std::string> snapshot_of(const Escalator& escalator,
                                                   std::string_view id) {
    v1::Snapshot snap;
    EXPECT_TRUE(
        snap.ParseFromString(escalator.snapshot(v1::SnapshotRequest().SerializeAsString())));
    for (const v1::NodeResult& r : snap.results()) {
        if (r.node_id() == id) {
            return {r, snap.config_hash()};
        }
    }
    return {v1::NodeResult(), snap.config_hash()};
}

TEST_F(EscalatorTest, ReloadKeepsStateAndRescoresAChangedCardAtItsNextSitrep) {
    escalator_->set_config_hash("00000000000000aa");
    submit_one(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3));
    const v1::SubmitReply s3 =
        submit_one(opel::testing::sitrep("S3", "2026-01-06T08:00:00Z", {{"c", 15}}));
    ASSERT_EQ(s3.result().parameters(0).score(), 2U);
    const std::uint64_t before = escalator_->sequence();
    const auto events_before = *store_->count("events");

    engine::EngineConfig changed = opel::testing::small_config();
    changed.cards[1].parameters[0].thresholds = {40, 50, 60};  // card2: S3's card
    Escalator::Reloaded reloaded = escalator_->reload(std::move(changed), "00000000000000bb");
    EXPECT_EQ(reloaded.kept, 8U);
    EXPECT_EQ(reloaded.added, 0U);
    EXPECT_EQ(reloaded.removed, 0U);
    EXPECT_EQ(reloaded.changed_sites, 1U);

    // The config event: numbered next, stored, published on the root's alert topic.
    ASSERT_NE(reloaded.event, nullptr);
    journal_->commit(*reloaded.event);
    const auto out = escalator_->finish(std::move(reloaded.event));
    ASSERT_EQ(out.publications.size(), 1U);
    EXPECT_EQ(out.publications[0].topic, "alert/national");
    v1::Publication pub;
    ASSERT_TRUE(pub.ParseFromString(out.publications[0].payload));
    EXPECT_EQ(pub.sequence(), before + 1);
    EXPECT_EQ(pub.alert().kind(), v1::EVENT_KIND_CONFIG_RELOADED);
    EXPECT_EQ(pub.alert().config_hash(), "00000000000000bb");
    EXPECT_EQ(escalator_->sequence(), before + 1);
    EXPECT_EQ(*store_->count("events"), events_before + 1);

    // Every node's state is kept, S3's result too until its next sitrep.
    const auto [s1_now, hash] = snapshot_of(*escalator_, "S1");
    EXPECT_EQ(hash, "00000000000000bb");
    EXPECT_EQ(s1_now.status(), v1::STATUS_OPEL_3);
    EXPECT_EQ(snapshot_of(*escalator_, "S3").first.parameters(0).score(), 2U);
    // The next sitrep is scored with the new thresholds.
    clock_.advance(std::chrono::minutes(30));
    const v1::SubmitReply next =
        submit_one(opel::testing::sitrep("S3", "2026-01-06T08:30:00Z", {{"c", 15}}));
    EXPECT_EQ(next.status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(next.result().parameters(0).score(), 1U);
    EXPECT_EQ(next.sequence(), escalator_->sequence());
    EXPECT_GT(next.sequence(), before + 1);
}

TEST_F(EscalatorTest, ReloadIgnoresRemovedNodesAndStartsNewOnesUnknown) {
    submit_one(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3));
    submit_one(opel::testing::sitrep("S2", "2026-01-06T08:00:00Z", level3));
    engine::EngineConfig changed = opel::testing::small_config();
    std::erase_if(changed.nodes, [](const engine::NodeConfig& n) { return n.id == "S2"; });
    engine::NodeConfig s4 = changed.nodes.back();
    s4.id = "S4";
    s4.parent = "loc";
    s4.card.clear();
    changed.nodes.push_back(s4);
    Escalator::Reloaded reloaded = escalator_->reload(std::move(changed), "00000000000000cc");
    EXPECT_EQ(reloaded.kept, 7U);
    EXPECT_EQ(reloaded.added, 1U);
    EXPECT_EQ(reloaded.removed, 1U);
    EXPECT_EQ(reloaded.changed_sites, 0U);
    ASSERT_NE(reloaded.event, nullptr);
    journal_->commit(*reloaded.event);
    escalator_->finish(std::move(reloaded.event));
    EXPECT_EQ(snapshot_of(*escalator_, "S1").first.status(), v1::STATUS_OPEL_3);
    EXPECT_EQ(snapshot_of(*escalator_, "S4").first.status(), v1::STATUS_UNKNOWN);
    EXPECT_EQ(snapshot_of(*escalator_, "S2").first.node_id(), "");  // no longer configured
    // The stored state of S2 stays in the store and is ignored again after a restart.
    EXPECT_EQ(escalator_->in_flight(), 0U);
}

// --- acknowledgements and declarations (opel ack / declare) ---

std::string ack_request(const std::string& transition, const std::string& by) {
    return codec::acknowledgement_request({transition, by, "on it"});
}

std::string declaration_request(int level, const std::string& reason, const std::string& id,
                                std::optional<TimePoint> until = std::nullopt) {
    return codec::declaration_request({"S1", level, reason, "Dr Lee", until}, id);
}

// The alert publications of `out` of one event kind.
std::vector<v1::Event> alerts(const Escalator::BatchOutput& out, v1::EventKind kind) {
    std::vector<v1::Event> found;
    for (const Publication& p : out.publications) {
        v1::Publication pub;
        EXPECT_TRUE(pub.ParseFromString(p.payload));
        if (pub.has_alert() && pub.alert().kind() == kind) {
            found.push_back(pub.alert());
        }
    }
    return found;
}

TEST_F(EscalatorTest, AnAcknowledgementIsStoredPublishedAndOnceOnlyAcrossARestart) {
    submit_one(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3));  // S1#1
    clock_.set(at("2026-01-06T08:05:00Z"));
    const auto out = submit({ack_request("S1#1", "Jane Smith")});
    const v1::SubmitReply reply = reply_of(out.replies.at(0));
    ASSERT_EQ(reply.status(), v1::SUBMIT_STATUS_ACCEPTED) << reply.DebugString();
    EXPECT_EQ(reply.submission_id(), "ack/S1#1");
    EXPECT_EQ(reply.site_id(), "S1");
    EXPECT_EQ(reply.message(), "S1#1 acknowledged by Jane Smith");
    EXPECT_EQ(reply.result().acknowledged().by(), "Jane Smith");
    EXPECT_EQ(reply.sequence(), escalator_->sequence());
    const auto acked = alerts(out, v1::EVENT_KIND_ACKNOWLEDGED);
    ASSERT_EQ(acked.size(), 1U);
    EXPECT_EQ(acked[0].transition_id(), "S1#1");
    EXPECT_EQ(acked[0].by(), "Jane Smith");
    EXPECT_EQ(acked[0].note(), "on it");
    EXPECT_EQ(out.publications.back().topic, "alert/national/region/ICS/loc/S1");
    EXPECT_EQ(*store_->count("commands"), 1);

    reopen();  // what was stored is all a restart has
    const engine::NodeIndex s1 = opel::testing::node(escalator_->engine(), "S1");
    EXPECT_EQ(escalator_->engine().result(s1).acknowledged->by, "Jane Smith");
    const auto again = submit({ack_request("S1#1", "Bob")});
    const v1::SubmitReply repeat = reply_of(again.replies.at(0));
    EXPECT_EQ(repeat.status(), v1::SUBMIT_STATUS_DUPLICATE);
    EXPECT_EQ(repeat.original_status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(repeat.message(), "S1#1 acknowledged by Jane Smith");  // who did it first
    EXPECT_EQ(repeat.result().acknowledged().by(), "Jane Smith");
    EXPECT_TRUE(again.publications.empty());
    EXPECT_EQ(*store_->count("commands"), 1);
}

TEST_F(EscalatorTest, ARepeatInTheSameBatchIsADuplicateOfTheOneStillInFlight) {
    submit_one(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3));
    const auto out = submit({ack_request("S1#1", "Jane"), ack_request("S1#1", "Bob")});
    EXPECT_EQ(reply_of(out.replies.at(0)).status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(reply_of(out.replies.at(1)).status(), v1::SUBMIT_STATUS_DUPLICATE);
    EXPECT_EQ(alerts(out, v1::EVENT_KIND_ACKNOWLEDGED).size(), 1U);
    EXPECT_EQ(*store_->count("commands"), 1);
}

TEST_F(EscalatorTest, AnUnknownTransitionIsRejectedAndNotRemembered) {
    const auto out = submit({ack_request("S1#1", "Jane")});  // S1 has not reported
    const v1::SubmitReply reply = reply_of(out.replies.at(0));
    EXPECT_EQ(reply.status(), v1::SUBMIT_STATUS_REJECTED);
    ASSERT_EQ(reply.errors_size(), 1);
    EXPECT_EQ(reply.errors(0).code(), "unknown_transition");
    EXPECT_TRUE(out.publications.empty());
    EXPECT_EQ(*store_->count("commands"), 0);
    // Once the transition happens, the same acknowledgement is accepted.
    submit_one(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3));
    EXPECT_EQ(reply_of(submit({ack_request("S1#1", "Jane")}).replies.at(0)).status(),
              v1::SUBMIT_STATUS_ACCEPTED);
}

std::string unacknowledged_request(const std::string& transition, std::int64_t step) {
    return codec::unacknowledged_request({transition,
                                          "gm-escalations",
                                          at("2026-01-06T08:00:00Z"),
                                          engine::Unacknowledged::FollowUp::step,
                                          step,
                                          {"director-on-call", "scc"},
                                          "opel-notifyd"});
}

TEST_F(EscalatorTest, AnUnacknowledgedReportIsStoredPublishedOnceAndRefusedOnceAcknowledged) {
    submit_one(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3));  // S1#1
    clock_.set(at("2026-01-06T08:30:00Z"));
    const auto out = submit({unacknowledged_request("S1#1", 1)});
    const v1::SubmitReply reply = reply_of(out.replies.at(0));
    ASSERT_EQ(reply.status(), v1::SUBMIT_STATUS_ACCEPTED) << reply.DebugString();
    EXPECT_EQ(reply.submission_id(), "unack/S1#1/gm-escalations/step-1");
    EXPECT_EQ(reply.message(),
              "S1#1 reported unacknowledged by opel-notifyd: step 1 to director-on-call, scc "
              "(route gm-escalations)");
    const auto reported = alerts(out, v1::EVENT_KIND_UNACKNOWLEDGED);
    ASSERT_EQ(reported.size(), 1U);
    EXPECT_EQ(out.publications.back().topic, "alert/national/region/ICS/loc/S1");
    EXPECT_EQ(reported[0].transition_id(), "S1#1");
    EXPECT_EQ(reported[0].to(), v1::STATUS_OPEL_3);
    EXPECT_EQ(reported[0].at().seconds(), at("2026-01-06T08:30:00Z").time_since_epoch().count());
    EXPECT_EQ(reported[0].unacknowledged().route(), "gm-escalations");
    EXPECT_EQ(reported[0].unacknowledged().follow_up(), v1::FOLLOW_UP_KIND_STEP);
    EXPECT_EQ(reported[0].unacknowledged().groups_size(), 2);
    EXPECT_EQ(reported[0].unacknowledged().open_since().seconds(),
              at("2026-01-06T08:00:00Z").time_since_epoch().count());
    EXPECT_EQ(*store_->count("commands"), 1);

    reopen();  // the notifier sends again after a lost reply: the same answer, no second event
    const auto again = submit({unacknowledged_request("S1#1", 1)});
    EXPECT_EQ(reply_of(again.replies.at(0)).status(), v1::SUBMIT_STATUS_DUPLICATE);
    EXPECT_TRUE(again.publications.empty());

    ASSERT_EQ(reply_of(submit({ack_request("S1#1", "Jane")}).replies.at(0)).status(),
              v1::SUBMIT_STATUS_ACCEPTED);
    const auto late = submit({unacknowledged_request("S1#1", 2)});
    const v1::SubmitReply refused = reply_of(late.replies.at(0));
    EXPECT_EQ(refused.status(), v1::SUBMIT_STATUS_REJECTED);
    ASSERT_EQ(refused.errors_size(), 1);
    EXPECT_EQ(refused.errors(0).field(), "transition_id");
    EXPECT_EQ(refused.errors(0).code(), "acknowledged");
    EXPECT_TRUE(late.publications.empty());
    EXPECT_EQ(*store_->count("commands"), 2);  // the report and the acknowledgement
}

// Two batches in the pipeline: the second is prepared before the first commits.
TEST_F(EscalatorTest, ADeclarationIdStandsForOneDeclarationEvenInFlight) {
    submit_one(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level1));
    BatchPtr a = escalator_->prepare({declaration_request(4, "staffing", "cli-1")});
    const std::string other = declaration_request(3, "staffing", "cli-1");
    const std::string same = declaration_request(4, "staffing", "cli-1");
    BatchPtr b = escalator_->prepare({other, same});
    journal_->commit(*a);
    journal_->commit(*b);
    const auto first = escalator_->finish(std::move(a));
    const auto second = escalator_->finish(std::move(b));
    EXPECT_EQ(reply_of(first.replies.at(0)).status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(reply_of(first.replies.at(0)).message(),
              "OPEL 4 declared for S1 by Dr Lee; computed: OPEL 1");
    EXPECT_EQ(alerts(first, v1::EVENT_KIND_DECLARED).size(), 1U);
    EXPECT_EQ(alerts(first, v1::EVENT_KIND_DECLARED_MISMATCH).size(), 1U);
    const v1::SubmitReply conflict = reply_of(second.replies.at(0));
    EXPECT_EQ(conflict.status(), v1::SUBMIT_STATUS_REJECTED);
    ASSERT_EQ(conflict.errors_size(), 1);
    EXPECT_EQ(conflict.errors(0).field(), "declaration_id");
    EXPECT_EQ(conflict.errors(0).code(), "idempotency_conflict");
    EXPECT_EQ(reply_of(second.replies.at(1)).status(), v1::SUBMIT_STATUS_DUPLICATE);
    EXPECT_TRUE(second.publications.empty());
    EXPECT_EQ(*store_->count("commands"), 1);
    // Stored, the same id is still one declaration.
    EXPECT_EQ(reply_of(submit({same}).replies.at(0)).status(), v1::SUBMIT_STATUS_DUPLICATE);
    EXPECT_EQ(reply_of(submit({other}).replies.at(0)).status(), v1::SUBMIT_STATUS_REJECTED);
}

TEST_F(EscalatorTest, ADeclarationEndsOnTheClockAndStaysEndedAfterARestart) {
    submit_one(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level1));
    const TimePoint until = at("2026-01-06T08:30:00Z");
    ASSERT_EQ(reply_of(submit({declaration_request(3, "norovirus", "cli-2", until)}).replies.at(0))
                  .status(),
              v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(escalator_->next_deadline(), until);
    reopen();
    EXPECT_EQ(escalator_->next_deadline(), until);  // restored with the site's state
    clock_.set(until);
    const auto pubs = tick_now(*escalator_, *journal_);
    bool expired = false;
    for (const Publication& p : pubs) {
        v1::Publication pub;
        ASSERT_TRUE(pub.ParseFromString(p.payload));
        expired = expired ||
                  (pub.has_alert() && pub.alert().kind() == v1::EVENT_KIND_DECLARATION_EXPIRED &&
                   pub.alert().declared_level() == 3);
    }
    EXPECT_TRUE(expired);
    reopen();
    const engine::NodeIndex s1 = opel::testing::node(escalator_->engine(), "S1");
    EXPECT_EQ(escalator_->engine().result(s1).declared_level, 0);
    EXPECT_NE(escalator_->next_deadline(), until);  // it does not fire twice
    EXPECT_TRUE(tick_now(*escalator_, *journal_).empty());
}

}  // namespace
}  // namespace opel::escalatord

namespace opel::escalatord {
namespace {

// CURVE scopes through the escalator: what a key may not do is REJECTED and changes nothing,
// and its snapshot holds only its subtrees.
TEST_F(EscalatorTest, ASendersScopeLimitsItsSitrepsCommandsAndSnapshot) {
    config::CurveClient loc;
    loc.name = "loc-key";
    loc.sites = {"S1"};
    loc.subtrees = {"loc"};
    const Scopes scopes({loc}, escalator_->engine().model());
    const Sender sender{true, scopes.find("loc-key"), "loc-key"};
    const std::vector<std::string> payloads = {
        request(opel::testing::sitrep("S2", "2026-01-06T08:00:00Z", level3)),
        request(opel::testing::sitrep("S1", "2026-01-06T08:00:00Z", level3))};
    const std::vector<std::string_view> views(payloads.begin(), payloads.end());
    BatchPtr batch = escalator_->prepare(views, {sender, sender});
    journal_->commit(*batch);
    const Escalator::BatchOutput out = escalator_->finish(std::move(batch));
    const v1::SubmitReply refused = reply_of(out.replies.at(0));
    EXPECT_EQ(refused.status(), v1::SUBMIT_STATUS_REJECTED);
    ASSERT_EQ(refused.errors_size(), 1);
    EXPECT_EQ(refused.errors(0).field(), "site_id");
    EXPECT_EQ(refused.errors(0).code(), "not_allowed");
    EXPECT_EQ(refused.errors(0).message(), "'S2' is not a site loc-key may submit for (S1)");
    EXPECT_EQ(reply_of(out.replies.at(1)).status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(*store_->count("sitreps"), 1);  // S1's only

    const std::string ack = codec::acknowledgement_request({"S1#1", "Jane", "on it"});
    BatchPtr acks = escalator_->prepare({ack}, {sender});
    journal_->commit(*acks);
    const v1::SubmitReply ack_reply = reply_of(escalator_->finish(std::move(acks)).replies.at(0));
    EXPECT_EQ(ack_reply.status(), v1::SUBMIT_STATUS_REJECTED);
    ASSERT_EQ(ack_reply.errors_size(), 1);
    EXPECT_EQ(ack_reply.errors(0).message(),
              "loc-key may not acknowledge alerts (its key has no acknowledge permission)");

    v1::Snapshot snap;
    ASSERT_TRUE(snap.ParseFromString(
        escalator_->snapshot(v1::SnapshotRequest().SerializeAsString(), sender)));
    std::vector<std::string> paths;
    for (const v1::NodeResult& r : snap.results()) {
        paths.push_back(r.path());
    }
    EXPECT_EQ(paths,
              (std::vector<std::string>{"national/region/ICS/loc", "national/region/ICS/loc/S1",
                                        "national/region/ICS/loc/S2"}));
    v1::Snapshot everything;
    ASSERT_TRUE(everything.ParseFromString(
        escalator_->snapshot(v1::SnapshotRequest().SerializeAsString())));
    EXPECT_EQ(everything.results_size(), 8);
}

}  // namespace
}  // namespace opel::escalatord

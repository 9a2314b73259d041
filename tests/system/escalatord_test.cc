// System tests: the real opel-escalatord process, spoken to only through its public ZeroMQ
// interface (submit ROUTER, publish PUB, snapshot ROUTER) over ipc:// in a temp directory.
// Every wait is for a condition, with a hard deadline.
#include <grp.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>
#include <tuple>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "adapters/codec/proto.h"
#include "adapters/net/client.h"
#include "base/time.h"
#include "opel/v1/feed.pb.h"
#include "opel/v1/query.pb.h"
#include "opel/v1/reply.pb.h"
#include "opel/v1/request.pb.h"
#include "support/daemon.h"
#include "support/metrics.h"
#include "support/test_card.h"

namespace opel {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::Daemon;

// The daemon runs on a clock that starts at t0 (rate 1 unless a test says otherwise).
using testing::at;
using testing::opel1;
using testing::opel4;
using testing::sitrep;
using testing::t0;

std::string request_bytes(const v1::Sitrep& s) {
    v1::SubmitRequest r;
    *r.mutable_sitrep() = s;
    return r.SerializeAsString();
}

class EscalatordTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ =
            fs::temp_directory_path() / ("opel-system-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
    }
    void TearDown() override {
        if (daemon_) {
            daemon_->kill9();
        }
        if (HasFailure() && daemon_) {
            std::cerr << "daemon log:\n" << daemon_->log();
        }
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    void start(std::vector<std::string> extra = {}) {
        extra.insert(extra.end(), {"--clock-start", t0});
        daemon_ = std::make_unique<Daemon>(dir_, extra);
        ASSERT_TRUE(daemon_->start()) << daemon_->log();
    }

    v1::SubmitReply submit(const v1::Sitrep& s) {
        net::RequestClient client(context_, daemon_->submit_endpoint());
        auto answer = client.request(request_bytes(s), 10s, 0);
        v1::SubmitReply reply;
        EXPECT_TRUE(answer.has_value()) << (answer ? "" : answer.error().message);
        if (answer) {
            EXPECT_TRUE(reply.ParseFromString(*answer));
        }
        return reply;
    }

    v1::Snapshot snapshot(const std::string& subtree = "") {
        net::RequestClient client(context_, daemon_->snapshot_endpoint());
        v1::SnapshotRequest request;
        request.set_subtree(subtree);
        auto answer = client.request(request.SerializeAsString(), 10s, 0);
        v1::Snapshot snap;
        EXPECT_TRUE(answer && snap.ParseFromString(*answer));
        return snap;
    }

    v1::NodeResult node(const std::string& id) {
        const v1::Snapshot snap = snapshot();
        for (const v1::NodeResult& r : snap.results()) {
            if (r.node_id() == id) {
                return r;
            }
        }
        ADD_FAILURE() << "no node " << id;
        return {};
    }

    // A subscriber that has provably joined: it has received a heartbeat.
    std::unique_ptr<net::Subscriber> subscribe(const std::vector<std::string>& prefixes) {
        std::vector<std::string> with_heartbeat = prefixes;
        with_heartbeat.emplace_back("heartbeat");
        auto sub = std::make_unique<net::Subscriber>(context_, daemon_->publish_endpoint(),
                                                     with_heartbeat);
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (auto m = sub->receive(500ms); m && m->first == "heartbeat") {
                return sub;
            }
        }
        ADD_FAILURE() << "no heartbeat within 10 s";
        return sub;
    }

    // The first publication on `sub` satisfying `pred`, within `timeout`.
    static std::optional<v1::Publication> wait_for(
        net::Subscriber& sub, const std::function<bool(const v1::Publication&)>& pred,
        std::chrono::seconds timeout = 20s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            auto m = sub.receive(200ms);
            v1::Publication pub;
            if (m && pub.ParseFromString(m->second) && pred(pub)) {
                return pub;
            }
        }
        return std::nullopt;
    }

    // GET `target` from the daemon's metrics address (port 0: the one it logged).
    testing::HttpReply get(const std::string& target) {
        const auto address = daemon_->metrics_address();
        EXPECT_TRUE(address) << "no metrics address in the log";
        auto reply = testing::http_get(address.value_or("127.0.0.1:1"), target);
        EXPECT_TRUE(reply) << "no HTTP reply for " << target;
        return reply.value_or(testing::HttpReply{});
    }

    // GET /metrics, parsed; a malformed line fails the test.
    testing::Exposition scrape() {
        const testing::HttpReply reply = get("/metrics");
        EXPECT_EQ(reply.status, 200) << reply.body;
        EXPECT_NE(reply.headers.find("text/plain; version=0.0.4"), std::string::npos)
            << reply.headers;
        testing::Exposition parsed = testing::parse_exposition(reply.body);
        for (const std::string& e : parsed.errors) {
            ADD_FAILURE() << e;
        }
        return parsed;
    }

    // A metric's value, waited for until `pred` holds (within 10 s); the last value seen.
    std::optional<double> wait_metric(const std::string& name,
                                      const std::map<std::string, std::string>& labels,
                                      const std::function<bool(double)>& pred) {
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        std::optional<double> seen;
        do {
            seen = scrape().value(name, labels);
        } while (!(seen && pred(*seen)) && std::chrono::steady_clock::now() < deadline);
        return seen;
    }

    fs::path dir_;
    zmq::context_t context_;
    std::unique_ptr<Daemon> daemon_;
};

TEST_F(EscalatordTest, AcceptedSitrepPublishesStatusAndAlertWithExplanationAndActions) {
    start();
    auto sub = subscribe({"status/", "alert/"});
    const v1::SubmitReply reply = submit(opel4("RWJ", at(0)));
    ASSERT_EQ(reply.status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(reply.result().status(), v1::STATUS_OPEL_4);
    EXPECT_GT(reply.sequence(), 0U);
    const auto status = wait_for(*sub, [](const v1::Publication& p) {
        return p.has_status() && p.status().path() == "national/QOP/stockport/RWJ";
    });
    ASSERT_TRUE(status);
    EXPECT_EQ(status->status().parameters_size(), 2);
    const auto alert = wait_for(*sub, [](const v1::Publication& p) {
        return p.has_alert() && p.alert().transition_id() == "RWJ#1";
    });
    ASSERT_TRUE(alert);
    EXPECT_EQ(alert->alert().to(), v1::STATUS_OPEL_4);
    EXPECT_EQ(alert->alert().actions_size(), 4);  // level 4 includes all lower levels
    EXPECT_EQ(alert->alert().result().parameters(0).value(), 70);
    EXPECT_FALSE(alert->alert().result().decided_by().empty());
}

TEST_F(EscalatordTest, RejectedSitrepNamesEveryErrorAndStoresNothing) {
    start();
    v1::Sitrep bad = sitrep("XYZ", at(0), -5, 10);
    (*bad.mutable_measures())["no_such_measure"] = 1;
    (*bad.mutable_measures())["nctr_patients"] = 500;  // > ga_beds_occupied 200
    const v1::SubmitReply reply = submit(bad);
    ASSERT_EQ(reply.status(), v1::SUBMIT_STATUS_REJECTED);
    std::set<std::string> codes;
    for (const auto& e : reply.errors()) {
        codes.insert(e.code());
    }
    EXPECT_EQ(codes, (std::set<std::string>{"unknown_site", "unknown_measure", "out_of_range",
                                            "part_exceeds_whole"}));
    EXPECT_EQ(snapshot().sequence(), 0U);
    // Nothing stored: the same submission, corrected, is accepted, not a duplicate.
    v1::Sitrep fixed = opel1("RWJ", at(0));
    fixed.set_submission_id(reply.submission_id());
    EXPECT_EQ(submit(fixed).status(), v1::SUBMIT_STATUS_ACCEPTED);
}

TEST_F(EscalatordTest, DuplicateAndLateSubmissions) {
    start();
    const v1::SubmitReply first = submit(opel4("RWJ", at(0)));
    ASSERT_EQ(first.status(), v1::SUBMIT_STATUS_ACCEPTED);
    const v1::SubmitReply dup = submit(opel4("RWJ", at(0)));  // the same figures again
    EXPECT_EQ(dup.status(), v1::SUBMIT_STATUS_DUPLICATE);
    EXPECT_EQ(dup.original_status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(dup.sequence(), first.sequence());
    const v1::SubmitReply late = submit(opel1("RWJ", at(-30)));
    EXPECT_EQ(late.status(), v1::SUBMIT_STATUS_LATE);
    EXPECT_EQ(node("RWJ").status(), v1::STATUS_OPEL_4);
    EXPECT_EQ(snapshot().sequence(), first.sequence());
    // Other figures for the same site and time: a correction, applied and said to be one.
    const v1::SubmitReply fixed = submit(opel1("RWJ", at(0)));
    EXPECT_EQ(fixed.status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(fixed.corrects().seconds(), opel1("RWJ", at(0)).as_at().seconds());
    EXPECT_NE(fixed.message().find("correction of the"), std::string::npos);
    // An explicit id reused for another site's figures changes nothing.
    v1::Sitrep bi = opel4("RMC", at(0));
    bi.set_submission_id("trust-bi-1");
    ASSERT_EQ(submit(bi).status(), v1::SUBMIT_STATUS_ACCEPTED);
    v1::Sitrep other = opel1("RWJ", at(1));
    other.set_submission_id("trust-bi-1");
    const std::uint64_t before = snapshot().sequence();
    const v1::SubmitReply conflict = submit(other);
    EXPECT_EQ(conflict.status(), v1::SUBMIT_STATUS_REJECTED);
    ASSERT_EQ(conflict.errors_size(), 1);
    EXPECT_EQ(conflict.errors(0).code(), "idempotency_conflict");
    EXPECT_EQ(snapshot().sequence(), before);
}

TEST_F(EscalatordTest, DeescalationWaitsForTheHysteresisHold) {
    start();
    ASSERT_EQ(submit(opel4("RWJ", at(-100))).result().status(), v1::STATUS_OPEL_4);
    const v1::SubmitReply held = submit(opel1("RWJ", at(-90)));
    EXPECT_EQ(held.result().status(), v1::STATUS_OPEL_4);
    EXPECT_NE(held.result().decided_by().find("held since"), std::string::npos);
    auto sub = subscribe({"alert/"});
    EXPECT_EQ(submit(opel1("RWJ", at(-60))).result().status(), v1::STATUS_OPEL_1);
    const auto alert =
        wait_for(*sub, [](const v1::Publication& p) { return p.alert().node_id() == "RWJ"; });
    ASSERT_TRUE(alert);
    EXPECT_EQ(alert->alert().kind(), v1::EVENT_KIND_DEESCALATED);
    EXPECT_EQ(alert->alert().transition_id(), "RWJ#2");
}

TEST_F(EscalatordTest, DeclaredLevelDifferingFromComputedRaisesAMismatchAlert) {
    start();
    auto sub = subscribe({"alert/"});
    v1::Sitrep s = opel1("RWJ", at(0));
    s.set_declared_level(4);
    s.set_declared_reason("theatres flooded");
    ASSERT_EQ(submit(s).status(), v1::SUBMIT_STATUS_ACCEPTED);
    const auto alert = wait_for(*sub, [](const v1::Publication& p) {
        return p.alert().kind() == v1::EVENT_KIND_DECLARED_MISMATCH;
    });
    ASSERT_TRUE(alert);
    EXPECT_EQ(alert->alert().declared_level(), 4U);
    EXPECT_EQ(alert->alert().computed(), v1::STATUS_OPEL_1);
    EXPECT_EQ(alert->alert().declared_reason(), "theatres flooded");
}

TEST_F(EscalatordTest, SilentSiteGoesStaleAndRecovers) {
    // 1200x: the card's 120-minute interval passes in 6 real seconds.
    start({"--clock-rate", "1200"});
    const auto ready = std::chrono::steady_clock::now();
    const auto daemon_now_at_least = [&] {
        const auto real = std::chrono::steady_clock::now() - ready;
        return std::chrono::floor<std::chrono::minutes>(
                   std::chrono::duration_cast<std::chrono::seconds>(real * 1200))
            .count();
    };
    auto sub = subscribe({"alert/"});
    ASSERT_EQ(submit(opel1("RWJ", at(static_cast<int>(daemon_now_at_least())))).status(),
              v1::SUBMIT_STATUS_ACCEPTED);
    const auto stale = wait_for(*sub, [](const v1::Publication& p) {
        return p.alert().kind() == v1::EVENT_KIND_STALE && p.alert().node_id() == "RWJ";
    });
    ASSERT_TRUE(stale);
    EXPECT_EQ(stale->alert().transition_id(), "RWJ#2");
    EXPECT_EQ(node("RWJ").status(), v1::STATUS_STALE);
    ASSERT_EQ(submit(opel4("RWJ", at(static_cast<int>(daemon_now_at_least())))).status(),
              v1::SUBMIT_STATUS_ACCEPTED);
    const auto recovered = wait_for(*sub, [](const v1::Publication& p) {
        return p.alert().kind() == v1::EVENT_KIND_RECOVERED;
    });
    ASSERT_TRUE(recovered);
    EXPECT_EQ(recovered->alert().to(), v1::STATUS_OPEL_4);
}

TEST_F(EscalatordTest, LateJoinerGetsSnapshotThenEveryUpdateWithoutGapOrDuplicate) {
    start();
    submit(opel4("RWJ", at(-50)));
    submit(opel1("RMC", at(-50)));
    net::Subscriber sub(context_, daemon_->publish_endpoint(), {""});
    // Joined once anything arrives (a heartbeat at worst); then the snapshot.
    ASSERT_TRUE(wait_for(sub, [](const v1::Publication&) { return true; }));
    const v1::Snapshot snap = snapshot();
    ASSERT_EQ(snap.results_size(), 5);
    for (int i = 0; i < 10; ++i) {
        submit(i % 2 == 0 ? opel1("RWJ", at(-40 + i)) : opel4("RWJ", at(-40 + i)));
    }
    const std::uint64_t last = snapshot().sequence();
    ASSERT_GT(last, snap.sequence());
    std::vector<std::uint64_t> seen;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while ((seen.empty() || seen.back() < last) && std::chrono::steady_clock::now() < deadline) {
        auto m = sub.receive(200ms);
        v1::Publication pub;
        if (m && m->first != "heartbeat" && pub.ParseFromString(m->second) &&
            pub.sequence() > snap.sequence()) {
            seen.push_back(pub.sequence());
        }
    }
    std::vector<std::uint64_t> expected;
    for (std::uint64_t s = snap.sequence() + 1; s <= last; ++s) {
        expected.push_back(s);
    }
    EXPECT_EQ(seen, expected);
}

TEST_F(EscalatordTest, StalledSubscriberDoesNotStopIngest) {
    start({"--publish-hwm", "50"});  // 400 sitreps publish thousands of messages
    zmq::socket_t stalled(context_, zmq::socket_type::sub);
    stalled.set(zmq::sockopt::rcvhwm, 1);
    stalled.set(zmq::sockopt::rcvbuf, 1024);
    stalled.set(zmq::sockopt::subscribe, "");
    stalled.connect(daemon_->publish_endpoint());  // never read
    net::RequestClient client(context_, daemon_->submit_endpoint());
    int accepted = 0;
    for (int i = 0; i < 400; ++i) {
        const v1::Sitrep s = i % 2 == 0 ? opel1("RWJ", at(-400 + i)) : opel4("RWJ", at(-400 + i));
        auto answer = client.request(request_bytes(s), 10s, 0);
        v1::SubmitReply reply;
        ASSERT_TRUE(answer && reply.ParseFromString(*answer)) << "request " << i;
        accepted += reply.status() == v1::SUBMIT_STATUS_ACCEPTED ? 1 : 0;
    }
    EXPECT_EQ(accepted, 400);
    // The loss was counted, not silent.
    EXPECT_GT(scrape().value("opel_escalatord_publish_dropped_total").value_or(0), 0);
    // A subscriber that reads sees everything published from now on.
    auto sub = subscribe({"alert/"});
    const bool rwj_high = node("RWJ").status() == v1::STATUS_OPEL_4;
    ASSERT_EQ(submit(rwj_high ? opel1("RMC", at(0)) : opel4("RWJ", at(0))).status(),
              v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_TRUE(wait_for(*sub, [](const v1::Publication& p) { return p.has_alert(); }));
}

TEST_F(EscalatordTest, GarbageFramesAndOversizeGetErrorRepliesAndServiceContinues) {
    start();
    zmq::socket_t dealer(context_, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 0);
    dealer.set(zmq::sockopt::rcvtimeo, 10000);
    dealer.connect(daemon_->submit_endpoint());
    const auto ask = [&](const std::vector<std::string>& frames) {
        std::vector<zmq::const_buffer> parts;
        parts.reserve(frames.size());
        for (const std::string& f : frames) {
            parts.push_back(zmq::buffer(f));
        }
        EXPECT_TRUE(zmq::send_multipart(dealer, parts));
        std::vector<zmq::message_t> reply;
        EXPECT_TRUE(zmq::recv_multipart(dealer, std::back_inserter(reply)));
        v1::SubmitReply r;
        EXPECT_TRUE(!reply.empty() && r.ParseFromString(reply.back().to_string()));
        return r;
    };
    const v1::SubmitReply garbage = ask({"\x12\x34 not protobuf \xff"});
    EXPECT_EQ(garbage.status(), v1::SUBMIT_STATUS_REJECTED);
    EXPECT_EQ(garbage.errors(0).code(), "malformed");
    const v1::SubmitReply two = ask({request_bytes(opel1("RWJ", at(0))), "extra"});
    EXPECT_EQ(two.errors(0).message(), "expected exactly one payload frame, got 2");
    const v1::SubmitReply big = ask({std::string(70000, 'x')});
    EXPECT_EQ(big.errors(0).code(), "oversize");
    // A REQ client (with its empty delimiter frame) is served too, and state is intact.
    zmq::socket_t req(context_, zmq::socket_type::req);
    req.set(zmq::sockopt::linger, 0);
    req.set(zmq::sockopt::rcvtimeo, 10000);
    req.connect(daemon_->submit_endpoint());
    ASSERT_TRUE(req.send(zmq::buffer(request_bytes(opel1("RWJ", at(0))))));
    zmq::message_t answer;
    ASSERT_TRUE(req.recv(answer));
    v1::SubmitReply ok;
    ASSERT_TRUE(ok.ParseFromString(answer.to_string()));
    EXPECT_EQ(ok.status(), v1::SUBMIT_STATUS_ACCEPTED);
    // The snapshot socket answers garbage with an error, and keeps serving.
    net::RequestClient snap(context_, daemon_->snapshot_endpoint());
    v1::Snapshot bad;
    ASSERT_TRUE(bad.ParseFromString(*snap.request("\xff\xff\xff", 10s, 0)));
    EXPECT_FALSE(bad.error().empty());
    EXPECT_EQ(node("RWJ").status(), v1::STATUS_OPEL_1);
}

// After a restart (or a restored database) sequence numbers may go back: every publication,
// heartbeat and snapshot carries the publisher epoch, new at each start, so a subscriber can
// tell a restart from a gap.
TEST_F(EscalatordTest, EachStartHasANewPublisherEpochOnEveryMessage) {
    start();
    auto sub = subscribe({"status/", "heartbeat"});
    const std::uint64_t first = snapshot().epoch();
    ASSERT_NE(first, 0U);
    ASSERT_EQ(submit(opel4("RWJ", at(0))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    const auto status = wait_for(*sub, [](const v1::Publication& p) { return p.has_status(); });
    ASSERT_TRUE(status);
    EXPECT_EQ(status->epoch(), first);
    const auto beat = wait_for(*sub, [](const v1::Publication& p) { return p.has_heartbeat(); });
    ASSERT_TRUE(beat);
    EXPECT_EQ(beat->epoch(), first);
    ASSERT_EQ(daemon_->stop(), 0);
    ASSERT_TRUE(daemon_->start()) << daemon_->log();
    const std::uint64_t second = snapshot().epoch();
    EXPECT_NE(second, 0U);
    EXPECT_NE(second, first);
    auto sub2 = subscribe({"status/"});
    ASSERT_EQ(submit(opel1("RWJ", at(1))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    const auto after = wait_for(*sub2, [](const v1::Publication& p) { return p.has_status(); });
    ASSERT_TRUE(after);
    EXPECT_EQ(after->epoch(), second);
}

TEST_F(EscalatordTest, KillNineMidBurstLosesNoAcknowledgedSitrepAndRepublishesNothing) {
    start();
    auto sub = subscribe({"alert/"});
    ASSERT_EQ(submit(opel1("RWJ", at(-1))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    net::RequestClient client(context_, daemon_->submit_endpoint());
    constexpr int total = 300;
    std::vector<v1::Sitrep> sent;
    for (int i = 0; i < total; ++i) {  // RMC up and down, pipelined
        sent.push_back(i % 2 == 0 ? opel4("RMC", at(-total + i)) : opel1("RMC", at(-total + i)));
        ASSERT_TRUE(client.send(request_bytes(sent.back())));
    }
    std::map<std::string, std::uint64_t> acknowledged;  // submission_id -> sequence
    std::uint64_t max_sequence = 0;
    while (acknowledged.size() < total / 3) {
        auto answer = client.receive(10s);
        ASSERT_TRUE(answer) << "no reply while the daemon is up";
        v1::SubmitReply reply;
        ASSERT_TRUE(reply.ParseFromString(*answer));
        ASSERT_EQ(reply.status(), v1::SUBMIT_STATUS_ACCEPTED);
        acknowledged[reply.submission_id()] = reply.sequence();
        max_sequence = std::max(max_sequence, reply.sequence());
    }
    daemon_->kill9();  // mid-burst: more requests are queued or in flight
    std::set<std::string> transitions_before;
    while (auto m = sub->receive(100ms)) {
        v1::Publication pub;
        if (pub.ParseFromString(m->second) && pub.has_alert()) {
            transitions_before.insert(pub.alert().transition_id());
        }
    }
    ASSERT_FALSE(transitions_before.empty());

    ASSERT_TRUE(daemon_->start()) << daemon_->log();
    const v1::Snapshot after = snapshot();
    EXPECT_GE(after.sequence(), max_sequence);
    for (const auto& [id, sequence] : acknowledged) {
        v1::Sitrep again = sent[0];
        for (const v1::Sitrep& s : sent) {
            if (codec::from_proto(s)->effective_submission_id() == id) {
                again = s;
            }
        }
        const v1::SubmitReply reply = submit(again);
        EXPECT_EQ(reply.status(), v1::SUBMIT_STATUS_DUPLICATE) << id;
        EXPECT_EQ(reply.sequence(), sequence) << id;
    }
    // New transitions continue the numbering; none published before is published again.
    auto sub2 = subscribe({"alert/"});
    const std::uint64_t before_new = snapshot().sequence();
    ASSERT_EQ(submit(opel4("RWJ", at(1))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    std::vector<v1::Publication> after_restart;
    while (auto pub = wait_for(
               *sub2, [](const v1::Publication& p) { return p.has_alert(); }, 3s)) {
        after_restart.push_back(*pub);
    }
    ASSERT_FALSE(after_restart.empty());
    bool rwj_escalated = false;
    for (const v1::Publication& p : after_restart) {
        EXPECT_GT(p.sequence(), before_new);
        EXPECT_FALSE(transitions_before.contains(p.alert().transition_id()))
            << p.alert().transition_id() << " published twice";
        rwj_escalated = rwj_escalated || p.alert().transition_id() == "RWJ#2";
    }
    EXPECT_TRUE(rwj_escalated);
}

// A bad flag is a usage error (exit 2) naming the flag and the value it got, found before
// anything is opened: no database is created.
TEST_F(EscalatordTest, BadPipelineDepthIsAUsageErrorThatTouchesNothing) {
    for (const std::string bad : {"0", "17", "2x"}) {
        testing::Daemon d(dir_, {"--pipeline-depth", bad});
        EXPECT_FALSE(d.start(std::chrono::seconds(10))) << bad;
        EXPECT_EQ(d.exit_code(), 2) << bad;
        EXPECT_NE(
            d.log().find("--pipeline-depth: '" + bad + "' is not a whole number from 1 to 16"),
            std::string::npos)
            << d.log();
    }
    EXPECT_FALSE(fs::exists(dir_ / "opel.db"));
}

// The same for every flag that takes a number or a time (they were checked after the
// database had been opened, and "5x" passed as 5).
TEST_F(EscalatordTest, EveryBadNumberOrTimeFlagIsAUsageErrorThatTouchesNothing) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"--heartbeat-seconds", "5x"},
         "--heartbeat-seconds: '5x' is not a whole number of seconds from 1 to 86400"},
        {{"--heartbeat-seconds", "0"},
         "--heartbeat-seconds: '0' is not a whole number of seconds from 1 to 86400"},
        {{"--publish-hwm", "-3"}, "--publish-hwm: '-3' is not a whole number from 1 to 100000000"},
        {{"--clock-rate", "0.5"}, "--clock-rate: '0.5' is not a number from 1 to 100000"},
        {{"--clock-start", "yesterday"},
         "--clock-start: 'yesterday' is not an RFC 3339 time such as 2026-01-06T08:00:00Z"},
    };
    for (const auto& [args, message] : cases) {
        testing::Daemon d(dir_, args);
        EXPECT_FALSE(d.start(std::chrono::seconds(10))) << args[0];
        EXPECT_EQ(d.exit_code(), 2) << args[0];
        EXPECT_NE(d.log().find(message), std::string::npos) << d.log();
    }
    EXPECT_FALSE(fs::exists(dir_ / "opel.db"));
}

TEST_F(EscalatordTest, LockedDatabaseAnswersUnavailableThenRecovers) {
    start();
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "opel.db").c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
    const v1::SubmitReply blocked = submit(opel4("RWJ", at(0)));
    EXPECT_EQ(blocked.status(), v1::SUBMIT_STATUS_UNAVAILABLE);
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    EXPECT_EQ(node("RWJ").status(), v1::STATUS_UNKNOWN);  // nothing changed
    EXPECT_EQ(submit(opel4("RWJ", at(0))).status(), v1::SUBMIT_STATUS_ACCEPTED);
}

TEST_F(EscalatordTest, ReadOnlyDatabaseAnswersUnavailableNeverAFalseAccept) {
    if (::geteuid() != 0 || !fs::exists("/usr/bin/setpriv")) {
        GTEST_SKIP() << "needs root and setpriv to run the daemon as an unprivileged user";
    }
    start();
    ASSERT_EQ(submit(opel1("RWJ", at(0))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    ASSERT_EQ(daemon_->stop(), 0);
    // The database stays root's, readable by others (a new one is 0600: opened up here); the
    // daemon now runs as nobody and can read it but not write it.
    fs::permissions(dir_, fs::perms::all, fs::perm_options::add);
    for (const char* file : {"opel.db", "opel.db-wal", "opel.db-shm"}) {
        std::error_code absent;  // the WAL and shm may be gone after a clean stop
        fs::permissions(dir_ / file, fs::perms::group_read | fs::perms::others_read,
                        fs::perm_options::add, absent);
    }
    fs::remove(dir_ / "daemon.log");
    daemon_ =
        std::make_unique<Daemon>(dir_, std::vector<std::string>{"--clock-start", t0},
                                 std::vector<std::string>{"/usr/bin/setpriv", "--reuid=nobody",
                                                          "--regid=nogroup", "--clear-groups"});
    ASSERT_TRUE(daemon_->start()) << daemon_->log();
    EXPECT_NE(daemon_->log().find("read-only"), std::string::npos) << daemon_->log();
    const v1::SubmitReply reply = submit(opel4("RWJ", at(1)));
    EXPECT_EQ(reply.status(), v1::SUBMIT_STATUS_UNAVAILABLE);
    EXPECT_EQ(node("RWJ").status(), v1::STATUS_OPEL_1);  // nothing changed, still serving
}

// A disk that fills while the daemon runs: every submission is UNAVAILABLE (never a false
// ACCEPTED), the log says the disk is full with the path and the free space, and writes
// resume by themselves once space is freed. Needs root to mount a small tmpfs.
TEST_F(EscalatordTest, AFullDiskIsNamedAndWritesResumeWhenSpaceReturns) {
    const fs::path disk = dir_ / "disk";
    fs::create_directories(disk);
    if (::geteuid() != 0 ||
        std::system(
            ("mount -t tmpfs -o size=4m tmpfs " + disk.string() + " 2>/dev/null").c_str()) != 0) {
        GTEST_SKIP() << "needs root and permission to mount a tmpfs";
    }
    struct Unmount {
        fs::path path;
        ~Unmount() { (void)std::system(("umount -l " + path.string()).c_str()); }
    } unmount{disk};
    start({"--database", (disk / "opel.db").string()});
    ASSERT_EQ(submit(opel1("RWJ", at(0))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    // Fill the rest of the disk.
    {
        std::ofstream filler(disk / "filler", std::ios::binary);
        const std::string block(64 * 1024, 'x');
        while (filler.write(block.data(), static_cast<std::streamsize>(block.size())) &&
               filler.flush()) {
        }
    }
    v1::SubmitReply reply;
    for (int minute = 1; minute <= 4; ++minute) {  // until a commit needs space
        reply = submit(minute % 2 == 0 ? opel1("RWJ", at(minute)) : opel4("RWJ", at(minute)));
        if (reply.status() != v1::SUBMIT_STATUS_ACCEPTED) {
            break;
        }
    }
    EXPECT_EQ(reply.status(), v1::SUBMIT_STATUS_UNAVAILABLE);
    const std::string log = daemon_->log();
    EXPECT_NE(log.find("full: the disk holding " + (disk / "opel.db").string() + " is full ("),
              std::string::npos)
        << log;
    fs::remove(disk / "filler");
    const v1::Sitrep again = opel4("RWJ", at(1));  // what failed, sent again
    EXPECT_EQ(submit(again).status(), v1::SUBMIT_STATUS_ACCEPTED) << daemon_->log();
    EXPECT_EQ(node("RWJ").status(), v1::STATUS_OPEL_4);
    EXPECT_EQ(daemon_->stop(), 0);
}

// The publisher sequence never goes back, even when stored rows are removed (an emptied
// results table, a partial restore): numbers already published are never given again. The
// log says what was opened.
TEST_F(EscalatordTest, TheSequenceNeverGoesBackWhenRowsAreRemoved) {
    start();
    ASSERT_EQ(submit(opel4("RWJ", at(0))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    const std::uint64_t published = snapshot().sequence();
    ASSERT_GT(published, 0U);
    ASSERT_EQ(daemon_->stop(), 0);
    EXPECT_NE(daemon_->log().find("opel.db: created, empty"), std::string::npos) << daemon_->log();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "opel.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(db, "DELETE FROM results; DELETE FROM events", nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);

    fs::remove(dir_ / "daemon.log");
    start();
    EXPECT_NE(daemon_->log().find("opel.db: opened, 1 sitreps stored"), std::string::npos)
        << daemon_->log();
    EXPECT_GE(snapshot().sequence(), published);
    const v1::SubmitReply next = submit(opel1("RMC", at(1)));
    ASSERT_EQ(next.status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_GT(next.sequence(), published);
}

// A damaged page among the newest sitreps (where duplicates are looked up) is found by the
// start-up integrity check: the daemon refuses to start and says so, instead of serving
// and failing later.
TEST_F(EscalatordTest, ADamagedNewestSitrepPageIsRefusedAtStart) {
    start();
    ASSERT_EQ(submit(opel4("RWJ", at(0))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    ASSERT_EQ(daemon_->stop(), 0);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "opel.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr),
              SQLITE_OK);
    std::int64_t root = 0;
    std::int64_t page_size = 0;
    const auto read_int = [](void* out, int, char** values, char**) {
        *static_cast<std::int64_t*>(out) = std::stoll(values[0]);
        return 0;
    };
    ASSERT_EQ(sqlite3_exec(db, "SELECT rootpage FROM sqlite_schema WHERE name = 'sitreps'",
                           read_int, &root, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA page_size", read_int, &page_size, nullptr), SQLITE_OK);
    sqlite3_close(db);
    ASSERT_GT(root, 1);
    {
        std::fstream file(dir_ / "opel.db", std::ios::in | std::ios::out | std::ios::binary);
        file.seekp((root - 1) * page_size);
        const std::string garbage(static_cast<std::size_t>(page_size), '\x5a');
        file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    fs::remove(dir_ / "daemon.log");
    Daemon again(dir_, {"--clock-start", t0});
    EXPECT_FALSE(again.start(60s));
    EXPECT_EQ(again.exit_code(), 1);
    EXPECT_NE(again.log().find("integrity check: newest row: database disk image is malformed"),
              std::string::npos)
        << again.log();
}

// `chattr +i` / `-i` on files (ext4 and most local file systems; root). Immutable files
// refuse writes even through descriptors that are already open, as a read-only remount does.
bool set_immutable(const std::vector<fs::path>& files, bool on) {
    std::string command = std::string("chattr ") + (on ? "+i" : "-i");
    for (const fs::path& f : files) {
        command += " '" + f.string() + "'";
    }
    return std::system((command + " 2>/dev/null").c_str()) == 0;
}

// The database and its WAL turn read-only under a running daemon, then writable again:
// submissions are UNAVAILABLE meanwhile (never a false ACCEPTED) and are accepted again
// afterwards without a restart.
TEST_F(EscalatordTest, ADatabaseThatTurnsReadOnlyRecoversWithoutARestart) {
    start();
    ASSERT_EQ(submit(opel1("RWJ", at(0))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    const std::vector<fs::path> files = {dir_ / "opel.db", dir_ / "opel.db-wal"};
    if (::geteuid() != 0 || !set_immutable(files, true)) {
        GTEST_SKIP() << "needs root and a file system with chattr +i";
    }
    struct Undo {
        std::vector<fs::path> files;
        ~Undo() { set_immutable(files, false); }
    } undo{files};
    const testing::HttpReply unready = get("/readyz");  // before any write is tried
    EXPECT_EQ(unready.status, 503);
    EXPECT_NE(unready.body.find("opel.db is immutable"), std::string::npos) << unready.body;
    const v1::Sitrep blocked = opel4("RWJ", at(1));
    EXPECT_EQ(submit(blocked).status(), v1::SUBMIT_STATUS_UNAVAILABLE);
    EXPECT_EQ(node("RWJ").status(), v1::STATUS_OPEL_1);  // nothing changed, still serving
    EXPECT_EQ(get("/healthz").status, 200);              // up, though not ready
    EXPECT_EQ(scrape().value("opel_escalatord_commit_failures_total"), 1);
    ASSERT_TRUE(set_immutable(files, false));
    EXPECT_EQ(get("/readyz").status, 503);  // the last transaction failed: none since
    EXPECT_EQ(submit(blocked).status(), v1::SUBMIT_STATUS_ACCEPTED) << daemon_->log();
    EXPECT_EQ(node("RWJ").status(), v1::STATUS_OPEL_4);
    EXPECT_EQ(get("/readyz").status, 200);
    EXPECT_EQ(daemon_->stop(), 0);
}

// An immutable -shm file (the WAL index SQLite maps into memory, which faults with SIGBUS
// when it cannot grow) never crashes the daemon: made immutable while it runs, submissions
// are UNAVAILABLE naming the file and it keeps serving; at start it is refused with a message
// naming the file.
TEST_F(EscalatordTest, AnImmutableWalIndexNeverCrashesTheDaemon) {
    start();
    ASSERT_EQ(submit(opel1("RWJ", at(0))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    const fs::path shm = dir_ / "opel.db-shm";
    if (::geteuid() != 0 || !set_immutable({shm}, true)) {
        GTEST_SKIP() << "needs root and a file system with chattr +i";
    }
    struct Undo {
        fs::path file;
        ~Undo() { set_immutable({file}, false); }
    } undo{shm};
    // Enough to need a larger WAL index: SQLite would have to grow the -shm file.
    net::RequestClient client(context_, daemon_->submit_endpoint());
    constexpr int total = 6000;
    constexpr int window = 500;  // below the client's send high-water mark
    int unavailable = 0;
    for (int sent = 0; sent < total; sent += window) {
        for (int i = sent; i < sent + window; ++i) {
            ASSERT_TRUE(client.send(request_bytes(i % 2 == 0 ? opel4("RMC", at(-total + i))
                                                             : opel1("RMC", at(-total + i)))));
        }
        for (int i = 0; i < window; ++i) {
            auto answer = client.receive(30s);
            ASSERT_TRUE(answer) << "no reply: the daemon died?\n" << daemon_->log();
            v1::SubmitReply reply;
            ASSERT_TRUE(reply.ParseFromString(*answer));
            ASSERT_NE(reply.status(), v1::SUBMIT_STATUS_ACCEPTED);  // nothing can be written
            unavailable += reply.status() == v1::SUBMIT_STATUS_UNAVAILABLE ? 1 : 0;
        }
    }
    EXPECT_EQ(unavailable, total);
    EXPECT_NE(daemon_->log().find(shm.string() + " is immutable"), std::string::npos);
    // Still serving: the committed state cannot be read back either, and a snapshot says so.
    EXPECT_NE(snapshot().error().find(shm.string() + " is immutable"), std::string::npos);
    ASSERT_EQ(daemon_->stop(), 0);

    Daemon again(dir_, {"--clock-start", t0});
    EXPECT_FALSE(again.start(60s));
    EXPECT_EQ(again.exit_code(), 1);
    EXPECT_NE(again.log().find(shm.string() + " is immutable (chattr +i)"), std::string::npos)
        << again.log();
}

// Bytes of a request carrying `sitrep` (already serialized) as its one field.
std::string wrap(const std::string& sitrep) {
    std::string out("\x0a", 1);
    for (std::size_t n = sitrep.size();; n >>= 7) {  // the length as a varint
        out.push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
        if (n < 0x80) {
            break;
        }
    }
    return out + sitrep;
}

// The catalogue of bad inputs (issue 13): each is REJECTED with its exact field and code,
// nothing is stored or published, and the daemon goes on serving.
TEST_F(EscalatordTest, EveryBadInputIsRejectedPreciselyAndChangesNothing) {
    start();
    v1::Sitrep first = opel1("RWJ", at(0));
    first.set_submission_id("bi-1");
    ASSERT_EQ(submit(first).status(), v1::SUBMIT_STATUS_ACCEPTED);
    const std::uint64_t sequence = snapshot().sequence();
    const std::string good = opel1("RMC", at(0)).SerializeAsString();
    v1::Sitrep untimed = opel1("RMC", at(0));
    untimed.clear_as_at();
    const std::string without_time = untimed.SerializeAsString();
    v1::Sitrep beds;  // one map entry alone (map order on the wire is not fixed)
    (*beds.mutable_measures())["ga_beds_occupied"] = 200;
    const std::string beds_again = beds.SerializeAsString();
    const auto with = [](std::function<void(v1::Sitrep&)> change) {
        v1::Sitrep s = opel1("RMC", at(0));
        change(s);
        return wrap(s.SerializeAsString());
    };
    const auto measure = [&with](const char* name, double value) {
        return with([=](v1::Sitrep& s) { (*s.mutable_measures())[name] = value; });
    };
    const std::string b("\x00\x0b", 2);  // field number 0; a group
    const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
        {"", "sitrep", "missing_field"},
        {"\x12\x34 not protobuf \xff", "", "malformed"},
        {"\x28\x01", "", "unsupported_request"},  // field 5: no such body
        {"\x10\x01", "acknowledgement", "wrong_type"},
        {"\x0a\x05\x0a", "", "malformed"},
        {b.substr(0, 1), "", "malformed"},
        {b.substr(1, 1), "", "malformed"},
        {wrap(good) + wrap(good), "sitrep", "repeated_field"},
        {"\x08\x01", "sitrep", "wrong_type"},
        {std::string(70000, 'x'), "", "oversize"},
        {wrap(good + b.substr(0, 1)), "", "malformed"},
        {wrap(std::string("\x08\x05", 2) + good), "site_id", "wrong_type"},
        {wrap(good + std::string("\x3a\x07\x0a\x01"
                                 "a\x12\x02"
                                 "65",
                                 9)),
         "measures.a", "wrong_type"},
        {wrap(good + std::string("\x3a\x03\x0a\x01"
                                 "a",
                                 5)),
         "measures.a", "missing_value"},
        {wrap(good + std::string("\x3a\x00", 2)), "measures", "missing_name"},
        {wrap(good + std::string("\x20\x82\x80\x80\x80\x10", 6)), "declared_level", "out_of_range"},
        {wrap(good + std::string("\x0a\x03RWJ", 5)), "site_id", "repeated_field"},
        {wrap(good + beds_again), "measures.ga_beds_occupied", "repeated_field"},
        {wrap(good + std::string("\x32\x02\xc3\x28", 4)), "comment", "invalid_utf8"},
        {wrap(good + std::string("\x1a\x01\xff", 3)), "submission_id", "invalid_utf8"},
        {with([](v1::Sitrep& s) { s.mutable_as_at()->set_nanos(1000000000); }), "as_at",
         "invalid_time"},
        {with([](v1::Sitrep& s) { s.mutable_as_at()->set_seconds(253402300800); }), "as_at",
         "invalid_time"},
        {wrap(without_time + std::string("\x12\x09\x09\x00\x00\x00\x00\x00\x00\x00\x00", 11)),
         "as_at", "wrong_type"},
        {with([](v1::Sitrep& s) { s.clear_site_id(); }), "site_id", "missing_field"},
        {with([](v1::Sitrep& s) { s.set_site_id("XYZ"); }), "site_id", "unknown_site"},
        {with([](v1::Sitrep& s) { s.set_site_id("stockport"); }), "site_id", "not_a_site"},
        {with([](v1::Sitrep& s) { s.clear_as_at(); }), "as_at", "missing_field"},
        {with([](v1::Sitrep& s) { s.mutable_as_at()->set_seconds(0); }), "as_at", "before_2000"},
        {with([](v1::Sitrep& s) { s.mutable_as_at()->set_seconds(1893456000); }), "as_at",
         "future_as_at"},
        {with([](v1::Sitrep& s) { s.mutable_as_at()->set_seconds(1766000000); }), "as_at",
         "beyond_backfill"},
        {with([](v1::Sitrep& s) { s.clear_measures(); }), "measures", "missing_field"},
        {measure("zz", 1), "measures.zz", "unknown_measure"},
        {measure("ga_beds_occupied", std::nan("")), "measures.ga_beds_occupied", "not_a_number"},
        {measure("ga_beds_occupied", HUGE_VAL), "measures.ga_beds_occupied", "not_a_number"},
        {measure("ga_beds_occupied", -1), "measures.ga_beds_occupied", "out_of_range"},
        {measure("ed_attendances", 1e300), "measures.ed_attendances", "out_of_range"},
        {measure("ga_beds_occupied", 200.5), "measures.ga_beds_occupied", "not_integer"},
        {measure("nctr_patients", 201), "measures.nctr_patients", "part_exceeds_whole"},
        {with([](v1::Sitrep& s) {
             s.set_declared_level(7);
             s.set_declared_reason("x");
         }),
         "declared_level", "invalid_level"},
        {with([](v1::Sitrep& s) { s.set_declared_level(3); }), "declared_reason", "missing_reason"},
        {with([](v1::Sitrep& s) { s.set_declared_reason("why"); }), "declared_reason",
         "unexpected_field"},
        {with([](v1::Sitrep& s) { s.set_submission_id(std::string(201, 'i')); }), "submission_id",
         "too_long"},
        {with([](v1::Sitrep& s) { s.set_comment(std::string(2001, 'c')); }), "comment", "too_long"},
        {with([](v1::Sitrep& s) { s.set_submission_id("bi-1"); }), "submission_id",
         "idempotency_conflict"},
    };
    ASSERT_GE(cases.size(), 40U);
    net::RequestClient client(context_, daemon_->submit_endpoint());
    for (const auto& [payload, field, code] : cases) {
        const auto answer = client.request(payload, 10s, 0);
        ASSERT_TRUE(answer) << code << ": no reply";
        v1::SubmitReply reply;
        ASSERT_TRUE(reply.ParseFromString(*answer)) << code;
        EXPECT_EQ(reply.status(), v1::SUBMIT_STATUS_REJECTED) << code;
        ASSERT_GE(reply.errors_size(), 1) << code;
        EXPECT_EQ(reply.errors(0).field(), field) << code << ": " << reply.errors(0).message();
        EXPECT_EQ(reply.errors(0).code(), code) << reply.errors(0).message();
        EXPECT_FALSE(reply.errors(0).message().empty()) << code;
    }
    EXPECT_EQ(snapshot().sequence(), sequence);  // nothing stored or published
    EXPECT_EQ(submit(opel4("RMC", at(1))).status(), v1::SUBMIT_STATUS_ACCEPTED);  // serving
}

// A client that sends and never reads: once its queues are full, further replies cannot be
// delivered. They are counted (ZMQ_ROUTER_MANDATORY), not lost silently, and the daemon
// goes on serving others.
// A subscription longer than any topic (1 KB and more) drops that subscriber's connection: it
// never gets a message, while another subscriber's heartbeats keep coming.
TEST_F(EscalatordTest, ASubscriptionLongerThanAnyTopicIsRefused) {
    start();
    const std::string long_prefix = "status/" + std::string(2000, 'x');
    net::Subscriber greedy(context_, daemon_->publish_endpoint(), {long_prefix, "heartbeat"});
    auto control = subscribe({});
    int control_heartbeats = 0;
    bool greedy_heard = false;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (control_heartbeats < 3 && std::chrono::steady_clock::now() < deadline) {
        if (auto m = control->receive(200ms); m && m->first == "heartbeat") {
            ++control_heartbeats;
        }
        greedy_heard = greedy_heard || greedy.receive(1ms).has_value();
    }
    EXPECT_EQ(control_heartbeats, 3);
    EXPECT_FALSE(greedy_heard);
}

TEST_F(EscalatordTest, RepliesAClientNeverReadsAreCountedAndOthersAreServed) {
    start();
    zmq::socket_t deaf(context_, zmq::socket_type::dealer);
    deaf.set(zmq::sockopt::linger, 0);
    deaf.set(zmq::sockopt::sndtimeo, 10000);
    deaf.set(zmq::sockopt::rcvhwm, 10);
    deaf.connect(daemon_->submit_endpoint());
    const std::string bad = "\x28\x01";  // REJECTED at once: unsupported_request
    for (int i = 0; i < 20000; ++i) {
        ASSERT_TRUE(deaf.send(zmq::buffer(bad), zmq::send_flags::none)) << i;
    }
    // Still serving: a new client is answered, and the undelivered replies are counted.
    ASSERT_EQ(submit(opel1("RWJ", at(0))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_GT(
        wait_metric("opel_escalatord_replies_undelivered_total", {}, [](double n) { return n > 0; })
            .value_or(0),
        0);
    EXPECT_EQ(daemon_->stop(), 0);
}

// SIGTERM during a pipelined burst: the daemon exits 0, and after a restart every sitrep it
// acknowledged (before or while stopping) is there: a resend is a DUPLICATE of the same
// sequence.
TEST_F(EscalatordTest, SigtermMidBurstKeepsEveryAcknowledgedSitrep) {
    start();
    net::RequestClient client(context_, daemon_->submit_endpoint());
    constexpr int total = 300;
    std::map<std::string, v1::Sitrep> sent;  // submission_id -> sitrep
    for (int i = 0; i < total; ++i) {
        const v1::Sitrep s =
            i % 2 == 0 ? opel4("RMC", at(-total + i)) : opel1("RMC", at(-total + i));
        sent[codec::from_proto(s)->effective_submission_id()] = s;
        ASSERT_TRUE(client.send(request_bytes(s)));
    }
    std::map<std::string, std::uint64_t> acknowledged;  // submission_id -> sequence
    const auto read_reply = [&](std::chrono::milliseconds timeout) {
        auto answer = client.receive(timeout);
        if (!answer) {
            return false;
        }
        v1::SubmitReply reply;
        EXPECT_TRUE(reply.ParseFromString(*answer));
        if (reply.status() == v1::SUBMIT_STATUS_ACCEPTED) {
            acknowledged[reply.submission_id()] = reply.sequence();
        }
        return true;
    };
    while (acknowledged.size() < total / 3) {
        ASSERT_TRUE(read_reply(10s)) << "no reply while the daemon is up";
    }
    EXPECT_EQ(daemon_->stop(), 0);  // SIGTERM with requests queued and in flight
    while (read_reply(200ms)) {
        // replies sent while stopping count as acknowledgements too
    }
    ASSERT_GE(acknowledged.size(), std::size_t{total / 3});

    ASSERT_TRUE(daemon_->start()) << daemon_->log();
    std::uint64_t max_sequence = 0;
    for (const auto& [id, sequence] : acknowledged) {
        const v1::SubmitReply reply = submit(sent.at(id));
        EXPECT_EQ(reply.status(), v1::SUBMIT_STATUS_DUPLICATE) << id;
        EXPECT_EQ(reply.sequence(), sequence) << id;
        max_sequence = std::max(max_sequence, sequence);
    }
    EXPECT_GE(snapshot().sequence(), max_sequence);
}

TEST_F(EscalatordTest, ItsFilesAreNotOpenToOtherUsersAndRootIsWarnedAbout) {
    const mode_t old = ::umask(0);  // the daemon inherits it
    Daemon daemon(dir_, {});
    const bool started = daemon.start(60s);
    ::umask(old);
    ASSERT_TRUE(started) << daemon.log();
    const auto mode = [](const fs::path& path) { return fs::status(path).permissions(); };
    using P = fs::perms;
    EXPECT_EQ(mode(dir_ / "opel.db"), P::owner_read | P::owner_write);
    for (const char* socket : {"submit", "publish", "snapshot", "query"}) {
        EXPECT_EQ(mode(dir_ / socket),
                  P::owner_read | P::owner_write | P::group_read | P::group_write)
            << socket;
    }
    EXPECT_EQ(daemon.log().find("running as root (uid 0)") != std::string::npos, ::geteuid() == 0)
        << daemon.log();
}

TEST_F(EscalatordTest, AConfiguredGroupSharesTheDatabaseAndSocketsAndAnUnknownOneStopsIt) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "giving files to another group needs root (or membership of it)";
    }
    const ::group* nogroup = ::getgrnam("nogroup");
    ASSERT_NE(nogroup, nullptr);
    const gid_t gid = nogroup->gr_gid;
    const mode_t old = ::umask(0);  // the daemon inherits it
    start({"--group", "nogroup"});
    ::umask(old);
    EXPECT_EQ(submit(opel4("RWJ", at(0))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    const auto owner_and_mode = [](const fs::path& path) {
        struct stat st {};
        return ::stat(path.c_str(), &st) == 0 ? std::make_pair(st.st_gid, st.st_mode & 0777U)
                                              : std::make_pair(static_cast<gid_t>(-1), 0U);
    };
    for (const char* file : {"opel.db", "opel.db-wal", "opel.db-shm"}) {
        EXPECT_EQ(owner_and_mode(dir_ / file), std::make_pair(gid, 0640U)) << file;
    }
    for (const char* socket : {"submit", "publish", "snapshot", "query"}) {
        EXPECT_EQ(owner_and_mode(dir_ / socket), std::make_pair(gid, 0660U)) << socket;
    }
    EXPECT_EQ(daemon_->stop(), 0);
    daemon_.reset();
    Daemon unknown(dir_, {"--group", "no-such-opel-group"});
    EXPECT_FALSE(unknown.start(60s));
    EXPECT_NE(unknown.log().find("escalatord.group: no group 'no-such-opel-group' on this machine"),
              std::string::npos)
        << unknown.log();
}

TEST_F(EscalatordTest, RefusesANonLoopbackEndpointWithoutTheInsecureFlag) {
    Daemon remote(dir_, {"--submit-endpoint", "tcp://0.0.0.0:0"});
    EXPECT_FALSE(remote.start(60s));
    EXPECT_NE(remote.log().find("refusing to listen on non-loopback endpoint tcp://0.0.0.0:0"),
              std::string::npos)
        << remote.log();
}

// /metrics in Prometheus text format: submissions by reply status, every node's level, the
// commit histogram; checked by promtool when Debian's prometheus package is installed.
TEST_F(EscalatordTest, MetricsCountEveryReplyStatusAndShowEachNodesLevel) {
    start();
    constexpr int accepted = 3;
    v1::SubmitReply last;
    for (int i = 0; i < accepted; ++i) {
        last = submit(i == accepted - 1 ? opel4("RWJ", at(i)) : opel1("RWJ", at(i)));
        ASSERT_EQ(last.status(), v1::SUBMIT_STATUS_ACCEPTED);
    }
    ASSERT_EQ(submit(opel4("RWJ", at(accepted - 1))).status(), v1::SUBMIT_STATUS_DUPLICATE);
    ASSERT_EQ(submit(opel1("RWJ", at(-30))).status(), v1::SUBMIT_STATUS_LATE);
    ASSERT_EQ(submit(opel1("XYZ", at(0))).status(), v1::SUBMIT_STATUS_REJECTED);
    const testing::Exposition m = scrape();
    const auto submissions = [&](const std::string& status) {
        return m.value("opel_escalatord_submissions_total", {{"status", status}});
    };
    EXPECT_EQ(submissions("accepted"), accepted);
    EXPECT_EQ(submissions("duplicate"), 1);
    EXPECT_EQ(submissions("late"), 1);
    EXPECT_EQ(submissions("rejected"), 1);
    EXPECT_EQ(submissions("unavailable"), 0);
    EXPECT_EQ(m.types.at("opel_escalatord_submissions_total"), "counter");
    EXPECT_FALSE(m.help.at("opel_escalatord_submissions_total").empty());
    ASSERT_EQ(last.result().status(), v1::STATUS_OPEL_4);
    EXPECT_EQ(m.value("opel_node_level", {{"node", "RWJ"}}), 4);
    EXPECT_EQ(m.value("opel_node_level", {{"node", "RWJ"}, {"kind", "site"}}), 4);
    EXPECT_EQ(m.value("opel_node_stale", {{"node", "RWJ"}}), 0);
    EXPECT_EQ(m.value("opel_node_level", {{"node", "RMC"}}), 0);  // UNKNOWN: never reported
    EXPECT_EQ(m.value("opel_escalatord_sequence"), snapshot().sequence());
    // One transaction per accepted or late sitrep here (one request at a time).
    EXPECT_EQ(m.value("opel_escalatord_commits_total"), accepted + 1);
    EXPECT_EQ(m.value("opel_escalatord_commit_duration_seconds_count"), accepted + 1);
    EXPECT_EQ(m.types.at("opel_escalatord_commit_duration_seconds"), "histogram");
    const testing::HttpReply body = get("/metrics");
    if (const auto verdict = testing::promtool_check(body.body, dir_.string())) {
        EXPECT_EQ(*verdict, "") << body.body;
    } else {
        GTEST_SKIP() << "promtool (Debian package prometheus) is not installed: the exposition "
                        "was checked by the test's own parser only";
    }
}

TEST_F(EscalatordTest, HealthAndReadinessAnswerAndUnknownPathsAreNotFound) {
    start();
    EXPECT_EQ(get("/healthz").status, 200);
    const testing::HttpReply ready = get("/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body;
    EXPECT_EQ(get("/nothing").status, 404);
}

// The age of a site's latest sitrep runs on the daemon's clock (here 100 times real time).
TEST_F(EscalatordTest, SecondsSinceASitrepGrowWithTheDaemonClock) {
    start({"--clock-rate", "100"});
    ASSERT_EQ(submit(opel1("RWJ", at(0))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_FALSE(scrape().value("opel_site_seconds_since_sitrep", {{"node", "RMC"}}));
    const auto first = scrape().value("opel_site_seconds_since_sitrep", {{"node", "RWJ"}});
    ASSERT_TRUE(first);
    EXPECT_GE(*first, 0);
    const auto later = wait_metric("opel_site_seconds_since_sitrep", {{"node", "RWJ"}},
                                   [&](double s) { return s >= *first + 300; });
    EXPECT_GE(later.value_or(0), *first + 300);
}

TEST_F(EscalatordTest, MetricsAddressOffOrNonLoopbackWithoutTheFlagIsRefused) {
    Daemon remote(dir_, {"--metrics-address", "0.0.0.0:0"});
    EXPECT_FALSE(remote.start(60s));
    EXPECT_EQ(remote.exit_code(), 1);
    EXPECT_NE(remote.log().find("refusing to serve HTTP on non-loopback address 0.0.0.0:0"),
              std::string::npos)
        << remote.log();
    Daemon bad(dir_ / "bad", {"--metrics-address", "localhost"});
    fs::create_directories(dir_ / "bad");
    EXPECT_FALSE(bad.start(60s));
    EXPECT_NE(bad.log().find("bad HTTP address 'localhost'"), std::string::npos) << bad.log();
    fs::create_directories(dir_ / "off");
    Daemon off(dir_ / "off", {"--metrics-address", "off"});
    ASSERT_TRUE(off.start()) << off.log();
    EXPECT_FALSE(off.metrics_address());
    EXPECT_NE(off.log().find("metrics: off"), std::string::npos);
    EXPECT_EQ(off.stop(), 0);
}

// --- reload on SIGHUP ---

std::string read_text(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_text(const fs::path& file, const std::string& text) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
}

// Replaces the first `from` in `file` by `to`; false when `from` is not there.
bool replace_in(const fs::path& file, const std::string& from, const std::string& to) {
    std::string text = read_text(file);
    const std::size_t at = text.find(from);
    if (at == std::string::npos) {
        return false;
    }
    text.replace(at, from.size(), to);
    write_text(file, text);
    return true;
}

// A copy of the system-test configuration in dir/config that a test may edit; the shared
// catalogue is named by its absolute path.
fs::path copy_config(const fs::path& dir) {
    const fs::path to = dir / "config";
    fs::copy(OPEL_TEST_CONFIG, to, fs::copy_options::recursive);
    const std::string relative = "../../../config/catalogue.textproto";
    const fs::path catalogue = fs::canonical(fs::path(OPEL_TEST_CONFIG) / relative);
    EXPECT_TRUE(replace_in(to / "opel.textproto", relative, catalogue.string()));
    return to;
}

// The card both test sites are scored with, in a copied configuration.
fs::path card_of(const fs::path& config) { return config / "cards" / "test-acute.textproto"; }

// Waits (at most 20 s) until the daemon's log holds `text`; the log is a file, so it is
// polled.
bool wait_log(const Daemon& daemon, const std::string& text) {
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (daemon.log().find(text) == std::string::npos) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

// SELECT count(*) ... with one text parameter, on the database at `path`; -1 on an error.
int count_rows(const fs::path& path, const char* sql, const std::string& parameter) {
    sqlite3* db = nullptr;
    sqlite3_stmt* statement = nullptr;
    int count = -1;
    if (sqlite3_open(path.c_str(), &db) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK) {
        sqlite3_bind_text(statement, 1, parameter.c_str(), -1, SQLITE_TRANSIENT);
        if (sqlite3_step(statement) == SQLITE_ROW) {
            count = sqlite3_column_int(statement, 0);
        }
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return count;
}

// Sustained pressure through the real daemon: reported once when the run reaches the
// configured time, with the run's start; stored as reported, so a restart (kill -9) does not
// report it again.
TEST_F(EscalatordTest, SustainedPressureIsReportedOnceAndNotAgainAfterARestart) {
    const fs::path config = copy_config(dir_);
    {
        std::ofstream(config / "opel.textproto", std::ios::app)
            << "sustained_pressure_minutes: 60\n";
    }
    // 1200x: 60 simulated minutes pass in 3 real seconds (RWJ is due every 120 minutes).
    start({"--config", config.string(), "--clock-rate", "1200"});
    auto sub = subscribe({"alert/"});
    ASSERT_EQ(submit(opel4("RWJ", at(0))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    const auto sustained = wait_for(*sub, [](const v1::Publication& p) {
        return p.alert().kind() == v1::EVENT_KIND_SUSTAINED_PRESSURE &&
               p.alert().node_id() == "RWJ";
    });
    ASSERT_TRUE(sustained);
    EXPECT_EQ(sustained->alert().transition_id(), "RWJ#1");
    EXPECT_EQ(sustained->alert().pressure_since().seconds(),
              parse_rfc3339(at(0))->time_since_epoch().count());
    EXPECT_EQ(sustained->alert().at().seconds(), parse_rfc3339(at(60))->time_since_epoch().count());
    EXPECT_GT(sustained->alert().actions_size(), 0);
    const char* count_sql = "SELECT count(*) FROM events WHERE kind = ? AND node_id = 'RWJ'";
    EXPECT_EQ(count_rows(dir_ / "opel.db", count_sql, "sustained_pressure"), 1);

    // Restarted at 90 minutes (the run's deadline long past): a sitrep goes through, and the
    // run is still reported only once.
    daemon_->kill9();
    daemon_ = std::make_unique<Daemon>(
        dir_, std::vector<std::string>{"--config", config.string(), "--clock-start", at(90)});
    ASSERT_TRUE(daemon_->start()) << daemon_->log();
    const v1::SubmitReply again = submit(opel4("RWJ", at(85)));
    ASSERT_EQ(again.status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(count_rows(dir_ / "opel.db", count_sql, "sustained_pressure"), 1);
}

TEST_F(EscalatordTest, ReloadRefusesABrokenCardAndKeepsTheRunningConfiguration) {
    const fs::path config = copy_config(dir_);
    start({"--config", config.string()});
    ASSERT_EQ(submit(opel4("RWJ", at(-2))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    const v1::Snapshot before = snapshot();
    ASSERT_EQ(before.config_hash().size(), 16U);
    const std::string good = read_text(card_of(config));
    // Misordered thresholds: the loader names the file, line and field.
    ASSERT_TRUE(replace_in(card_of(config), "opel2: 15 opel3: 30", "opel2: 45 opel3: 30"));
    ASSERT_TRUE(daemon_->reload());
    ASSERT_TRUE(wait_log(*daemon_, "reload refused")) << daemon_->log();
    const std::string log = daemon_->log();
    EXPECT_TRUE(std::regex_search(log, std::regex(R"(test-acute\.textproto:[0-9]+: \S+: )")))
        << log;
    EXPECT_NE(log.find("the running configuration is kept"), std::string::npos);
    const v1::Snapshot after = snapshot();
    EXPECT_EQ(after.config_hash(), before.config_hash());
    EXPECT_EQ(after.sequence(), before.sequence());
    EXPECT_EQ(node("RWJ").status(), v1::STATUS_OPEL_4);
    // Still the running card: handover 20 scores 2 (at 15), not 1 (at 45).
    const v1::SubmitReply rmc = submit(sitrep("RMC", at(-1), 20, 5));
    ASSERT_EQ(rmc.status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(rmc.result().parameters(0).score(), 2U);
    // Mended (and changed): the next reload takes effect.
    write_text(card_of(config), good);
    ASSERT_TRUE(replace_in(card_of(config), "opel2: 15 opel3: 30", "opel2: 10 opel3: 30"));
    ASSERT_TRUE(daemon_->reload());
    ASSERT_TRUE(wait_log(*daemon_, "in effect")) << daemon_->log();
    const v1::Snapshot reloaded = snapshot();
    EXPECT_EQ(reloaded.config_hash().size(), 16U);
    EXPECT_NE(reloaded.config_hash(), before.config_hash());
}

TEST_F(EscalatordTest, ReloadWithAChangedThresholdPublishesItsHashAndRescoresAtTheNextSitrep) {
    const fs::path config = copy_config(dir_);
    start({"--config", config.string()});
    auto sub = subscribe({"alert/"});
    ASSERT_EQ(submit(opel4("RMC", at(-3))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    ASSERT_EQ(submit(opel1("RWJ", at(-3))).result().status(), v1::STATUS_OPEL_1);
    const std::string old_hash = snapshot().config_hash();
    // Handover 5 minutes scores 2 from now on: RWJ's (5, 5%) is OPEL 2 at its next sitrep.
    ASSERT_TRUE(replace_in(card_of(config), "opel2: 15 opel3: 30", "opel2: 4 opel3: 30"));
    ASSERT_TRUE(daemon_->reload());
    const auto event = wait_for(*sub, [](const v1::Publication& p) {
        return p.has_alert() && p.alert().kind() == v1::EVENT_KIND_CONFIG_RELOADED;
    });
    ASSERT_TRUE(event) << daemon_->log();
    EXPECT_EQ(event->alert().path(), "national");
    EXPECT_EQ(event->alert().config_hash().size(), 16U);
    EXPECT_NE(event->alert().config_hash(), old_hash);
    const v1::Snapshot snap = snapshot();
    EXPECT_EQ(snap.config_hash(), event->alert().config_hash());
    EXPECT_GE(snap.sequence(), event->sequence());
    // Every node's state is kept; RWJ keeps its result until its next sitrep.
    EXPECT_EQ(node("RMC").status(), v1::STATUS_OPEL_4);
    EXPECT_EQ(node("RWJ").status(), v1::STATUS_OPEL_1);
    const v1::SubmitReply next = submit(opel1("RWJ", at(-1)));
    ASSERT_EQ(next.status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_EQ(next.result().parameters(0).score(), 2U);
    EXPECT_EQ(next.result().status(), v1::STATUS_OPEL_2);
    EXPECT_EQ(node("RMC").status(), v1::STATUS_OPEL_4);
    // Stored like any other event (history and watch --since read it from there).
    EXPECT_EQ(daemon_->stop(), 0);
    EXPECT_EQ(count_rows(dir_ / "opel.db", "SELECT count(*) FROM events WHERE kind = ?",
                         "config_reloaded"),
              1);
}

TEST_F(EscalatordTest, SighupDuringABurstLosesNothingAcknowledgedAndPublishesNothingTwice) {
    const fs::path config = copy_config(dir_);
    start({"--config", config.string()});
    auto sub = subscribe({"status/", "alert/"});
    const std::string original = read_text(card_of(config));
    std::string changed = original;
    changed.replace(changed.find("opel2: 15"), 9, "opel2: 12");
    net::RequestClient client(context_, daemon_->submit_endpoint());
    constexpr int total = 300;
    for (int i = 0; i < total; ++i) {  // RMC up and down, pipelined
        const v1::Sitrep s =
            i % 2 == 0 ? opel4("RMC", at(-total + i)) : opel1("RMC", at(-total + i));
        ASSERT_TRUE(client.send(request_bytes(s)));
    }
    std::set<std::string> acknowledged;
    int reloads = 0;
    for (int replies = 1; replies <= total; ++replies) {
        auto answer = client.receive(10s);
        ASSERT_TRUE(answer) << "no reply while the daemon is up";
        v1::SubmitReply reply;
        ASSERT_TRUE(reply.ParseFromString(*answer));
        if (reply.status() == v1::SUBMIT_STATUS_ACCEPTED) {
            acknowledged.insert(reply.submission_id());
        }
        if (replies % 20 == 0) {  // a reload every 20 replies, the card changing every other
            write_text(card_of(config), (replies / 20) % 2 == 0 ? original : changed);
            ASSERT_TRUE(daemon_->reload());
            ++reloads;
        }
    }
    ASSERT_FALSE(acknowledged.empty());
    // One more sitrep after every reply: its publications come after the burst's.
    const v1::SubmitReply last = submit(opel1("RWJ", at(0)));
    ASSERT_EQ(last.status(), v1::SUBMIT_STATUS_ACCEPTED);
    std::vector<std::uint64_t> sequences;
    int config_events = 0;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < deadline &&
           (sequences.empty() || sequences.back() < last.sequence())) {
        auto m = sub->receive(200ms);
        v1::Publication pub;
        if (m && m->first != "heartbeat" && pub.ParseFromString(m->second)) {
            sequences.push_back(pub.sequence());
            config_events += pub.alert().kind() == v1::EVENT_KIND_CONFIG_RELOADED ? 1 : 0;
        }
    }
    ASSERT_FALSE(sequences.empty());
    EXPECT_GE(sequences.back(), last.sequence());
    for (std::size_t i = 1; i < sequences.size(); ++i) {
        ASSERT_EQ(sequences[i], sequences[i - 1] + 1) << "gap or duplicate at " << i;
    }
    EXPECT_GE(config_events, 1);
    EXPECT_LE(config_events, reloads);
    EXPECT_EQ(daemon_->stop(), 0);
    for (const std::string& id : acknowledged) {
        EXPECT_EQ(count_rows(dir_ / "opel.db",
                             "SELECT count(*) FROM sitreps WHERE submission_id = ?", id),
                  1)
            << id;
    }
}

}  // namespace
}  // namespace opel

namespace opel {
namespace {

// A CURVE key pair in two files, as `opel keygen` writes them (one Z85 line each).
struct KeyPair {
    std::string public_file;
    std::string secret_file;
    std::string public_z85;
};

KeyPair key_pair(const fs::path& dir, const std::string& name) {
    return {(dir / (name + ".pub")).string(), (dir / (name + ".key")).string(),
            testing::write_key_pair(dir, name)};
}

std::string client_entry(const std::string& name, const KeyPair& key, const std::string& rest) {
    return "clients { name: \"" + name + "\" public_key: \"" + key.public_z85 + "\" " + rest + " }";
}

class CurveTest : public EscalatordTest {
protected:
    void SetUp() override {
        EscalatordTest::SetUp();
        config_ = copy_config(dir_);
        server_ = key_pair(config_, "escalator");
        rwj_ = key_pair(dir_, "rwj");
        ops_ = key_pair(dir_, "ops");
        stranger_ = key_pair(dir_, "stranger");
        ASSERT_TRUE(replace_in(
            config_ / "opel.textproto", "escalatord { max_clock_skew_seconds: 300 }",
            "escalatord { max_clock_skew_seconds: 300 curve { public_key_file: \"escalator.pub\" "
            "secret_key_file: \"escalator.key\"\n" +
                client_entry("rwj", rwj_, "sites: \"RWJ\" subtrees: \"RWJ\"") + "\n" +
                client_entry("ops", ops_, "sites: \"national\" subtrees: \"national\"") + " } }"));
        daemon_ = std::make_unique<Daemon>(
            dir_, std::vector<std::string>{"--config", config_.string(), "--clock-start", t0});
        daemon_->use_curve(keys(ops_));
        ASSERT_TRUE(daemon_->start()) << daemon_->log();
    }

    net::ClientKeys keys(const KeyPair& pair) const {
        return net::read_client_keys(server_.public_file, pair.public_file, pair.secret_file)
            .value();
    }

    // The reply to `s` sent with `pair`'s keys; none when nothing answers within `wait`.
    std::optional<v1::SubmitReply> submit_as(const KeyPair* pair, const v1::Sitrep& s,
                                             std::chrono::milliseconds wait = 10s) {
        net::RequestClient client(context_, daemon_->submit_endpoint(),
                                  pair ? std::optional(keys(*pair)) : std::nullopt);
        auto answer = client.request(request_bytes(s), wait, 0);
        v1::SubmitReply reply;
        if (!answer || !reply.ParseFromString(*answer)) {
            return std::nullopt;
        }
        return reply;
    }

    fs::path config_;
    KeyPair server_;
    KeyPair rwj_;
    KeyPair ops_;
    KeyPair stranger_;
};

TEST_F(CurveTest, ASiteKeySubmitsForItsSiteOnlyAndOtherKeysGetNothing) {
    const auto own = submit_as(&rwj_, opel1("RWJ", at(0)));
    ASSERT_TRUE(own);
    EXPECT_EQ(own->status(), v1::SUBMIT_STATUS_ACCEPTED);
    const auto other = submit_as(&rwj_, opel1("RMC", at(0)));
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status(), v1::SUBMIT_STATUS_REJECTED);
    ASSERT_EQ(other->errors_size(), 1);
    EXPECT_EQ(other->errors(0).field(), "site_id");
    EXPECT_EQ(other->errors(0).code(), "not_allowed");
    EXPECT_EQ(other->errors(0).message(), "'RMC' is not a site rwj may submit for (RWJ)");
    net::RequestClient as_ops(context_, daemon_->snapshot_endpoint(), keys(ops_));
    v1::SnapshotRequest rmc;
    rmc.set_subtree("national/QOP/stockport/RMC");
    v1::Snapshot snap;
    ASSERT_TRUE(snap.ParseFromString(as_ops.request(rmc.SerializeAsString(), 10s, 0).value()));
    ASSERT_EQ(snap.results_size(), 1);
    EXPECT_EQ(snap.results(0).status(), v1::STATUS_UNKNOWN);  // nothing changed
    // A key not on the allow-list, and a client without keys, get no connection at all.
    EXPECT_FALSE(submit_as(&stranger_, opel1("RWJ", at(1)), 500ms));
    EXPECT_FALSE(submit_as(nullptr, opel1("RWJ", at(1)), 500ms));
    const auto refused = wait_metric("opel_escalatord_curve_handshakes_total",
                                     {{"outcome", "refused"}}, [](double v) { return v >= 1; });
    EXPECT_GE(refused.value_or(0), 1);
    EXPECT_NE(daemon_->log().find("CURVE: refused key " + stranger_.public_z85), std::string::npos);
}

TEST_F(CurveTest, AKeyReadsOnlyItsSubtreeLiveInSnapshotsAndInHistory) {
    // Subscribed to everything: narrowed to RWJ's topics and heartbeats.
    net::Subscriber sub(context_, daemon_->publish_endpoint(), {""}, keys(rwj_));
    const auto joined = std::chrono::steady_clock::now() + 10s;
    while (std::chrono::steady_clock::now() < joined) {
        if (auto m = sub.receive(500ms); m && m->first == "heartbeat") {
            break;
        }
    }
    ASSERT_EQ(submit_as(&ops_, opel4("RMC", at(1)))->status(), v1::SUBMIT_STATUS_ACCEPTED);
    ASSERT_EQ(submit_as(&ops_, opel4("RWJ", at(2)))->status(), v1::SUBMIT_STATUS_ACCEPTED);
    // RMC's publications went out first: any that reached this subscriber would be seen here.
    bool rwj_status = false;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!rwj_status && std::chrono::steady_clock::now() < deadline) {
        const auto m = sub.receive(200ms);
        if (!m) {
            continue;
        }
        const std::string& topic = m->first;
        EXPECT_TRUE(topic == "heartbeat" ||
                    topic.starts_with("status/national/QOP/stockport/RWJ") ||
                    topic.starts_with("alert/national/QOP/stockport/RWJ"))
            << topic;
        rwj_status = topic == "status/national/QOP/stockport/RWJ";
    }
    EXPECT_TRUE(rwj_status);

    net::RequestClient snapshots(context_, daemon_->snapshot_endpoint(), keys(rwj_));
    v1::Snapshot snap;
    ASSERT_TRUE(snap.ParseFromString(
        snapshots.request(v1::SnapshotRequest().SerializeAsString(), 10s, 0).value()));
    ASSERT_EQ(snap.results_size(), 1);
    EXPECT_EQ(snap.results(0).node_id(), "RWJ");

    net::RequestClient queries(context_, daemon_->query_endpoint(), keys(rwj_));
    v1::QueryRequest history;
    history.mutable_history()->set_kind(v1::HISTORY_KIND_SITREPS);
    history.mutable_history()->set_node("RMC");
    v1::QueryReply refused;
    ASSERT_TRUE(
        refused.ParseFromString(queries.request(history.SerializeAsString(), 10s, 0).value()));
    EXPECT_EQ(refused.error().code(), "not_allowed");
    history.mutable_history()->set_node("");
    v1::QueryReply own;
    ASSERT_TRUE(own.ParseFromString(queries.request(history.SerializeAsString(), 10s, 0).value()));
    ASSERT_EQ(own.sitreps_size(), 1);
    v1::QueryRequest publications;
    publications.mutable_publications()->set_after_sequence(0);
    v1::QueryReply published;
    ASSERT_TRUE(published.ParseFromString(
        queries.request(publications.SerializeAsString(), 10s, 0).value()));
    ASSERT_GT(published.publications_size(), 0);
    for (const v1::Publication& p : published.publications()) {
        EXPECT_EQ(p.has_status() ? p.status().node_id() : p.alert().node_id(), "RWJ");
    }

    // A subscription wholly outside its subtree is refused and counted.
    net::Subscriber outside(context_, daemon_->publish_endpoint(),
                            {"status/national/QOP/stockport/RMC"}, keys(rwj_));
    const auto counted = wait_metric("opel_escalatord_subscriptions_refused_total", {},
                                     [](double v) { return v >= 1; });
    EXPECT_GE(counted.value_or(0), 1);
}

TEST_F(CurveTest, TheAllowListIsReloadedWithTheConfiguration) {
    EXPECT_FALSE(submit_as(&stranger_, opel1("RWJ", at(0)), 500ms));
    ASSERT_TRUE(replace_in(config_ / "opel.textproto", rwj_.public_z85, stranger_.public_z85));
    ASSERT_TRUE(daemon_->reload());
    // The new key is admitted once the reload is applied; the old one no longer is.
    std::optional<v1::SubmitReply> reply;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!reply && std::chrono::steady_clock::now() < deadline) {
        reply = submit_as(&stranger_, opel1("RWJ", at(0)), 500ms);
    }
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status(), v1::SUBMIT_STATUS_ACCEPTED);
    EXPECT_FALSE(submit_as(&rwj_, opel1("RWJ", at(1)), 500ms));
}

}  // namespace
}  // namespace opel

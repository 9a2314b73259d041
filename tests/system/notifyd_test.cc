// System tests of opel-notifyd: the real daemon between a real opel-escalatord and real
// receivers (a webhook receiver process that can be told to fail or stall, and an aiosmtpd
// SMTP server), all on loopback and ipc://. Every wait is for a condition, with a deadline.
#include "support/notifyd.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "adapters/feed/query_client.h"
#include "adapters/net/client.h"
#include "base/time.h"
#include "opel/v1/feed.pb.h"
#include "opel/v1/query.pb.h"
#include "opel/v1/reply.pb.h"
#include "opel/v1/request.pb.h"
#include "support/daemon.h"
#include "support/receivers.h"
#include "support/test_card.h"

namespace opel {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::at;
using testing::Daemon;
using testing::HttpReceiver;
using testing::Notifyd;
using testing::opel1;
using testing::opel4;
using testing::SmtpSink;
using testing::t0;
using Request = HttpReceiver::Request;

// The root file: the catalogue and the test tree by absolute path, the card beside it (see
// configure()), plus `notifyd`.
std::string root_file(const std::string& notifyd) {
    const fs::path src = OPEL_SOURCE_DIR;
    return "catalogue: \"" + (src / "config/catalogue.textproto").string() + "\"\n" +
           "cards: \"card.textproto\"\n" + "tree: \"" +
           (src / "tests/system/config/trees/test.textproto").string() + "\"\n" +
           "escalatord { max_clock_skew_seconds: 300 }\n" + notifyd;
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

class NotifydTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("opel-notifyd-system-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        hooks_ = HttpReceiver::start();
        mail_ = SmtpSink::start({"nobody@example.nhs.uk"});
    }
    void TearDown() override {
        if (HasFailure()) {
            if (notifyd_) {
                std::cerr << "notifyd log:\n" << notifyd_->log();
            }
            if (escalator_) {
                std::cerr << "escalatord log:\n" << escalator_->log();
            }
            if (hooks_) {
                std::cerr << "receiver output:\n" << hooks_->output();
            }
        }
        notifyd_.reset();
        escalator_.reset();
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    // The configuration: grouping window, retries in milliseconds, and the routing file.
    void configure(const std::string& routing, int grouping_seconds = 1) {
        std::ofstream(dir_ / "opel.textproto") << root_file(
            "notifyd {\n  routing: \"notify.textproto\"\n  grouping_seconds: " +
            std::to_string(grouping_seconds) +
            "\n  wallboard_url: \"http://127.0.0.1:8080\"\n  smtp { url: \"" + mail_->url() +
            "\" from: \"OPEL <opel@example.nhs.uk>\" }\n"
            "  delivery { first_retry_seconds: 100 max_retry_seconds: 400 "
            "retry_unit_milliseconds: 1 timeout_seconds: 2 rate_per_minute: 600 }\n"
            "}\n");
        std::ofstream(dir_ / "notify.textproto") << routing;
        // The test card, reporting every 24 hours instead of 2: sitreps hours old still move
        // levels instead of finding their site STALE.
        std::ifstream card(fs::path(OPEL_SOURCE_DIR) /
                           "tests/system/config/cards/test-acute.textproto");
        std::stringstream text;
        text << card.rdbuf();
        std::string daily = text.str();
        daily.replace(daily.find("reporting_interval_minutes: 120"), 31,
                      "reporting_interval_minutes: 1440");
        std::ofstream(dir_ / "card.textproto") << daily;
    }

    // A group "oncall" with the webhook and an e-mail address, routed everything under QOP.
    std::string simple_routing(const std::string& route_extra = "") const {
        return "groups { name: \"oncall\" webhooks: \"" + hooks_->url("/hook") +
               "\" emails: \"oncall@example.nhs.uk\" }\n"
               "routes { name: \"all\" subtree: \"national\" groups: \"oncall\" " +
               route_extra + " }\n";
    }

    void start_escalator(std::vector<std::string> extra = {}) {
        extra.insert(extra.end(),
                     {"--config", (dir_ / "opel.textproto").string(), "--clock-start", t0});
        escalator_ = std::make_unique<Daemon>(dir_, extra);
        if (keys_) {
            escalator_->use_curve(*keys_);
        }
        ASSERT_TRUE(escalator_->start()) << escalator_->log();
    }

    void start_notifyd(std::vector<std::string> extra = {}) {
        notifyd_ = std::make_unique<Notifyd>(dir_, dir_ / "opel.textproto", *escalator_, extra);
        ASSERT_TRUE(notifyd_->start()) << notifyd_->log();
    }

    v1::SubmitReply send(const v1::SubmitRequest& request) {
        net::RequestClient client(context_, escalator_->submit_endpoint(), keys_);
        auto answer = client.request(request.SerializeAsString(), 10s, 0);
        v1::SubmitReply reply;
        EXPECT_TRUE(answer.has_value() && reply.ParseFromString(*answer));
        return reply;
    }
    v1::SubmitReply submit(const v1::Sitrep& s) {
        v1::SubmitRequest r;
        *r.mutable_sitrep() = s;
        const v1::SubmitReply reply = send(r);
        EXPECT_EQ(reply.status(), v1::SUBMIT_STATUS_ACCEPTED) << reply.DebugString();
        return reply;
    }
    // OPEL 1 at `minutes` and again 30 minutes later, when the hysteresis hold lets it fall.
    void stand_down(const std::string& site, int minutes) {
        submit(opel1(site, at(minutes)));
        submit(opel1(site, at(minutes + 30)));
    }
    void acknowledge(const std::string& transition, const std::string& by) {
        v1::SubmitRequest r;
        r.mutable_acknowledgement()->set_transition_id(transition);
        r.mutable_acknowledgement()->set_by(by);
        EXPECT_EQ(send(r).status(), v1::SUBMIT_STATUS_ACCEPTED);
    }

    // Waits until `enough(requests)` holds, looking again at every new request.
    std::vector<Request> await(const std::function<bool(const std::vector<Request>&)>& enough,
                               std::chrono::milliseconds timeout) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::vector<Request> seen = hooks_->requests();
        while (!enough(seen) && std::chrono::steady_clock::now() < deadline) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            seen = hooks_->wait_for(seen.size() + 1, left);
        }
        return seen;
    }

    fs::path dir_;
    zmq::context_t context_;
    std::optional<net::ClientKeys> keys_;  // the test's own, when the escalator uses CURVE
    std::unique_ptr<HttpReceiver> hooks_;
    std::unique_ptr<SmtpSink> mail_;
    std::unique_ptr<Daemon> escalator_;
    std::unique_ptr<Notifyd> notifyd_;
};

std::size_t answered(const std::vector<Request>& requests, int status) {
    return static_cast<std::size_t>(std::count_if(
        requests.begin(), requests.end(), [&](const Request& r) { return r.status == status; }));
}

TEST_F(NotifydTest, OneSitrepMovingFourNodesIsOneMessagePerReceiverByWebhookAndEmail) {
    configure(simple_routing());
    start_escalator();
    start_notifyd();
    submit(opel4("RWJ", at(-100)));  // RWJ, stockport, QOP and national all move

    const std::vector<Request> hooks = hooks_->wait_for(1, 20s);
    ASSERT_EQ(hooks.size(), 1U);
    const Request& hook = hooks[0];
    EXPECT_EQ(hook.status, 200);
    EXPECT_EQ(hook.path, "/hook");
    EXPECT_EQ(hook.headers.at("content-type"), "application/json");
    const std::string key = hook.headers.at("idempotency-key");
    EXPECT_EQ(key.rfind("RWJ#1/webhook-", 0), 0U) << key;
    EXPECT_NE(hook.body.find("\"idempotency_key\":\"" + key + "\""), std::string::npos);
    for (const char* transition : {"RWJ#1", "stockport#1", "QOP#1", "national#1"}) {
        EXPECT_EQ(count(hook.body, std::string("\"transition_id\":\"") + transition + "\""), 1U)
            << transition << " in " << hook.body;
    }
    EXPECT_NE(hook.body.find("\"subject\":\"[OPEL 4] RWJ"), std::string::npos) << hook.body;
    EXPECT_NE(hook.body.find("opel ack RWJ#1"), std::string::npos);
    EXPECT_NE(hook.body.find("http://127.0.0.1:8080/node/RWJ"), std::string::npos);

    const auto mails = mail_->wait_for(1, 20s);
    ASSERT_EQ(mails.size(), 1U);
    EXPECT_EQ(mails[0].rcpt_tos, std::vector<std::string>{"oncall@example.nhs.uk"});
    EXPECT_NE(mails[0].data.find("Message-ID: <"), std::string::npos);
    EXPECT_NE(mails[0].data.find("X-OPEL-Idempotency-Key: RWJ#1/oncall@example.nhs.uk"),
              std::string::npos);
    EXPECT_NE(mails[0].data.find("multipart/alternative"), std::string::npos);
    EXPECT_NE(mails[0].data.find("text/html"), std::string::npos);
    EXPECT_NE(mails[0].data.find("Subject: =?UTF-8?B?"), std::string::npos);  // the em dash
    // The stand-down is a message of its own; nothing was sent twice.
    stand_down("RWJ", -90);
    const auto has_stand_down = [](const std::vector<Request>& r) {
        return std::any_of(r.begin(), r.end(), [](const Request& q) {
            return q.body.find("\"transition_id\":\"RWJ#2\"") != std::string::npos;
        });
    };
    const std::vector<Request> after = await(has_stand_down, 20s);
    ASSERT_TRUE(has_stand_down(after));
    EXPECT_NE(after.back().body.find("EVENT_KIND_DEESCALATED"), std::string::npos);
    std::set<std::string> keys;
    for (const Request& r : after) {
        EXPECT_TRUE(keys.insert(r.headers.at("idempotency-key")).second)
            << r.headers.at("idempotency-key") << " twice";
    }
}

TEST_F(NotifydTest, WithCurveItFollowsTheFeedWithTheKeysOfItsSection) {
    configure(simple_routing());
    testing::write_key_pair(dir_, "escalator");
    const std::string notifyd_key = testing::write_key_pair(dir_, "notifyd");
    const std::string test_key = testing::write_key_pair(dir_, "test");
    std::string root;
    {
        std::ifstream in(dir_ / "opel.textproto");
        root.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    const std::string plain = "escalatord { max_clock_skew_seconds: 300 }\n";
    root.replace(root.find(plain), plain.size(),
                 "escalatord { max_clock_skew_seconds: 300 curve { public_key_file: "
                 "\"escalator.pub\" secret_key_file: \"escalator.key\"\n"
                 "clients { name: \"notifyd\" public_key: \"" +
                     notifyd_key +
                     "\" subtrees: \"national\" report_unacknowledged: true }\n"
                     "clients { name: \"test\" public_key: \"" +
                     test_key + "\" sites: \"national\" subtrees: \"national\" } } }\n");
    root.replace(root.find("notifyd {\n"), 10,
                 "notifyd {\n  curve { public_key_file: \"notifyd.pub\" secret_key_file: "
                 "\"notifyd.key\" }\n");
    std::ofstream(dir_ / "opel.textproto") << root;
    keys_ = net::read_client_keys((dir_ / "escalator.pub").string(), (dir_ / "test.pub").string(),
                                  (dir_ / "test.key").string())
                .value();
    start_escalator();
    start_notifyd();
    submit(opel4("RWJ", at(-100)));
    const std::vector<Request> hooks = hooks_->wait_for(1, 20s);
    ASSERT_EQ(hooks.size(), 1U);
    EXPECT_NE(hooks[0].body.find("\"subject\":\"[OPEL 4] RWJ"), std::string::npos) << hooks[0].body;
}

TEST_F(NotifydTest, AStandDownIsSentAtOnceAndTakesWhatWasWaitingWithIt) {
    configure(simple_routing(), 60);  // a window far longer than the test waits
    start_escalator();
    start_notifyd();
    submit(opel4("RWJ", at(-100)));
    ASSERT_TRUE(notifyd_->wait_metric("opel_notifyd_waiting_deliveries", 8, 20s));
    stand_down("RWJ", -90);
    const std::vector<Request> hooks = hooks_->wait_for(1, 20s);  // not 60 s
    ASSERT_GE(hooks.size(), 1U);
    const std::string& body = hooks[0].body;
    EXPECT_NE(body.find("EVENT_KIND_DEESCALATED"), std::string::npos) << body;
    EXPECT_NE(body.find("opel ack RWJ#1"), std::string::npos) << "the held escalation goes too";
    EXPECT_GE(mail_->wait_for(1, 20s).size(), 1U);
}

TEST_F(NotifydTest, AFailingReceiverGetsEveryMessageOnceItIsBack) {
    configure(simple_routing());
    start_escalator();
    start_notifyd();
    hooks_->set_mode(R"({"mode":"fail","status":503,"count":3})");
    submit(opel4("RWJ", at(-100)));
    const std::vector<Request> hooks =
        await([](const std::vector<Request>& r) { return answered(r, 200) >= 1; }, 30s);
    ASSERT_EQ(answered(hooks, 503), 3U);
    ASSERT_EQ(answered(hooks, 200), 1U);
    ASSERT_EQ(hooks.size(), 4U);
    for (const Request& r : hooks) {
        EXPECT_EQ(r.headers.at("idempotency-key"), hooks[0].headers.at("idempotency-key"));
        EXPECT_EQ(r.body, hooks[0].body) << "every attempt sends the same bytes";
    }
    // A receiver that refuses for good (a 4xx) is not retried: the message is marked failed.
    // The stand-down chain is one message, sent once.
    hooks_->set_mode(R"({"mode":"fail","status":404})");
    stand_down("RWJ", -90);
    ASSERT_TRUE(
        notifyd_->wait_metric("opel_notifyd_attempts_total", 1, 20s, {{"outcome", "failed"}}));
    ASSERT_TRUE(notifyd_->wait_metric("opel_notifyd_messages", 1, 20s,
                                      {{"state", "failed"}, {"kind", "webhook"}}));
    std::set<std::string> refused;
    for (const Request& r : hooks_->requests()) {
        if (r.status == 404) {
            EXPECT_TRUE(refused.insert(r.headers.at("idempotency-key")).second)
                << r.headers.at("idempotency-key") << " was tried again after a 404";
        }
    }
    EXPECT_TRUE(refused.count(hooks_->requests().back().headers.at("idempotency-key")));
    EXPECT_EQ(notifyd_->metrics().value("opel_notifyd_attempts_total", {{"outcome", "retry"}}),
              3.0);  // the three 503s only
}

TEST_F(NotifydTest, AReceiverThatIsDownGetsEveryMessageOnceWhenItComesBack) {
    configure(simple_routing());
    start_escalator();
    start_notifyd();
    const int port = hooks_->port();
    hooks_.reset();  // the receiver's process is gone: connections are refused
    submit(opel4("RWJ", at(-100)));
    ASSERT_TRUE(
        notifyd_->wait_metric("opel_notifyd_attempts_total", 3, 30s, {{"outcome", "retry"}}))
        << "refused connections are retried";
    EXPECT_EQ(notifyd_->metrics().value("opel_notifyd_messages",
                                        {{"state", "retrying"}, {"kind", "webhook"}}),
              1.0);
    hooks_ = HttpReceiver::start(std::chrono::seconds(20), port);  // back, on the same port
    const std::vector<Request> hooks =
        await([](const std::vector<Request>& r) { return !r.empty(); }, 30s);
    ASSERT_TRUE(notifyd_->wait_metric("opel_notifyd_messages", 1, 20s,
                                      {{"state", "sent"}, {"kind", "webhook"}}));
    ASSERT_EQ(hooks_->requests().size(), 1U) << "delivered once, not once per refused attempt";
    EXPECT_EQ(hooks_->requests()[0].headers.at("idempotency-key").rfind("RWJ#1/", 0), 0U);
    EXPECT_EQ(notifyd_->metrics()
                  .value("opel_notifyd_messages", {{"state", "retrying"}, {"kind", "webhook"}})
                  .value_or(0.0),
              0.0);
}

TEST_F(NotifydTest, AStalledReceiverTimesOutAndIsRetried) {
    configure(simple_routing());
    start_escalator();
    start_notifyd();
    hooks_->set_mode(R"({"mode":"stall","count":1})");
    submit(opel4("RWJ", at(-100)));
    const std::vector<Request> hooks =
        await([](const std::vector<Request>& r) { return answered(r, 200) >= 1; }, 30s);
    ASSERT_GE(hooks.size(), 2U);
    EXPECT_FALSE(hooks[0].status.has_value());  // held until notifyd's 2 s timeout
    EXPECT_EQ(answered(hooks, 200), 1U);
}

TEST_F(NotifydTest, WhatWasPublishedWhileItWasDownIsDeliveredAfterItsRestart) {
    configure(simple_routing());
    start_escalator();
    start_notifyd();
    ASSERT_EQ(notifyd_->stop(), 0);
    submit(opel4("RWJ", at(-100)));  // nobody is listening
    start_notifyd();                 // catches up from the escalator's store
    const std::vector<Request> hooks = hooks_->wait_for(1, 20s);
    ASSERT_EQ(hooks.size(), 1U);
    EXPECT_EQ(hooks[0].headers.at("idempotency-key").rfind("RWJ#1/", 0), 0U);
}

// kill -9 at a random moment of a burst, twenty times: every delivery arrives, and any
// repeat (a crash between the receiver's answer and the commit recording it) carries the
// same idempotency key and the same bytes.
TEST_F(NotifydTest, Kill9DuringABurstLosesNothingAndRepeatsOnlyWithTheSameKey) {
    configure(simple_routing(), 0);
    start_escalator();
    start_notifyd();
    std::mt19937 random(std::random_device{}());
    for (int trial = 0; trial < 20; ++trial) {
        // Each trial takes RWJ and RMC up to OPEL 4 and back down: two transitions each.
        const int minutes = -1400 + 50 * trial;
        std::thread burst([&, minutes] {
            for (const char* site : {"RWJ", "RMC"}) {
                submit(opel4(site, at(minutes)));
                stand_down(site, minutes + 10);
            }
        });
        std::this_thread::sleep_for(std::chrono::milliseconds(random() % 40));  // the crash moment
        notifyd_->kill9();
        burst.join();
        start_notifyd();
    }
    // Every transition the escalator published (its own store says which) reached the
    // receiver with a success answer.
    std::set<std::string> expected;
    v1::QueryRequest query;
    query.mutable_publications()->set_after_sequence(0);
    ASSERT_TRUE(feed::query_pages(context_, escalator_->query_endpoint(), query, 10s,
                                  [&](const v1::QueryReply& reply) {
                                      for (const v1::Publication& p : reply.publications()) {
                                          if (p.has_alert()) {
                                              expected.insert(p.alert().transition_id());
                                          }
                                      }
                                      return true;
                                  }));
    ASSERT_GE(expected.size(), 20U);
    // The transitions the receiver has answered success for (a message lists one or more).
    const auto delivered = [&expected](const std::vector<Request>& r) {
        std::set<std::string> out;
        for (const Request& q : r) {
            for (const std::string& t : expected) {
                if (q.status == 200 &&
                    q.body.find("\"transition_id\":\"" + t + "\"") != std::string::npos) {
                    out.insert(t);
                }
            }
        }
        return out;
    };
    const auto all_sent = [&](const std::vector<Request>& r) {
        return delivered(r).size() == expected.size();
    };
    const std::vector<Request> hooks = await(all_sent, 60s);
    const std::set<std::string> got = delivered(hooks);
    for (const std::string& t : expected) {
        EXPECT_TRUE(got.count(t) != 0) << t << " never arrived";
    }
    std::map<std::string, std::string> body_of;
    std::size_t repeats = 0;
    for (const Request& r : hooks) {
        const std::string key = r.headers.at("idempotency-key");
        const auto [it, first] = body_of.emplace(key, r.body);
        if (!first) {
            ++repeats;
            EXPECT_EQ(it->second, r.body) << "a repeat of " << key << " differs";
        }
    }
    std::cerr << "kill -9 x20: " << expected.size() << " transitions, " << hooks.size()
              << " requests, " << body_of.size() << " keys, " << repeats << " repeats\n";
}

TEST_F(NotifydTest, UnacknowledgedEscalationsAreRemindedAndEscalatedOnTheStreamClock) {
    configure("groups { name: \"locality\" webhooks: \"" + hooks_->url("/locality") +
              "\" }\ngroups { name: \"director\" webhooks: \"" + hooks_->url("/director") +
              "\" }\nroutes { name: \"stockport\" subtree: \"RWJ\" kinds: \"escalated\" "
              "kinds: \"known\" groups: \"locality\"\n  escalation { remind_every_minutes: 10 "
              "steps { after_minutes: 25 groups: \"director\" } } }\n");
    // The escalator's clock runs 300x: ten minutes of feed time pass in two seconds.
    start_escalator({"--clock-rate", "300"});
    start_notifyd({"--clock", "stream"});
    // Subscribed now: the first follow-up is ten feed minutes (two seconds) away.
    net::Subscriber alerts(context_, escalator_->publish_endpoint(), {"alert/"});
    submit(opel4("RWJ", at(0)));
    const auto paths = [](const std::vector<Request>& r) {
        std::map<std::string, std::vector<std::string>> out;
        for (const Request& q : r) {
            out[q.path].push_back(q.headers.at("idempotency-key"));
        }
        return out;
    };
    const std::vector<Request> hooks =
        await([&](const std::vector<Request>& r) { return paths(r).count("/director") != 0; }, 30s);
    const auto by_path = paths(hooks);
    ASSERT_EQ(by_path.count("/director"), 1U) << "the director was never told";
    EXPECT_EQ(by_path.at("/director")[0].rfind("RWJ#1/step-1/", 0), 0U);
    const std::vector<std::string>& locality = by_path.at("/locality");
    ASSERT_GE(locality.size(), 3U);  // the escalation and two reminders before 25 minutes
    EXPECT_EQ(locality[0].rfind("RWJ#1/webhook-", 0), 0U);
    EXPECT_EQ(locality[1].rfind("RWJ#1/reminder-1/", 0), 0U);
    EXPECT_EQ(locality[2].rfind("RWJ#1/reminder-2/", 0), 0U);
    const auto director = std::find_if(hooks.begin(), hooks.end(),
                                       [](const Request& r) { return r.path == "/director"; });
    EXPECT_NE(director->body.find("Not acknowledged after 25 min"), std::string::npos);

    // Each follow-up is on the feed too: the escalator took notifyd's report and published
    // an `unacknowledged` event on the node's alert topic (SPEC §5).
    std::vector<v1::Event> reported;
    const auto feed_deadline = std::chrono::steady_clock::now() + 20s;
    while (std::none_of(reported.begin(), reported.end(),
                        [](const v1::Event& e) {
                            return e.unacknowledged().follow_up() == v1::FOLLOW_UP_KIND_STEP;
                        }) &&
           std::chrono::steady_clock::now() < feed_deadline) {
        auto message = alerts.receive(1s);
        v1::Publication p;
        if (message && p.ParseFromString(message->second) &&
            p.alert().kind() == v1::EVENT_KIND_UNACKNOWLEDGED) {
            EXPECT_EQ(message->first, "alert/national/QOP/stockport/RWJ");
            reported.push_back(p.alert());
        }
    }
    ASSERT_GE(reported.size(), 3U) << "two reminders and the step reported on the feed";
    EXPECT_EQ(reported[0].transition_id(), "RWJ#1");
    EXPECT_EQ(reported[0].by(), "opel-notifyd");
    EXPECT_EQ(reported[0].unacknowledged().route(), "stockport");
    EXPECT_EQ(reported[0].unacknowledged().follow_up(), v1::FOLLOW_UP_KIND_REMINDER);
    EXPECT_EQ(reported[0].unacknowledged().number(), 1U);
    EXPECT_EQ(reported[0].unacknowledged().groups(0), "locality");
    EXPECT_EQ(reported[0].unacknowledged().open_since().seconds(),
              opel::parse_rfc3339(at(0))->time_since_epoch().count());
    EXPECT_EQ(reported.back().unacknowledged().groups(0), "director");
    EXPECT_EQ(reported.back().to(), v1::STATUS_OPEL_4);

    acknowledge("RWJ#1", "Jane Smith");
    ASSERT_TRUE(notifyd_->wait_metric("opel_notifyd_escalations_closed_total", 1, 20s));
    EXPECT_EQ(notifyd_->metrics().value("opel_notifyd_open_escalations"), 0.0);
    // Twenty more minutes of feed time: no reminder follows an acknowledgement.
    const double policy = *notifyd_->metrics().value("opel_notifyd_policy_time_seconds");
    ASSERT_TRUE(notifyd_->wait_metric("opel_notifyd_policy_time_seconds", policy + 20 * 60, 20s));
    const std::size_t before = hooks_->requests().size();
    EXPECT_EQ(notifyd_->metrics().value("opel_notifyd_open_escalations"), 0.0);
    EXPECT_EQ(hooks_->requests().size(), before);
    for (const Request& r : hooks_->requests()) {
        EXPECT_EQ(r.headers.at("idempotency-key").find("reminder-9"), std::string::npos);
    }
}

TEST_F(NotifydTest, ASilenceKeepsItsSubtreeQuietAndCountsIt) {
    configure(simple_routing() +
              "silences { subtree: \"RWJ\" reason: \"BI server migration\" author: \"J. Smith\" "
              "ends_at: \"2099-01-01T00:00:00Z\" }\n");
    start_escalator();
    start_notifyd();
    submit(opel4("RWJ", at(-100)));
    const std::vector<Request> hooks = hooks_->wait_for(1, 20s);
    ASSERT_EQ(hooks.size(), 1U);
    EXPECT_EQ(hooks[0].body.find("\"node_id\":\"RWJ\""), std::string::npos) << hooks[0].body;
    EXPECT_NE(hooks[0].body.find("\"node_id\":\"stockport\""), std::string::npos);
    EXPECT_GE(notifyd_->metrics().value("opel_notifyd_silenced_total").value_or(0), 1.0);
}

TEST_F(NotifydTest, AConfigurationWithAnUnknownGroupIsRefusedWithItsLine) {
    configure("groups { name: \"oncall\" webhooks: \"" + hooks_->url("/hook") +
              "\" }\nroutes { name: \"all\"\n  groups: \"on-call\" }\n");
    start_escalator();
    notifyd_ = std::make_unique<Notifyd>(dir_, dir_ / "opel.textproto", *escalator_);
    notifyd_->launch();
    EXPECT_EQ(notifyd_->wait_exit(20s), 1);
    EXPECT_NE(notifyd_->log().find("notify.textproto:3: groups[0]: unknown group 'on-call'"),
              std::string::npos)
        << notifyd_->log();
}

TEST_F(NotifydTest, SighupTakesNewRoutingAndRefusesABadOne) {
    configure(simple_routing());
    start_escalator();
    start_notifyd();
    // A bad routing file is refused and the running routing kept...
    std::ofstream(dir_ / "notify.textproto") << "routes { name: \"r\" groups: \"nobody\" }\n";
    EXPECT_FALSE(notifyd_->reload());
    EXPECT_NE(notifyd_->log().find("unknown group 'nobody'"), std::string::npos);
    // ...and a good one is taken: alerts now go to the new path.
    std::ofstream(dir_ / "notify.textproto")
        << "groups { name: \"g\" webhooks: \"" << hooks_->url("/reloaded") << "\" }\n"
        << "routes { name: \"r\" groups: \"g\" }\n";
    ASSERT_TRUE(notifyd_->reload());
    submit(opel4("RWJ", at(-100)));
    const std::vector<Request> hooks = hooks_->wait_for(1, 20s);
    ASSERT_EQ(hooks.size(), 1U);
    EXPECT_EQ(hooks[0].path, "/reloaded");
}

TEST_F(NotifydTest, ARefusedRecipientFailsWithoutRetryAndOthersStillGetIt) {
    configure(
        "groups { name: \"g\" emails: \"nobody@example.nhs.uk\" emails: "
        "\"oncall@example.nhs.uk\" }\nroutes { name: \"all\" groups: \"g\" }\n");
    start_escalator();
    start_notifyd();
    submit(opel4("RWJ", at(-100)));
    const auto mails = mail_->wait_for(1, 20s);
    ASSERT_EQ(mails.size(), 1U);
    EXPECT_EQ(mails[0].rcpt_tos, std::vector<std::string>{"oncall@example.nhs.uk"});
    ASSERT_TRUE(
        notifyd_->wait_metric("opel_notifyd_attempts_total", 1, 20s, {{"outcome", "failed"}}));
    EXPECT_EQ(notifyd_->metrics().value("opel_notifyd_attempts_total", {{"outcome", "retry"}}),
              0.0);
}

}  // namespace
}  // namespace opel

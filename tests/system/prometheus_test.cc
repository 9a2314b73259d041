// System test: a real Prometheus (Debian's package prometheus) scrapes a real opel-escalatord
// every second over loopback, and its query API returns what the daemon counted: the
// submissions by reply status, a site's level with its labels, and each family's type. This
// is what a monitoring deployment sees; the exposition parser in tests/support and promtool
// (escalatord_test.cc) check the format, this checks that a scraper reads the same values.
// Skipped when /usr/bin/prometheus is not installed (tools/dev/test installs it).
#include "support/prometheus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "adapters/net/client.h"
#include "base/time.h"
#include "opel/v1/feed.pb.h"
#include "opel/v1/reply.pb.h"
#include "opel/v1/request.pb.h"
#include "support/daemon.h"
#include "support/test_card.h"

namespace opel {
namespace {

namespace fs = std::filesystem;
namespace pb = google::protobuf;
using namespace std::chrono_literals;

constexpr const char* job = "opel-escalatord";
using testing::at;
using testing::opel1;
using testing::opel4;
using testing::t0;

// The member `key` of a JSON object; null when `v` is not an object or has no such member.
const pb::Value* member(const pb::Value& v, const std::string& key) {
    if (!v.has_struct_value()) {
        return nullptr;
    }
    const auto& fields = v.struct_value().fields();
    const auto it = fields.find(key);
    return it == fields.end() ? nullptr : &it->second;
}

std::string text(const pb::Value* v) { return v != nullptr ? v->string_value() : ""; }

pb::Value object(const pb::Struct& s) {
    pb::Value v;
    *v.mutable_struct_value() = s;
    return v;
}

// One series of an instant query's vector result: its labels and value.
struct Series {
    std::map<std::string, std::string> labels;
    double value = 0;
};

class PrometheusTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!testing::Prometheus::installed()) {
            GTEST_SKIP() << testing::Prometheus::binary
                         << " is not installed: apt-get install prometheus (Debian package; "
                            "tools/dev/test installs it)";
        }
        dir_ = fs::temp_directory_path() /
               ("opel-prometheus-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_ / "daemon");
        fs::create_directories(dir_ / "prometheus");
        daemon_ = std::make_unique<testing::Daemon>(dir_ / "daemon",
                                                    std::vector<std::string>{"--clock-start", t0});
        ASSERT_TRUE(daemon_->start()) << daemon_->log();
        budget_ = std::chrono::steady_clock::now() + 90s;
    }
    void TearDown() override {
        if (prometheus_) {
            prometheus_->stop();
        }
        if (daemon_) {
            daemon_->kill9();
        }
        if (HasFailure()) {
            std::cerr << "daemon log:\n"
                      << (daemon_ ? daemon_->log() : "") << "prometheus log:\n"
                      << (prometheus_ ? prometheus_->log() : "");
        }
        prometheus_.reset();
        daemon_.reset();
        if (!dir_.empty()) {
            std::error_code ignored;
            fs::remove_all(dir_, ignored);
        }
    }

    v1::SubmitReply submit(const v1::Sitrep& s) {
        net::RequestClient client(context_, daemon_->submit_endpoint());
        v1::SubmitRequest request;
        *request.mutable_sitrep() = s;
        auto answer = client.request(request.SerializeAsString(), 10s, 0);
        v1::SubmitReply reply;
        EXPECT_TRUE(answer.has_value()) << (answer ? "" : answer.error().message);
        if (answer) {
            EXPECT_TRUE(reply.ParseFromString(*answer));
        }
        return reply;
    }

    // Polls `probe` every 200 ms until it holds, for at most `timeout` and never past the
    // test's budget.
    bool eventually(const std::function<bool()>& probe, std::chrono::seconds timeout = 60s) {
        const auto deadline = std::min(std::chrono::steady_clock::now() + timeout, budget_);
        while (!probe()) {
            if (std::chrono::steady_clock::now() >= deadline) {
                return false;
            }
            std::this_thread::sleep_for(200ms);
        }
        return true;
    }

    // The active target of `job`, as GET /api/v1/targets reports it; none before the first
    // answer that lists it.
    std::optional<pb::Value> target() {
        const auto reply = prometheus_->api("/api/v1/targets?state=active");
        const pb::Value json = object(reply.value_or(pb::Struct{}));
        const pb::Value* data = member(json, "data");
        const pb::Value* active = data != nullptr ? member(*data, "activeTargets") : nullptr;
        if (active == nullptr) {
            return std::nullopt;
        }
        for (const pb::Value& t : active->list_value().values()) {
            if (text(member(t, "scrapePool")) == job) {
                return t;
            }
        }
        return std::nullopt;
    }

    // Every series of the instant query `promql` (GET /api/v1/query); none when the query
    // failed or did not return a vector.
    std::optional<std::vector<Series>> query(const std::string& promql) {
        const auto reply = prometheus_->api("/api/v1/query?query=" + testing::url_encode(promql));
        const pb::Value json = object(reply.value_or(pb::Struct{}));
        const pb::Value* data = member(json, "data");
        const pb::Value* result = data != nullptr ? member(*data, "result") : nullptr;
        if (text(member(json, "status")) != "success" || result == nullptr ||
            text(member(*data, "resultType")) != "vector") {
            return std::nullopt;
        }
        std::vector<Series> out;
        for (const pb::Value& r : result->list_value().values()) {
            // {"metric": {<label>: <value>, …}, "value": [<unix time>, "<sample value>"]}
            const pb::Value* labels = member(r, "metric");
            const pb::Value* value = member(r, "value");
            if (labels == nullptr || value == nullptr || value->list_value().values_size() != 2) {
                return std::nullopt;
            }
            Series s;
            for (const auto& [k, v] : labels->struct_value().fields()) {
                s.labels[k] = v.string_value();
            }
            s.value = std::stod(value->list_value().values(1).string_value());
            out.push_back(std::move(s));
        }
        return out;
    }

    // The value of `promql`'s one series, polled until it equals `expected` (at most 30 s:
    // the next scrapes); the last value seen, none while there was not exactly one series.
    std::optional<double> wait_value(const std::string& promql, double expected) {
        std::optional<double> seen;
        eventually(
            [&] {
                const auto series = query(promql);
                seen = series && series->size() == 1 ? std::optional(series->front().value)
                                                     : std::nullopt;
                return seen == expected;
            },
            30s);
        return seen;
    }

    // The metric type Prometheus learnt from the scrape (GET /api/v1/metadata), or "".
    std::string type_of(const std::string& family) {
        const auto reply = prometheus_->api("/api/v1/metadata?metric=" + family);
        const pb::Value json = object(reply.value_or(pb::Struct{}));
        const pb::Value* data = member(json, "data");
        const pb::Value* entries = data != nullptr ? member(*data, family) : nullptr;
        if (entries == nullptr || entries->list_value().values_size() == 0) {
            return "";
        }
        return text(member(entries->list_value().values(0), "type"));
    }

    fs::path dir_;
    zmq::context_t context_;
    std::unique_ptr<testing::Daemon> daemon_;
    std::unique_ptr<testing::Prometheus> prometheus_;
    // Every wait ends by then, failing or not, so that a broken scrape fails within CTest's
    // 120 s timeout (teardown included) with the values last seen.
    std::chrono::steady_clock::time_point budget_;
};

TEST_F(PrometheusTest, ScrapesTheDaemonAndQueriesReturnItsCountersAndLevels) {
    // Figures before the first scrape: two accepted OPEL 1 sitreps, a duplicate, a rejection.
    ASSERT_EQ(submit(opel1("RWJ", at(0))).status(), v1::SUBMIT_STATUS_ACCEPTED);
    const v1::SubmitReply first = submit(opel1("RWJ", at(1)));
    ASSERT_EQ(first.status(), v1::SUBMIT_STATUS_ACCEPTED);
    ASSERT_EQ(first.result().status(), v1::STATUS_OPEL_1);
    ASSERT_EQ(submit(opel1("RWJ", at(1))).status(), v1::SUBMIT_STATUS_DUPLICATE);
    ASSERT_EQ(submit(opel1("XYZ", at(1))).status(), v1::SUBMIT_STATUS_REJECTED);

    const auto metrics = daemon_->metrics_address();
    ASSERT_TRUE(metrics) << "no metrics address in the daemon's log";
    prometheus_ = std::make_unique<testing::Prometheus>(dir_ / "prometheus");
    ASSERT_TRUE(prometheus_->start(*metrics, job, 30s)) << prometheus_->log();

    // The target is scraped and healthy (Prometheus applies new targets after up to 5 s).
    std::optional<pb::Value> scraped;
    EXPECT_TRUE(eventually([&] {
        scraped = target();
        return scraped && text(member(*scraped, "health")) == "up";
    })) << "target health: "
        << (scraped ? text(member(*scraped, "health")) +
                          ", last error: " + text(member(*scraped, "lastError"))
                    : "not listed");
    ASSERT_TRUE(scraped);
    EXPECT_EQ(text(member(*scraped, "scrapeUrl")), "http://" + *metrics + "/metrics");
    EXPECT_EQ(text(member(*scraped, "lastError")), "");

    // Queries return the daemon's counters and the site's level.
    const std::string submissions = "opel_escalatord_submissions_total";
    EXPECT_EQ(wait_value(submissions + "{status=\"accepted\"}", 2), 2);
    EXPECT_EQ(wait_value(submissions + "{status=\"duplicate\"}", 1), 1);
    EXPECT_EQ(wait_value(submissions + "{status=\"rejected\"}", 1), 1);
    EXPECT_EQ(wait_value(submissions + "{status=\"late\"}", 0), 0);
    EXPECT_EQ(wait_value("opel_node_level{node=\"RWJ\"}", 1), 1);
    const auto rwj = query("opel_node_level{node=\"RWJ\"}");
    ASSERT_TRUE(rwj && rwj->size() == 1);
    EXPECT_EQ(rwj->front().labels,
              (std::map<std::string, std::string>{{"__name__", "opel_node_level"},
                                                  {"instance", *metrics},
                                                  {"job", job},
                                                  {"kind", "site"},
                                                  {"node", "RWJ"},
                                                  {"path", "national/QOP/stockport/RWJ"}}));
    EXPECT_EQ(wait_value("opel_node_stale{node=\"RWJ\"}", 0), 0);

    // Prometheus follows the daemon from scrape to scrape: an escalation shows up.
    const v1::SubmitReply escalated = submit(opel4("RWJ", at(2)));
    ASSERT_EQ(escalated.status(), v1::SUBMIT_STATUS_ACCEPTED);
    ASSERT_EQ(escalated.result().status(), v1::STATUS_OPEL_4);
    // The level first: 4 only shows once a scrape taken after the submission is in, so the
    // counter is then read from that scrape, not an earlier one.
    EXPECT_EQ(wait_value("opel_node_level{node=\"RWJ\"}", 4), 4);
    EXPECT_EQ(wait_value(submissions + "{status=\"accepted\"}", 3), 3);

    // The TYPE lines were read as the families' types.
    EXPECT_EQ(type_of(submissions), "counter");
    EXPECT_EQ(type_of("opel_node_level"), "gauge");
    EXPECT_EQ(type_of("opel_escalatord_commit_duration_seconds"), "histogram");
}

}  // namespace
}  // namespace opel

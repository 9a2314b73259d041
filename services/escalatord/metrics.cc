#include "escalatord/metrics.h"

#include <prometheus/histogram.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <vector>

#include "adapters/metrics/exposition.h"
#include "escalatord/escalator.h"

namespace opel::escalatord {
namespace {

using metrics::add;
using metrics::ClientMetric;
using metrics::family;
using metrics::MetricFamily;
using metrics::MetricType;
using metrics::number;
using metrics::single;

// The submission counter by reply status, and the other counters of the escalator.
void add_counters(std::vector<MetricFamily>& out, const Escalator& escalator) {
    const Counters& c = escalator.counters();
    MetricFamily submissions =
        family("opel_escalatord_submissions_total",
               "Submit requests answered, by reply status (rejected includes bad framing)",
               MetricType::Counter);
    const std::pair<const char*, std::uint64_t> by_status[] = {{"accepted", c.accepted},
                                                               {"late", c.late},
                                                               {"duplicate", c.duplicate},
                                                               {"rejected", c.rejected},
                                                               {"unavailable", c.unavailable}};
    for (const auto& [status, count] : by_status) {
        add(submissions, number(count), {{"status", status}});
    }
    out.push_back(std::move(submissions));
    out.push_back(single("opel_escalatord_published_total",
                         "Status and alert messages published (heartbeats not included)",
                         MetricType::Counter, number(c.published)));
    out.push_back(single("opel_escalatord_commits_total", "Database transactions committed",
                         MetricType::Counter, number(c.commits)));
    out.push_back(single("opel_escalatord_commit_failures_total",
                         "Database transactions that failed and were rolled back",
                         MetricType::Counter, number(c.commit_failures)));
    out.push_back(single("opel_escalatord_sequence",
                         "The last published (and committed) publisher sequence number",
                         MetricType::Gauge, number(escalator.sequence())));
    MetricFamily epoch =
        family("opel_escalatord_epoch_info",
               "This run's publisher epoch (new at each start), as a label", MetricType::Gauge);
    add(epoch, 1, {{"epoch", std::to_string(escalator.epoch())}});
    out.push_back(std::move(epoch));
    out.push_back(single("opel_escalatord_batches_in_flight",
                         "Batches prepared and not yet answered (waiting for their commit)",
                         MetricType::Gauge, number(escalator.in_flight())));
}

void add_server(std::vector<MetricFamily>& out, const ServerFigures& s) {
    out.push_back(single(
        "opel_escalatord_publish_dropped_total",
        "Messages dropped for at least one subscriber whose queue was full, in total: ZeroMQ "
        "(XPUB) tells neither which subscriber nor how many, so there is no per-subscriber figure",
        MetricType::Counter, number(s.dropped)));
    out.push_back(single("opel_escalatord_replies_undelivered_total",
                         "Submit and snapshot replies a client never got (gone, or not reading)",
                         MetricType::Counter, number(s.undelivered)));
    out.push_back(single("opel_escalatord_subscriptions",
                         "Active topic subscriptions on the publish socket", MetricType::Gauge,
                         number(s.subscriptions)));
    out.push_back(single("opel_escalatord_snapshot_requests_waiting",
                         "Snapshot requests waiting for the batches in flight to commit",
                         MetricType::Gauge, number(s.snapshot_requests_waiting)));
    if (s.zap_admitted && s.zap_refused) {
        MetricFamily zap = family("opel_escalatord_curve_handshakes_total",
                                  "CURVE handshakes the ZAP handler answered, by outcome: refused "
                                  "= a key not on the allow-list (it got no connection)",
                                  MetricType::Counter);
        add(zap, number(*s.zap_admitted), {{"outcome", "admitted"}});
        add(zap, number(*s.zap_refused), {{"outcome", "refused"}});
        out.push_back(std::move(zap));
        out.push_back(single("opel_escalatord_subscriptions_refused_total",
                             "Subscriptions refused: no topic they match is inside the "
                             "subscriber key's subtrees",
                             MetricType::Counter, number(s.subscriptions_refused)));
    }
}

// Every node's level and staleness, and each reporting site's time since its last sitrep.
void add_nodes(std::vector<MetricFamily>& out, const engine::Engine& engine, TimePoint now) {
    MetricFamily level =
        family("opel_node_level",
               "OPEL level 1-4 of each node; 0 while UNKNOWN or STALE (see opel_node_stale)",
               MetricType::Gauge);
    MetricFamily stale =
        family("opel_node_stale", "1 while the node is STALE (its site stopped reporting), else 0",
               MetricType::Gauge);
    MetricFamily age = family("opel_site_seconds_since_sitrep",
                              "Seconds from each site's latest sitrep (its as_at) to the daemon's "
                              "clock; only sites that have reported",
                              MetricType::Gauge);
    const engine::Model& model = engine.model();
    for (engine::NodeIndex i = 0; i < model.node_count(); ++i) {
        const engine::ModelNode& n = model.node(i);
        const engine::Status status = engine.status(i);
        std::vector<ClientMetric::Label> labels = {{"kind", std::string(to_string(n.config.kind))},
                                                   {"node", n.config.id},
                                                   {"path", n.path}};
        add(level, engine::is_level(status) ? engine::level_of(status) : 0, labels);
        add(stale, status == engine::Status::stale ? 1 : 0, labels);
        if (const auto as_at = engine.latest_as_at(i)) {
            add(age, static_cast<double>((now - *as_at).count()),
                {{"node", n.config.id}, {"path", n.path}});
        }
    }
    out.push_back(std::move(level));
    out.push_back(std::move(stale));
    out.push_back(std::move(age));
}

}  // namespace

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
    // Buckets from half a millisecond (a commit on fast storage) to 5 s (a stalled disk).
    commit_seconds_ =
        &prometheus::BuildHistogram()
             .Name("opel_escalatord_commit_duration_seconds")
             .Help(
                 "Time to write and commit each database transaction (its "
                 "fsync included), committed or rolled back")
             .Register(*registry_)
             .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005, 0.01,
                                                              0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5});
}

Metrics::~Metrics() = default;

void Metrics::observe_commit(std::uint64_t ns) { commit_seconds_->Observe(number(ns) / 1e9); }

std::string Metrics::exposition(const Escalator& escalator, const ServerFigures& server,
                                TimePoint now) const {
    std::vector<MetricFamily> families = registry_->Collect();
    add_counters(families, escalator);
    add_server(families, server);
    add_nodes(families, escalator.engine(), now);
    return metrics::serialize(families);
}

}  // namespace opel::escalatord

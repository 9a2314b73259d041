// Building Prometheus metric families from figures a daemon already keeps, read at scrape
// time (prometheus-cpp's types and text serializer), shared by every daemon's /metrics.
#pragma once

#include <prometheus/metric_family.h>

#include <cstdint>
#include <string>
#include <vector>

namespace opel::metrics {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(std::string name, std::string help, MetricType type);
// One sample of a counter or gauge family.
void add(MetricFamily& f, double value, std::vector<ClientMetric::Label> labels = {});
// A family of one unlabelled sample.
MetricFamily single(std::string name, std::string help, MetricType type, double value);
inline double number(std::uint64_t n) { return static_cast<double>(n); }
// The text exposition of `families`.
std::string serialize(const std::vector<MetricFamily>& families);

}  // namespace opel::metrics

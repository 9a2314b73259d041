#include "adapters/metrics/exposition.h"

#include <prometheus/text_serializer.h>

namespace opel::metrics {

MetricFamily family(std::string name, std::string help, MetricType type) {
    MetricFamily f;
    f.name = std::move(name);
    f.help = std::move(help);
    f.type = type;
    return f;
}

void add(MetricFamily& f, double value, std::vector<ClientMetric::Label> labels) {
    ClientMetric m;
    m.label = std::move(labels);
    if (f.type == MetricType::Counter) {
        m.counter.value = value;
    } else {
        m.gauge.value = value;
    }
    f.metric.push_back(std::move(m));
}

MetricFamily single(std::string name, std::string help, MetricType type, double value) {
    MetricFamily f = family(std::move(name), std::move(help), type);
    add(f, value);
    return f;
}

std::string serialize(const std::vector<MetricFamily>& families) {
    return prometheus::TextSerializer().Serialize(families);
}

}  // namespace opel::metrics

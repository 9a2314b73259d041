// Engine cost per sitrep (site result + node roll-up, no I/O) against decoding the same
// sitrep from protobuf (SubmitRequest parse + codec), measured side by side in one run.
// Target (SPEC §8): ratio evaluate / decode <= 1.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <iostream>
#include <map>

#include "adapters/codec/proto.h"
#include "adapters/codec/wire.h"
#include "bench_sitreps.h"
#include "engine/engine.h"
#include "opel/v1/request.pb.h"

namespace {

namespace fs = std::filesystem;
using namespace opel;

constexpr int sites = 100;

engine::EngineConfig load() {
    return bench::load_config(
        bench::write_config(fs::temp_directory_path() / "opel-engine-bench", sites, false));
}

void bm_decode_sitrep(benchmark::State& state) {
    const TimePoint t0 = *parse_rfc3339("2026-01-13T08:00:00Z");
    const std::string bytes = bench::encoded(bench::acute_sitrep(bench::site_id(0), t0, 0.5));
    for ([[maybe_unused]] auto _ : state) {
        v1::SubmitRequest r;
        r.ParseFromString(bytes);
        auto s = codec::from_proto(r.sitrep());
        benchmark::DoNotOptimize(s);
    }
    state.SetLabel(std::to_string(bytes.size()) + " bytes");
}
BENCHMARK(bm_decode_sitrep);

void bm_evaluate_sitrep(benchmark::State& state) {
    engine::Engine engine(load(), engine::EngineOptions{false});
    const TimePoint t0 = *parse_rfc3339("2026-01-13T08:00:00Z");
    // A ring of prepared sitreps: every site, pressures cycling so levels change.
    std::vector<engine::Sitrep> ring;
    ring.reserve(std::size_t{4} * sites);
    for (int k = 0; k < 4 * sites; ++k) {
        const int round = k / sites;
        ring.push_back(
            bench::acute_sitrep(bench::site_id(k % sites), t0, static_cast<double>(round) * 0.3));
    }
    std::size_t i = 0;
    std::int64_t minute = 0;
    for ([[maybe_unused]] auto _ : state) {
        engine::Sitrep& s = ring[i];
        s.as_at = t0 + std::chrono::minutes(minute);
        auto out = engine.submit(s, std::nullopt);
        benchmark::DoNotOptimize(out);
        if (++i == ring.size()) {
            i = 0;
        }
        if (i % sites == 0) {
            ++minute;
        }
    }
}
BENCHMARK(bm_evaluate_sitrep);

// Collects each benchmark's time per iteration so main can print the ratio.
class RatioReporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& r : runs) {
            times_[r.benchmark_name()] = r.GetAdjustedCPUTime();
        }
    }
    std::map<std::string, double> times_;
};

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    RatioReporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    const double decode = reporter.times_["bm_decode_sitrep"];
    const double evaluate = reporter.times_["bm_evaluate_sitrep"];
    if (decode > 0 && evaluate > 0) {
        std::printf(
            "\nRESULT engine: evaluate %.0f ns/sitrep, protobuf decode %.0f ns/sitrep, "
            "ratio %.2f (target <= 1)\n",
            evaluate, decode, evaluate / decode);
    }
    return 0;
}

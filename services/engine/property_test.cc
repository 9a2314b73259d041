// Property tests: invariants over many generated inputs. Seeds are fixed and printed so a
// failure can be reproduced exactly.
#include <gtest/gtest.h>

#include <array>
#include <iomanip>
#include <map>
#include <random>
#include <sstream>

#include "engine/engine.h"
#include "support/engine_fixtures.h"

namespace opel::engine {
namespace {

using opel::testing::at;

constexpr std::uint32_t seeds[] = {1, 7, 42, 2026, 90210};

TEST(ScoreProperty, AWorseValueNeverLowersTheScore) {
    for (const std::uint32_t seed : seeds) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        std::mt19937 rng(seed);
        std::uniform_real_distribution<double> dist(-100, 200);
        for (int i = 0; i < 2000; ++i) {
            std::array<double, 3> t{dist(rng), dist(rng), dist(rng)};
            std::sort(t.begin(), t.end());
            const double v = dist(rng);
            const double worse = v + std::abs(dist(rng));
            EXPECT_LE(score_value(Direction::higher_is_worse, t, v),
                      score_value(Direction::higher_is_worse, t, worse));
            std::reverse(t.begin(), t.end());
            const double lower = v - std::abs(dist(rng));
            EXPECT_LE(score_value(Direction::lower_is_worse, t, v),
                      score_value(Direction::lower_is_worse, t, lower));
        }
    }
}

TEST(LevelProperty, AWorseMeasureNeverLowersTheComputedLevel) {
    EngineConfig config = opel::testing::small_config();
    config.cards[0].floors.push_back({"pa", 4, 3, "", 0});
    const Model model(std::move(config));
    const ActionCard& card = model.cards()[0];
    const std::size_t a = *model.measure_index("a");
    const std::size_t b = *model.measure_index("b");
    for (const std::uint32_t seed : seeds) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        std::mt19937 rng(seed);
        std::uniform_real_distribution<double> dist(0, 100);
        for (int i = 0; i < 2000; ++i) {
            MeasureValues values(model.measures().size());
            values[a] = dist(rng);
            values[b] = dist(rng);
            const CardEvaluation base = evaluate_card(card, values, {}, at("2026-01-06T08:00:00Z"));
            MeasureValues worse = values;
            if (i % 2 == 0) {
                worse[a] = *values[a] + dist(rng);  // a: higher is worse
            } else {
                worse[b] = *values[b] - dist(rng);  // b: lower is worse
            }
            const CardEvaluation after = evaluate_card(card, worse, {}, at("2026-01-06T08:00:00Z"));
            EXPECT_LE(base.total, after.total);
            EXPECT_LE(base.level, after.level);
        }
    }
}

// A random but valid stream of sitreps for the small config, in as_at order.
std::vector<Sitrep> random_stream(std::uint32_t seed, int count) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> site(0, 2);
    std::uniform_int_distribution<int> minutes(0, 70);
    std::uniform_real_distribution<double> value(0, 100);
    std::bernoulli_distribution missing(0.1);
    std::vector<Sitrep> out;
    TimePoint t = at("2026-01-06T08:00:00Z");
    for (int i = 0; i < count; ++i) {
        t += std::chrono::minutes{minutes(rng)};
        Sitrep s;
        const int which = site(rng);
        s.site_id = which == 0 ? "S1" : which == 1 ? "S2" : "S3";
        s.as_at = t;
        if (which == 2) {
            s.measures.emplace("c", value(rng));
        } else {
            if (!missing(rng)) {
                s.measures.emplace("a", value(rng));
            }
            s.measures.emplace("b", value(rng));
        }
        out.push_back(std::move(s));
    }
    return out;
}

// Every number to the last bit (17 significant digits), pillars included.
std::string describe(const NodeResult& r) {
    std::ostringstream out;
    out << std::setprecision(17) << r.node_id << ' ' << static_cast<int>(r.status) << ' ' << r.total
        << ' ' << r.normalised << ' ' << r.transition_number << ' ' << r.decided_by;
    for (const PillarResult& p : r.pillars) {
        out << " pillar " << static_cast<int>(p.provider_type) << ' ' << static_cast<int>(p.status)
            << ' ' << p.normalised << ' ' << p.coverage_percent;
    }
    return out.str();
}

struct RunOptions {
    bool twice = false;             // submit every sitrep twice (the second is a duplicate)
    std::size_t restart_every = 0;  // rebuild the engine from snapshots every N sitreps
};

// Runs `stream` on the small config with hysteresis and a node margin, and logs every
// result and event, so two runs can be compared line by line.
std::string run(const std::vector<Sitrep>& stream, RunOptions options = {}) {
    const auto make = [] {
        EngineConfig config = opel::testing::small_config();
        config.cards[0].hysteresis = {1, std::chrono::minutes{90}, std::chrono::minutes{20}};
        config.nodes[3].deescalation_margin = 5;
        return std::make_unique<Engine>(std::move(config));
    };
    std::unique_ptr<Engine> engine = make();
    std::ostringstream log;
    for (std::size_t i = 0; i < stream.size(); ++i) {
        if (options.restart_every != 0 && i % options.restart_every == 0) {
            std::unique_ptr<Engine> next = make();
            for (NodeIndex n = 0; n < engine->model().node_count(); ++n) {
                next->restore(n, engine->snapshot(n));
            }
            next->restore_now(engine->now());
            engine = std::move(next);
        }
        for (int k = 0; k < (options.twice ? 2 : 1); ++k) {
            const SubmitOutcome out = engine->submit(stream[i], std::nullopt);
            if (out.status == SubmitStatus::duplicate) {
                EXPECT_TRUE(out.events.empty());
                continue;
            }
            for (const NodeResult& r : out.results) {
                log << describe(r) << '\n';
            }
            for (const Event& e : out.events) {
                log << to_string(e.kind) << ' ' << e.transition_id << '\n';
            }
        }
    }
    return log.str();
}

TEST(StreamProperty, SameStreamGivesIdenticalResults) {
    for (const std::uint32_t seed : seeds) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        const auto stream = random_stream(seed, 300);
        EXPECT_EQ(run(stream), run(stream));
    }
}

TEST(StreamProperty, ResubmittingEverySitrepChangesNothing) {
    for (const std::uint32_t seed : seeds) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        const auto stream = random_stream(seed, 300);
        EXPECT_EQ(run(stream), run(stream, {.twice = true}));
    }
}

TEST(StreamProperty, RestartFromSnapshotsEqualsNoRestart) {
    for (const std::uint32_t seed : seeds) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        const auto stream = random_stream(seed, 300);
        EXPECT_EQ(run(stream), run(stream, {.restart_every = 7}));
    }
}

// The ICS's pillars, which it re-sums only where a site changed, always equal the weighted
// means taken afresh over the sites' current results.
TEST(StreamProperty, PillarsEqualAFreshSumOverTheSitesAfterEverySitrep) {
    for (const std::uint32_t seed : seeds) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        Engine engine(opel::testing::small_config());
        const Model& model = engine.model();
        const NodeIndex ics = *model.find_node("ICS");
        int checked = 0;
        for (const Sitrep& s : random_stream(seed, 300)) {
            engine.submit(s, std::nullopt);
            // Now and then let time pass far enough for every site to go stale and back.
            if (checked % 50 == 49) {
                engine.advance_to(*s.as_at + std::chrono::hours(12));
            }
            std::map<ProviderType, std::array<double, 3>> fresh;  // all, included, weighted
            for (NodeIndex n = 0; n < model.node_count(); ++n) {
                const NodeConfig& c = model.node(n).config;
                if (c.kind != NodeKind::site) {
                    continue;
                }
                const NodeResult site = engine.result(n);
                auto& sum = fresh[c.provider_type];
                sum[0] += c.weight;
                if (is_level(site.status)) {
                    sum[1] += c.weight;
                    sum[2] += c.weight * site.normalised;
                }
            }
            const NodeResult r = engine.result(ics);
            ASSERT_EQ(r.pillars.size(), fresh.size());
            for (const PillarResult& p : r.pillars) {
                const auto& sum = fresh.at(p.provider_type);
                EXPECT_NEAR(p.coverage_percent, 100 * sum[1] / sum[0], 1e-9);
                if (sum[1] > 0) {
                    EXPECT_NEAR(p.normalised, sum[2] / sum[1], 1e-9);
                }
            }
            ++checked;
            if (HasFailure()) {
                return;
            }
        }
    }
}

TEST(StreamProperty, TransitionIdsAreConsecutivePerNode) {
    for (const std::uint32_t seed : seeds) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        Engine engine(opel::testing::small_config());
        std::map<std::string, std::uint64_t> last;
        for (const Sitrep& s : random_stream(seed, 300)) {
            for (const Event& e : engine.submit(s, std::nullopt).events) {
                if (e.transition_id.empty()) {
                    continue;
                }
                const std::uint64_t n = ++last[e.node_id];
                EXPECT_EQ(e.transition_id, e.node_id + "#" + std::to_string(n));
                EXPECT_NE(e.from, e.to);
            }
        }
    }
}

}  // namespace
}  // namespace opel::engine

// opel simulate: realistic synthetic sitreps for every acute site of the configured tree,
// submitted through the real submit endpoint (or printed with --dry-run).
//
// The model: each site has a baseline pressure (seeded); pressure follows the day (quiet
// overnight, a morning surge, handovers lengthening through the afternoon and evening);
// no-criteria-to-reside creeps up day by day; one site (RWJ by default, --hot-site) is
// pushed to OPEL 4 from four hours in and recovers over the next day; one site (RMP by
// default, --silent-site) stops reporting from six to fourteen hours in, long enough to go
// STALE, then comes back. Figures are internally consistent (parts never exceed wholes).
#include <algorithm>
#include <cmath>
#include <iostream>
#include <random>
#include <thread>
#include <zmq.hpp>

#include "adapters/clock/real_clock.h"
#include "adapters/codec/client.h"
#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "adapters/net/client.h"
#include "cli.h"
#include "engine/model.h"
#include "opel/v1/request.pb.h"

namespace opel::cli {
namespace {

constexpr const char* help =
    R"(usage: opel simulate [--speed R] [--days D] [--seed S] [--start TIME] [options]

Generates realistic synthetic sitreps for every acute site in the configured tree and
submits them through opel-escalatord's submit endpoint, pacing them on a clock that runs
R times faster than real time from TIME. Start the daemon with the same clock
(opel-escalatord --clock-rate R --clock-start TIME) so its staleness matches.

  --speed R                 simulated seconds per real second (default 1)
  --start TIME              simulated start, RFC 3339 (default: now, whole minute)
  --days D                  how long to simulate (default 1)
  --seed S                  random seed; the same seed gives the same sitreps (default 1)
  --interval-minutes M      how often each site reports (default 120)
  --hot-site ID             the site pushed to OPEL 4 and back (default RWJ)
  --silent-site ID          the site that stops reporting for 8 hours (default RMP)
  --dry-run                 print the sitreps as JSON lines instead of sending them
  --quiet                   no progress lines
  --submit-endpoint EP      default $OPEL_SUBMIT_ENDPOINT, else the configuration
  --curve-public-key FILE   with escalatord.curve: this client's key pair (opel keygen),
  --curve-secret-key FILE   default $OPEL_CURVE_PUBLIC_KEY / $OPEL_CURVE_SECRET_KEY
  --curve-server-key FILE   the escalator's public key (default: escalatord.curve's)
  --config DIR|FILE         configuration: the tree, and the endpoint

Exit 0 when every sitrep was accepted; 1 if any was rejected or unanswered.
)";

double clamp01(double x) { return std::clamp(x, 0.0, 1.0); }

// Pressure of the day at `hour` (0-24): quiet overnight, surge through the morning, the
// afternoon and evening peak, easing towards midnight.
double day_curve(double hour) {
    if (hour < 7) {
        return 0.05;
    }
    if (hour < 14) {
        return 0.05 + 0.95 * (hour - 7) / 7;
    }
    if (hour < 20) {
        return 1.0;
    }
    return 1.0 - 0.8 * (hour - 20) / 4;
}

struct SiteModel {
    std::string id;
    double beds = 300;  // G&A beds (the site's weight in the tree)
    double baseline = 0.25;
};

// The extra pressure on the hot site `elapsed` hours into the simulation.
double hot_boost(double elapsed) {
    if (elapsed < 4) {
        return 0;
    }
    if (elapsed < 10) {
        return 0.75 * (elapsed - 4) / 6;
    }
    if (elapsed < 20) {
        return 0.75;
    }
    if (elapsed < 36) {
        return 0.75 * (36 - elapsed) / 16;
    }
    return 0;
}

engine::Sitrep generate(const SiteModel& site, TimePoint at, double elapsed_hours, bool hot,
                        std::mt19937& rng) {
    std::normal_distribution<double> noise(0, 0.04);
    const auto day = std::chrono::floor<std::chrono::days>(at);
    const double hour = std::chrono::duration<double, std::ratio<3600>>(at - day).count();
    const double since_midnight = std::max(hour, 1.0);
    const double p = std::clamp(
        site.baseline + 0.25 * day_curve(hour) + (hot ? hot_boost(elapsed_hours) : 0) + noise(rng),
        0.0, 1.3);
    const double beds = site.beds;
    const auto count = [](double x) { return std::max(0.0, std::round(x)); };

    engine::Sitrep s;
    s.site_id = site.id;
    s.as_at = at;
    auto& m = s.measures;
    const double arrivals = count(beds / 110 * since_midnight);
    const double lengthening = 0.6 + 0.4 * std::min(since_midnight, 16.0) / 16;
    m["ambulance_arrivals"] = arrivals;
    m["ambulance_handover_mean_minutes"] = std::round((12 + 60 * p * lengthening) * 10) / 10;
    const double over30 = std::min(arrivals, count(arrivals * clamp01(p - 0.2) * 0.7));
    m["ambulance_handovers_over_30"] = over30;
    m["ambulance_handovers_over_60"] = std::min(over30, count(over30 * clamp01(p - 0.4) * 1.2));
    m["ambulances_waiting"] = count(7 * p);
    const double expected = std::round(beds / 4 * since_midnight / 24 * 10) / 10;
    const double attendances = count(expected * (0.96 + 0.26 * p));
    m["ed_attendances_expected"] = expected;
    m["ed_attendances"] = attendances;
    m["ed_within_4_hours"] = std::min(attendances, count(attendances * (0.93 - 0.32 * p)));
    const double in_department = count(beds / 8 * (0.6 + 0.8 * p));
    m["ed_patients_in_department"] = in_department;
    m["ed_patients_over_12_hours"] =
        std::min(in_department, count(in_department * (0.01 + 0.13 * clamp01(p - 0.2))));
    m["ed_patients_referred"] = std::min(in_department, count(in_department * (0.16 + 0.42 * p)));
    m["ed_median_time_to_treatment_minutes"] = count(42 + 95 * p);
    const double majors = std::max(4.0, count(beds / 18));
    m["ed_majors_resus_capacity"] = majors;
    m["ed_majors_resus_occupied"] = count(majors * (0.72 + 0.6 * p));
    const double escalation = count(beds * 0.11 * clamp01(p - 0.15));
    m["ga_beds_open_core"] = beds;
    m["ga_beds_open_escalation"] = escalation;
    const double occupied = count((beds + escalation) * std::min(0.99, 0.86 + 0.12 * p));
    m["ga_beds_occupied"] = occupied;
    m["nctr_patients"] =
        std::min(occupied, count(occupied * (0.08 + 0.12 * p + 0.008 * elapsed_hours / 24)));
    const double cc_open = std::max(4.0, count(beds / 35));
    m["critical_care_beds_open"] = cc_open;
    m["critical_care_beds_occupied"] = std::min(cc_open, count(cc_open * (0.7 + 0.3 * p)));
    return s;
}

struct Flags {
    std::optional<std::string> config;
    options::Endpoints endpoints;
    double speed = 1;
    std::optional<TimePoint> start;  // none: now, whole minute
    long days = 1;
    long seed = 1;
    long interval_minutes = 120;
    std::string hot_site = "RWJ";
    std::string silent_site = "RMP";
    bool dry_run = false;
    bool quiet = false;
};

Result<Flags, options::Stop> parse_flags(const std::vector<std::string>& argv) {
    Flags f;
    std::optional<long> speed, days, seed, interval;
    std::optional<std::string> hot, silent;
    options::CommandLine cl("opel simulate", help);
    cl.config(f.config);
    cl.endpoints(f.endpoints);
    cl.curve_keys(f.endpoints);
    cl.whole("--speed", speed, {1, 100000, ""});
    cl.time("--start", f.start);
    cl.whole("--days", days, {1, 3660, "days"});
    cl.whole("--seed", seed, {1, 4294967295, ""});
    cl.whole("--interval-minutes", interval, {1, 1440, "minutes"});
    cl.text("--hot-site", hot);
    cl.text("--silent-site", silent);
    cl.flag("--dry-run", f.dry_run);
    cl.flag("--quiet", f.quiet);
    if (auto stop = cl.parse(argv)) {
        return unexpected(std::move(*stop));
    }
    f.speed = static_cast<double>(speed.value_or(1));
    f.days = days.value_or(f.days);
    f.seed = seed.value_or(f.seed);
    f.interval_minutes = interval.value_or(f.interval_minutes);
    f.hot_site = hot.value_or(f.hot_site);
    f.silent_site = silent.value_or(f.silent_site);
    f.quiet = f.quiet || f.dry_run;
    return f;
}

// Every acute site of the tree with its seeded baseline pressure.
std::vector<SiteModel> acute_sites(const engine::EngineConfig& config, long seed) {
    std::vector<SiteModel> sites;
    for (const engine::NodeConfig& n : config.nodes) {
        if (n.kind == engine::NodeKind::site && n.provider_type == engine::ProviderType::acute) {
            std::mt19937 rng(static_cast<std::uint32_t>(seed) ^
                             static_cast<std::uint32_t>(std::hash<std::string>{}(n.id)));
            sites.push_back(
                {n.id, n.weight, std::uniform_real_distribution<double>(0.1, 0.3)(rng)});
        }
    }
    return sites;
}

// Generates every site's sitreps round by round on a clock `speed` times real time, and
// submits them (or prints them for --dry-run). Lives on main's thread for one run.
class Simulation {
public:
    Simulation(const Flags& flags, TimePoint start, std::vector<SiteModel> sites,
               net::RequestClient* client)
        : flags_(flags),
          start_(start),
          clock_(start, flags.speed),
          sites_(std::move(sites)),
          client_(client),
          rng_(static_cast<std::uint32_t>(flags.seed)) {}

    // Runs every round; the exit code.
    int run() {
        const Duration step = std::chrono::minutes(flags_.interval_minutes);
        const TimePoint end = start_ + std::chrono::days(flags_.days);
        for (TimePoint t = start_ + step; t <= end; t += step) {
            if (client_ != nullptr) {
                wait_until(t);
            }
            const std::string line = round(t);
            if (!flags_.quiet) {
                std::cout << "simulate " << format_london(t) << line << '\n' << std::flush;
            }
        }
        if (!flags_.quiet) {
            std::cout << "simulate: " << sent_ << " sitreps sent, " << failures_ << " failed\n";
        }
        return failures_ > 0 ? exit_failed : exit_ok;
    }

private:
    // Paces on the simulated clock: the round is due at t.
    void wait_until(TimePoint t) const {
        while (clock_.now() < t) {
            std::this_thread::sleep_for(
                std::min(clock_.real_wait(t - clock_.now()), std::chrono::milliseconds(500)));
        }
    }

    // One round at t: every reporting site's sitrep; the progress line's levels.
    std::string round(TimePoint t) {
        const double elapsed = std::chrono::duration<double, std::ratio<3600>>(t - start_).count();
        std::string line;
        for (const SiteModel& site : sites_) {
            if (site.id == flags_.silent_site && elapsed > 6 && elapsed <= 14) {
                continue;  // the silent site is not reporting
            }
            const v1::Sitrep wire =
                codec::to_proto(generate(site, t, elapsed, site.id == flags_.hot_site, rng_));
            if (client_ == nullptr) {
                std::cout << codec::to_json(wire) << '\n';
            } else {
                line += send(wire, t);
            }
        }
        return line;
    }

    // Submits one sitrep; " ID:LEVEL" for the progress line, "" after printing a failure.
    std::string send(const v1::Sitrep& wire, TimePoint t) {
        v1::SubmitRequest request;
        *request.mutable_sitrep() = wire;
        auto answer =
            client_->request(request.SerializeAsString(), std::chrono::milliseconds(5000), 3);
        const auto read =
            answer ? codec::read_reply(*answer)
                   : Result<v1::SubmitReply, std::string>(unexpected(answer.error().message));
        if (!read) {
            ++failures_;
            std::cerr << "opel simulate: " << wire.site_id() << ": " << read.error() << '\n';
            return "";
        }
        const v1::SubmitReply& reply = *read;
        ++sent_;
        if (reply.status() != v1::SUBMIT_STATUS_ACCEPTED &&
            reply.status() != v1::SUBMIT_STATUS_DUPLICATE) {
            ++failures_;
            std::cerr << "opel simulate: " << wire.site_id() << " " << format_utc(t) << ": "
                      << v1::SubmitStatus_Name(reply.status()) << " "
                      << (reply.errors_size() > 0 ? reply.errors(0).message() : reply.message())
                      << '\n';
            return "";
        }
        return " " + wire.site_id() + ":" +
               std::string(engine::to_string(codec::from_proto(reply.result().status())))
                   .substr(0, 6);
    }

    const Flags& flags_;
    TimePoint start_;
    ScaledClock clock_;
    std::vector<SiteModel> sites_;
    net::RequestClient* client_;  // null: --dry-run
    std::mt19937 rng_;
    int sent_ = 0;
    int failures_ = 0;
};

}  // namespace

int simulate_main(const std::vector<std::string>& argv) {
    const auto flags = parse_flags(argv);
    if (!flags) {
        return options::report(flags.error(), std::cout, std::cerr);
    }
    const TimePoint start =
        flags->start.value_or(std::chrono::floor<std::chrono::minutes>(SystemClock().now()));
    auto loaded = load_config_or_report(options::config_path(flags->config), std::cerr);
    if (!loaded) {
        return exit_failed;
    }
    std::vector<SiteModel> sites = acute_sites(loaded->engine, flags->seed);
    zmq::context_t context;
    std::optional<net::RequestClient> client;
    if (!flags->dry_run) {
        const auto eps = endpoints(flags->endpoints, flags->config, std::cerr);
        if (!eps) {
            return exit_failed;
        }
        client.emplace(context, eps->submit, eps->curve);
    }
    Simulation simulation(*flags, start, std::move(sites), client ? &*client : nullptr);
    return simulation.run();
}

}  // namespace opel::cli

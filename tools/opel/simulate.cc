// opel simulate: realistic synthetic sitreps for every site of the configured tree (acute,
// community, mental health, NHS 111, paediatric, each with its card's measures), submitted
// through the real submit endpoint (or printed with --dry-run).
//
// The model: each site has a baseline pressure (seeded); pressure follows the day (quiet
// overnight, a morning surge, handovers lengthening through the afternoon and evening);
// no-criteria-to-reside creeps up day by day; the hot sites (RWJ, RXV and R0A-RCH by
// default, --hot-site: an acute, a mental health and a paediatric escalation) are pushed to
// OPEL 4 from four hours in and recover over the next day; one site (RMP by default,
// --silent-site) stops reporting from six to fourteen hours in, long enough to go STALE,
// then comes back. Figures are internally consistent (parts never exceed wholes).
#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
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

Generates realistic synthetic sitreps for every site in the configured tree (each
provider type with its own measures) and submits them through opel-escalatord's submit endpoint, pacing them on a clock that runs
R times faster than real time from TIME. Start the daemon with the same clock
(opel-escalatord --clock-rate R --clock-start TIME) so its staleness matches.

  --speed R                 simulated seconds per real second (default 1)
  --start TIME              simulated start, RFC 3339 (default: now, whole minute)
  --days D                  how long to simulate (default 1)
  --seed S                  random seed; the same seed gives the same sitreps (default 1)
  --interval-minutes M      how often each site reports (default 120)
  --hot-site ID             a site pushed to OPEL 4 and back; repeat for more
                            (default RWJ, RXV and R0A-RCH)
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
    engine::ProviderType type = engine::ProviderType::acute;
    double beds = 300;  // the site's weight in the tree (G&A beds for acute sites)
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

double count(double x) { return std::max(0.0, std::round(x)); }
double tenths(double x) { return std::round(x * 10) / 10; }

// The measures of each provider type's card at pressure `p` (0 calm .. 1.3 overwhelmed).
// `size` is the site's weight; `since_midnight` in hours (at least 1).
using Measures = std::map<std::string, double, std::less<>>;

void community(Measures& m, double p, double size) {
    const double beds = std::max(10.0, count(size / 2));
    m["community_beds_open"] = beds;
    m["community_beds_occupied"] = std::min(beds, count(beds * (0.8 + 0.2 * p)));
    const double capacity = std::max(4.0, count(size / 5));
    m["d2a_p1_capacity"] = count(capacity * 0.7);
    m["d2a_p2_capacity"] = count(capacity * 0.2);
    m["d2a_p3_capacity"] = std::max(1.0, count(capacity * 0.1));
    const double waiting = capacity * (0.4 + 1.7 * p);
    m["d2a_p1_waiting"] = count(waiting * 0.65);
    m["d2a_p2_waiting"] = count(waiting * 0.25);
    m["d2a_p3_waiting"] = count(waiting * 0.1);
    const double referrals = std::max(5.0, count(size / 6));
    m["ucr_referrals_2_hour"] = referrals;
    m["ucr_within_2_hours"] = std::min(referrals, count(referrals * (0.9 - 0.45 * p)));
    const double wards = std::max(10.0, count(size / 3));
    m["virtual_ward_capacity"] = wards;
    m["virtual_ward_patients"] = count(wards * (0.75 + 0.3 * p));
    m["community_staffing_reduction_percent"] = tenths(5 + 18 * p);
    m["community_caseload_waiting"] = count(size * (0.5 + p));
}

void mental_health(Measures& m, double p, double size) {
    const double beds = count(size * 0.8);
    m["mh_beds_open"] = beds;
    const double occupied = count(beds * (0.84 + 0.2 * p));
    m["mh_beds_occupied"] = occupied;
    m["mh_beds_closed"] = count(3 * p);
    m["mh_s136_empty_spaces"] = std::max(0.0, count(3 - 3.2 * p));
    m["mh_s136_breaches"] = count(5 * std::clamp(p - 0.5, 0.0, 1.0));
    m["mh_patients_waiting_admission"] = count(1 + 11 * p);
    m["mh_patients_fit_for_discharge"] = std::min(occupied, count(occupied * (0.03 + 0.12 * p)));
    m["mh_out_of_area_placements"] = count(12 * std::clamp(p - 0.2, 0.0, 1.0));
    m["mh_patients_waiting_in_ed_over_12_hours"] = count(5 * std::clamp(p - 0.3, 0.0, 1.0));
}

void nhs111(Measures& m, double p, double size, double since_midnight) {
    const double offered = count(size * 0.6 * since_midnight * (0.8 + 0.4 * p));
    m["nhs111_calls_offered"] = offered;
    const double abandoned_percent = tenths(2 + 16 * std::clamp(p - 0.1, 0.0, 1.0));
    m["nhs111_calls_abandoned_percent"] = abandoned_percent;
    const double answered = count(offered * (1 - abandoned_percent / 100));
    m["nhs111_calls_answered"] = answered;
    m["nhs111_calls_answered_within_60s"] = std::min(answered, count(answered * (0.95 - 0.5 * p)));
    m["nhs111_callback_longest_wait_minutes"] = count(20 + 420 * p * p);
    m["nhs111_clinical_queue"] = count(size * (0.05 + 0.7 * p));
}

void paediatric(Measures& m, double p, double size, double since_midnight) {
    const double beds = std::max(10.0, count(size * 0.85));
    m["paediatric_beds_open"] = beds;
    m["paediatric_beds_occupied"] = std::min(beds, count(beds * (0.8 + 0.2 * p)));
    const double picu = std::max(4.0, count(size * 0.07));
    m["picu_hdu_beds_open"] = picu;
    m["picu_hdu_beds_occupied"] = count(picu * (0.7 + 0.35 * p));
    const double in_department = std::max(3.0, count(size / 10 * (0.6 + 0.8 * p)));
    m["paed_ed_in_department"] = in_department;
    const double over4 = std::min(in_department, count(in_department * (0.02 + 0.4 * p)));
    m["paed_ed_over_4_hours"] = over4;
    m["paed_ed_over_12_hours"] = std::min(over4, count(6 * std::clamp(p - 0.45, 0.0, 1.0)));
    m["paed_handovers_over_30"] = count(since_midnight / 24 * 8 * std::clamp(p - 0.2, 0.0, 1.0));
    m["ccn_staffing_reduction_percent"] = tenths(4 + 28 * p);
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

    engine::Sitrep s;
    s.site_id = site.id;
    s.as_at = at;
    auto& m = s.measures;
    switch (site.type) {
        case engine::ProviderType::community:
            community(m, p, beds);
            return s;
        case engine::ProviderType::mental_health:
            mental_health(m, p, beds);
            return s;
        case engine::ProviderType::nhs111:
            nhs111(m, p, beds, since_midnight);
            return s;
        case engine::ProviderType::paediatric:
            paediatric(m, p, beds, since_midnight);
            return s;
        case engine::ProviderType::acute:
        case engine::ProviderType::none:
            break;
    }
    const double arrivals = count(beds / 110 * since_midnight);
    const double lengthening = 0.6 + 0.4 * std::min(since_midnight, 16.0) / 16;
    m["ambulance_arrivals"] = arrivals;
    m["ambulance_handover_mean_minutes"] = tenths(12 + 60 * p * lengthening);
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
    std::vector<std::string> hot_sites;  // none given: RWJ, RXV, R0A-RCH
    std::string silent_site = "RMP";
    bool dry_run = false;
    bool quiet = false;
};

Result<Flags, options::Stop> parse_flags(const std::vector<std::string>& argv) {
    Flags f;
    std::optional<long> speed, days, seed, interval;
    std::optional<std::string> silent;
    options::CommandLine cl("opel simulate", help);
    cl.config(f.config);
    cl.endpoints(f.endpoints);
    cl.curve_keys(f.endpoints);
    cl.whole("--speed", speed, {1, 100000, ""});
    cl.time("--start", f.start);
    cl.whole("--days", days, {1, 3660, "days"});
    cl.whole("--seed", seed, {1, 4294967295, ""});
    cl.whole("--interval-minutes", interval, {1, 1440, "minutes"});
    cl.texts("--hot-site", f.hot_sites);
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
    if (f.hot_sites.empty()) {
        f.hot_sites = {"RWJ", "RXV", "R0A-RCH"};
    }
    f.silent_site = silent.value_or(f.silent_site);
    f.quiet = f.quiet || f.dry_run;
    return f;
}

// Every site of the tree with its seeded baseline pressure.
std::vector<SiteModel> all_sites(const engine::EngineConfig& config, long seed) {
    std::vector<SiteModel> sites;
    for (const engine::NodeConfig& n : config.nodes) {
        if (n.kind == engine::NodeKind::site) {
            std::mt19937 rng(static_cast<std::uint32_t>(seed) ^
                             static_cast<std::uint32_t>(std::hash<std::string>{}(n.id)));
            sites.push_back({n.id, n.provider_type, n.weight,
                             std::uniform_real_distribution<double>(0.1, 0.3)(rng)});
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
                codec::to_proto(generate(site, t, elapsed, is_hot(site.id), rng_));
            if (client_ == nullptr) {
                std::cout << codec::to_json(wire) << '\n';
            } else {
                line += send(wire, t);
            }
        }
        return line;
    }

    bool is_hot(const std::string& id) const {
        return std::find(flags_.hot_sites.begin(), flags_.hot_sites.end(), id) !=
               flags_.hot_sites.end();
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
    std::vector<SiteModel> sites = all_sites(loaded->engine, flags->seed);
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

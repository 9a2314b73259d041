#include "bench_sitreps.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

#include "adapters/codec/proto.h"
#include "adapters/config/loader.h"
#include "opel/v1/request.pb.h"

namespace opel::bench {

engine::Sitrep acute_sitrep(const std::string& site, TimePoint as_at, double p) {
    engine::Sitrep s;
    s.site_id = site;
    s.as_at = as_at;
    const auto r = [](double x) { return std::round(x); };
    auto& m = s.measures;
    m["ambulance_arrivals"] = 60;
    m["ambulance_handover_mean_minutes"] = 10 + 60 * p;
    m["ambulance_handovers_over_30"] = r(40 * p);
    m["ambulance_handovers_over_60"] = r(20 * p);
    m["ambulances_waiting"] = r(8 * p);
    m["ed_attendances_expected"] = 200;
    m["ed_attendances"] = r(200 * (0.95 + 0.3 * p));
    m["ed_within_4_hours"] = r(200 * (0.95 + 0.3 * p) * (0.95 - 0.35 * p));
    m["ed_patients_in_department"] = 80;
    m["ed_patients_over_12_hours"] = r(80 * 0.15 * p);
    m["ed_patients_referred"] = r(80 * (0.15 + 0.45 * p));
    m["ed_median_time_to_treatment_minutes"] = r(45 + 100 * p);
    m["ed_majors_resus_capacity"] = 30;
    m["ed_majors_resus_occupied"] = r(30 * (0.7 + 0.6 * p));
    m["ga_beds_open_core"] = 500;
    m["ga_beds_open_escalation"] = r(60 * p);
    m["ga_beds_occupied"] = r(480 + 60 * p);
    m["nctr_patients"] = r((480 + 60 * p) * (0.08 + 0.15 * p));
    return s;
}

std::string site_id(int i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "S%05d", i);
    return buf;
}

std::filesystem::path write_config(const std::filesystem::path& dir, int sites,
                                   bool no_hysteresis) {
    namespace fs = std::filesystem;
    fs::create_directories(dir);
    const fs::path shipped = fs::path(OPEL_SOURCE_DIR) / "config";
    std::ifstream card_in(shipped / "cards/national-acute.textproto");
    std::stringstream card;
    card << card_in.rdbuf();
    std::string card_text = card.str();
    if (no_hysteresis) {
        card_text = std::regex_replace(card_text, std::regex(R"(hysteresis\s*\{[^}]*\})"), "");
    }
    std::ofstream(dir / "card.textproto") << card_text;
    std::ofstream(dir / "opel.textproto")
        << "catalogue: \"" << (shipped / "catalogue.textproto").string() << "\"\n"
        << "cards: \"card.textproto\"\ntree: \"tree.textproto\"\n";
    std::ofstream tree(dir / "tree.textproto");
    tree << "nodes { id: \"national\" kind: NODE_KIND_NATIONAL aggregation: "
            "AGGREGATION_MAX_LEVEL }\n"
         << "nodes { id: \"region\" kind: NODE_KIND_REGION parent: \"national\" aggregation: "
            "AGGREGATION_MAX_LEVEL }\n";
    const int per_locality = 50;
    const int per_ics = 1000;
    for (int i = 0; i < sites; ++i) {
        const int ics = i / per_ics;
        const int locality = i / per_locality;
        if (i % per_ics == 0) {
            tree << R"(nodes { id: "ICS)" << ics << R"(" kind: NODE_KIND_ICS parent: "region" )"
                 << "card: \"national-acute\" pillars: true "
                 << "bands { opel2: 25 opel3: 50 opel4: 75 } }\n";
        }
        if (i % per_locality == 0) {
            tree << "nodes { id: \"L" << locality << "\" kind: NODE_KIND_LOCALITY parent: \"ICS"
                 << ics << "\" bands { opel2: 25 opel3: 50 opel4: 75 } }\n";
        }
        tree << "nodes { id: \"" << site_id(i) << "\" kind: NODE_KIND_SITE parent: \"L" << locality
             << "\" provider_type: PROVIDER_TYPE_ACUTE weight: " << 300 + i % 400 << " }\n";
    }
    return dir / "opel.textproto";
}

engine::EngineConfig load_config(const std::filesystem::path& root) {
    auto loaded = config::load_config(root);
    if (!loaded) {
        std::cerr << loaded.error().front().to_string() << '\n';
        std::exit(1);
    }
    return std::move(loaded->engine);
}

std::string encoded(const engine::Sitrep& sitrep) {
    v1::SubmitRequest r;
    *r.mutable_sitrep() = codec::to_proto(sitrep);
    return r.SerializeAsString();
}

}  // namespace opel::bench

#include "support/test_card.h"

#include <chrono>

#include "base/time.h"

namespace opel::testing {

std::string at(int minutes_from_t0) {
    return format_utc(*parse_rfc3339(t0) + std::chrono::minutes(minutes_from_t0));
}

v1::Sitrep sitrep(const std::string& site, const std::string& as_at, double handover,
                  double nctr_percent) {
    v1::Sitrep s;
    s.set_site_id(site);
    s.mutable_as_at()->set_seconds(parse_rfc3339(as_at)->time_since_epoch().count());
    (*s.mutable_measures())["ambulance_handover_mean_minutes"] = handover;
    (*s.mutable_measures())["ga_beds_occupied"] = 200;
    (*s.mutable_measures())["nctr_patients"] = 2 * nctr_percent;
    return s;
}

v1::Sitrep opel1(const std::string& site, const std::string& as_at) {
    return sitrep(site, as_at, 5, 5);
}

v1::Sitrep opel4(const std::string& site, const std::string& as_at) {
    return sitrep(site, as_at, 70, 25);
}

}  // namespace opel::testing

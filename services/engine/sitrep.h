// A sitrep as the engine sees it (decoded, not yet validated), and its validation against
// the catalogue and tree (SPEC §3). Validation collects every problem, never just the first.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock/time.h"

namespace opel::engine {

class Model;

struct Sitrep {
    std::string site_id;
    std::optional<TimePoint> as_at;  // nullopt when the sender left it out
    std::string submission_id;       // empty = default (site_id@as_at)
    std::optional<int> declared_level;
    std::string declared_reason;
    std::string comment;
    std::map<std::string, double, std::less<>> measures;

    // submission_id, or the default "<site_id>@<as_at RFC 3339>".
    std::string effective_submission_id() const;
};

// One problem with a submission: field ("measures.nctr_patients"), stable code, message.
struct FieldError {
    std::string field;
    std::string code;
    std::string message;

    bool operator==(const FieldError&) const = default;
};

// Limits on free text so an oversize field is rejected with a name, not truncated.
inline constexpr std::size_t max_text_length = 2000;
inline constexpr std::size_t max_id_length = 200;

// A sitrep's measures indexed by catalogue position; nullopt = not reported.
using MeasureValues = std::vector<std::optional<double>>;

// Validates a sitrep against the model. `now` (the daemon clock) enables the future check
// with `max_clock_skew`; offline evaluation passes nullopt. Returns every problem found.
// When `values` is given it receives the sitrep's catalogue measures by index (meaningful
// when nothing is returned), so the caller does not look the names up again.
std::vector<FieldError> validate_sitrep(const Sitrep& sitrep, const Model& model,
                                        std::optional<TimePoint> now, Duration max_clock_skew,
                                        MeasureValues* values = nullptr);

}  // namespace opel::engine

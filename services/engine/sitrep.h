// A sitrep as the engine sees it (decoded, not yet validated), and its validation against
// the catalogue and tree (SPEC §3). Validation collects every problem, never just the first.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"

namespace opel::engine {

class Model;

struct Sitrep {
    std::string site_id;
    std::optional<TimePoint> as_at;              // nullopt when the sender left it out
    std::string submission_id;                   // empty = default (see effective_submission_id)
    std::optional<std::int64_t> declared_level;  // as sent; validation wants 1..4
    std::string declared_reason;
    std::string comment;
    std::map<std::string, double, std::less<>> measures;

    // submission_id, or the default "<site_id>~<content digest, 16 hex>@<as_at RFC 3339>"
    // (SPEC §4 rule 7: without an explicit id the key is site + as_at + measures, so an
    // identical resend is a duplicate and other figures for the same time a correction).
    std::string effective_submission_id() const;
    // A 64-bit digest of the measures in name order (each name's length and bytes, then the
    // value's IEEE 754 bits, -0 taken as 0), hashed a word at a time (sitrep.cc). Stored in
    // default ids, so it never changes; two contents with one digest are told apart by
    // comparing the content itself (same_content), never confused.
    std::uint64_t measures_digest() const;
    // The content an idempotency key stands for (SPEC §4 rule 7): site, as_at and measures.
    // Comment and declared level are not part of it.
    bool same_content(const Sitrep& other) const;
};

// Sitreps before this are refused: no real report is that old (a zero or truncated time).
inline constexpr TimePoint earliest_as_at{Duration{946684800}};  // 2000-01-01T00:00:00Z

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

// The REJECTED error (submission_id / idempotency_conflict) for a submission whose id was
// used before for other content: says what differs from `first`.
FieldError idempotency_conflict(const std::string& submission_id, const Sitrep& sent,
                                const Sitrep& first);

// The problem with `site_id` as a reporting site, if any: missing_field, unknown_site (not in
// the tree) or not_a_site (a system node).
std::optional<FieldError> check_site_id(const std::string& site_id, const Model& model);

// What check_sitrep finds: every problem, and the sitrep's catalogue measures by index
// (meaningful when there is no problem), so the engine does not look the names up again.
struct CheckedSitrep {
    std::vector<FieldError> errors;
    MeasureValues values;
};

// Validates a sitrep against the model. `now` (the daemon clock) enables the future check
// with `max_clock_skew`; offline evaluation passes nullopt. Finds every problem.
CheckedSitrep check_sitrep(const Sitrep& sitrep, const Model& model, std::optional<TimePoint> now,
                           Duration max_clock_skew);
// check_sitrep's problems alone.
std::vector<FieldError> validate_sitrep(const Sitrep& sitrep, const Model& model,
                                        std::optional<TimePoint> now, Duration max_clock_skew);

}  // namespace opel::engine

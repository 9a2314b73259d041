#include "engine/sitrep.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>

#include "engine/model.h"
#include "engine/text.h"

namespace opel::engine {

std::string Sitrep::effective_submission_id() const {
    if (!submission_id.empty()) {
        return submission_id;
    }
    std::uint64_t digest = measures_digest();
    std::array<char, 16> hex{};
    for (std::size_t i = hex.size(); i-- > 0; digest >>= 4) {
        hex[i] = "0123456789abcdef"[digest & 0xf];
    }
    std::string id;
    id.reserve(site_id.size() + 38);
    id += site_id;
    id += '~';
    id.append(hex.data(), hex.size());
    id += '@';
    id += as_at ? format_utc(*as_at) : std::string("?");
    return id;
}

std::uint64_t Sitrep::measures_digest() const {
    // Per measure, in name order: the name's length, the name in little-endian 8-byte words
    // (the last zero-padded), the value's bits (-0 as 0); each word mixed in by xor, a
    // multiply by the 64-bit golden ratio and a fold of the high half; then splitmix64's
    // finalizer. Word by word, not byte by byte: this runs for every sitrep.
    std::uint64_t hash = 0xcbf29ce484222325ULL;
    const auto mix = [&hash](std::uint64_t word) {
        hash = (hash ^ word) * 0x9e3779b97f4a7c15ULL;
        hash ^= hash >> 32;
    };
    for (const auto& [name, value] : measures) {
        mix(name.size());
        for (std::size_t at = 0; at < name.size(); at += 8) {
            std::array<unsigned char, 8> bytes{};  // the last word zero-padded
            std::memcpy(bytes.data(), name.data() + at, std::min<std::size_t>(8, name.size() - at));
            std::uint64_t word = 0;
            for (std::size_t i = 0; i < 8; ++i) {  // little-endian on any machine
                word |= std::uint64_t{bytes[i]} << (8 * i);
            }
            mix(word);
        }
        mix(std::bit_cast<std::uint64_t>(value == 0 ? 0.0 : value));
    }
    hash = (hash ^ (hash >> 30)) * 0xbf58476d1ce4e5b9ULL;
    hash = (hash ^ (hash >> 27)) * 0x94d049bb133111ebULL;
    return hash ^ (hash >> 31);
}

bool Sitrep::same_content(const Sitrep& other) const {
    return site_id == other.site_id && as_at == other.as_at && measures == other.measures;
}

namespace {

// The measures whose values differ, or that only one side has, named (at most three).
std::string measure_differences(const Sitrep& sent, const Sitrep& first) {
    std::vector<std::string> names;
    for (const auto& [name, value] : sent.measures) {
        const auto it = first.measures.find(name);
        if (it == first.measures.end()) {
            names.push_back(name + " (not in the first)");
        } else if (it->second != value) {
            names.push_back(name + " " + format_exact(it->second) + " -> " + format_exact(value));
        }
    }
    for (const auto& [name, value] : first.measures) {
        if (!sent.measures.contains(name)) {
            names.push_back(name + " (only in the first)");
        }
    }
    std::string out;
    for (std::size_t i = 0; i < names.size() && i < 3; ++i) {
        out += (i == 0 ? "" : ", ") + names[i];
    }
    if (names.size() > 3) {
        out += " and " + std::to_string(names.size() - 3) + " more";
    }
    return out;
}

}  // namespace

FieldError idempotency_conflict(const std::string& submission_id, const Sitrep& sent,
                                const Sitrep& first) {
    std::string what;
    if (sent.site_id != first.site_id) {
        what = "site " + first.site_id + ", not " + sent.site_id;
    } else if (sent.as_at != first.as_at) {
        what = "as_at " + (first.as_at ? format_utc(*first.as_at) : std::string("none")) +
               ", not " + (sent.as_at ? format_utc(*sent.as_at) : std::string("none"));
    } else {
        what = "other measures: " + measure_differences(sent, first);
    }
    return {"submission_id", "idempotency_conflict",
            "submission_id '" + submission_id + "' was already used for other content (" + what +
                "); nothing was changed. Send new figures with a new submission_id, or with "
                "none (site, as_at and measures then identify them)"};
}

std::optional<FieldError> check_site_id(const std::string& site_id, const Model& model) {
    if (site_id.empty()) {
        return FieldError{"site_id", "missing_field", "site_id is required"};
    }
    const auto node = model.find_node(site_id);
    if (!node) {
        return FieldError{"site_id", "unknown_site", "no site '" + site_id + "' in the node tree"};
    }
    if (model.node(*node).config.kind != NodeKind::site) {
        return FieldError{"site_id", "not_a_site",
                          "'" + site_id + "' is a " +
                              std::string(to_string(model.node(*node).config.kind)) +
                              ", not a reporting site"};
    }
    return std::nullopt;
}

namespace {

// Appends one problem (validation collects every problem, so these checks append to one list).
void add(std::vector<FieldError>& errors, std::string field, std::string code,
         std::string message) {
    errors.push_back({std::move(field), std::move(code), std::move(message)});
}

// site_id names a reporting site; as_at is given, after 2000 and not ahead of `now`.
void check_site_and_time(const Sitrep& sitrep, const Model& model, std::optional<TimePoint> now,
                         Duration max_clock_skew, std::vector<FieldError>& errors) {
    if (auto e = check_site_id(sitrep.site_id, model)) {
        errors.push_back(std::move(*e));
    }
    if (!sitrep.as_at) {
        add(errors, "as_at", "missing_field", "as_at (the time the figures describe) is required");
    } else if (*sitrep.as_at < earliest_as_at) {
        add(errors, "as_at", "before_2000",
            "as_at " + format_utc(*sitrep.as_at) +
                " is before 2000-01-01: not a time the figures can describe (a missing or "
                "truncated time?)");
    } else if (now && *sitrep.as_at > *now + max_clock_skew) {
        add(errors, "as_at", "future_as_at",
            "as_at " + format_utc(*sitrep.as_at) + " is more than " +
                std::to_string(max_clock_skew.count()) + " s ahead of the server clock " +
                format_utc(*now));
    }
}

// Text lengths, and a declared level only with its reason (and a reason only with a level).
void check_text_and_declaration(const Sitrep& sitrep, std::vector<FieldError>& errors) {
    const auto check_length = [&errors](const char* field, const std::string& text,
                                        std::size_t limit) {
        if (text.size() > limit) {
            add(errors, field, "too_long",
                std::string(field) + " is " + std::to_string(text.size()) +
                    " characters; at most " + std::to_string(limit));
        }
    };
    check_length("submission_id", sitrep.submission_id, max_id_length);
    check_length("comment", sitrep.comment, max_text_length);
    check_length("declared_reason", sitrep.declared_reason, max_text_length);
    if (sitrep.declared_level) {
        if (*sitrep.declared_level < 1 || *sitrep.declared_level > 4) {
            add(errors, "declared_level", "invalid_level",
                "declared_level must be an OPEL level 1..4, got " +
                    std::to_string(*sitrep.declared_level));
        }
        if (sitrep.declared_reason.empty()) {
            add(errors, "declared_reason", "missing_reason",
                "a declared level needs a declared_reason (the clinical judgement behind it)");
        }
    } else if (!sitrep.declared_reason.empty()) {
        add(errors, "declared_reason", "unexpected_field",
            "declared_reason given without a declared_level");
    }
}

// One catalogue measure's value: finite, whole if it must be, in range, and at most each
// measure it is part of (`by_index` holds the sitrep's values by catalogue index).
void check_measure(const Model& model, std::size_t index, const std::string& name, double value,
                   const MeasureValues& by_index, std::vector<FieldError>& errors) {
    const auto field = [&name] { return "measures." + name; };  // only on an error
    const MeasureDef& def = model.measures()[index];
    if (!std::isfinite(value)) {
        add(errors, field(), "not_a_number", name + " must be a finite number");
        return;
    }
    if (def.integer && value != std::floor(value)) {
        add(errors, field(), "not_integer",
            name + " must be a whole number (" + def.unit + "), got " + format_exact(value));
    }
    if ((def.min && value < *def.min) || (def.max && value > *def.max)) {
        add(errors, field(), "out_of_range",
            name + " = " + format_exact(value) + " is outside " +
                (def.min ? format_number(*def.min) : std::string("-inf")) + ".." +
                (def.max ? format_number(*def.max) : std::string("inf")));
    }
    for (const std::size_t whole : model.at_most(index)) {
        const std::optional<double>& whole_value = by_index[whole];
        if (whole_value && std::isfinite(*whole_value) && value > *whole_value) {
            add(errors, field(), "part_exceeds_whole",
                name + " = " + format_exact(value) + " exceeds " + model.measures()[whole].name +
                    " = " + format_exact(*whole_value));
        }
    }
}

// The sitrep's values by catalogue index, after checking each; every name is looked up once
// (a part_exceeds_whole check reads the whole's value by index).
MeasureValues check_measures(const Sitrep& sitrep, const Model& model,
                             std::vector<FieldError>& errors) {
    if (sitrep.measures.empty()) {
        add(errors, "measures", "missing_field",
            "a sitrep needs at least one measure (a level without figures is declared with "
            "`opel declare`, not submitted)");
    }
    MeasureValues by_index(model.measures().size(), std::nullopt);
    std::vector<std::optional<std::size_t>> indices;
    indices.reserve(sitrep.measures.size());
    for (const auto& [name, value] : sitrep.measures) {
        indices.push_back(model.measure_index(name));
        if (indices.back()) {
            by_index[*indices.back()] = value;
        }
    }
    std::size_t k = 0;
    for (const auto& [name, value] : sitrep.measures) {
        if (const auto index = indices[k++]) {
            check_measure(model, *index, name, value, by_index, errors);
        } else {
            add(errors, "measures." + name, "unknown_measure",
                "measure '" + name + "' is not in the catalogue");
        }
    }
    return by_index;
}

}  // namespace

CheckedSitrep check_sitrep(const Sitrep& sitrep, const Model& model, std::optional<TimePoint> now,
                           Duration max_clock_skew) {
    CheckedSitrep checked;
    check_site_and_time(sitrep, model, now, max_clock_skew, checked.errors);
    check_text_and_declaration(sitrep, checked.errors);
    checked.values = check_measures(sitrep, model, checked.errors);
    return checked;
}

std::vector<FieldError> validate_sitrep(const Sitrep& sitrep, const Model& model,
                                        std::optional<TimePoint> now, Duration max_clock_skew) {
    return check_sitrep(sitrep, model, now, max_clock_skew).errors;
}

}  // namespace opel::engine

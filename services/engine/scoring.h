// Scoring a site against its action card (SPEC §4, exact rules 1–3): expressions, parameter
// scores, the missing policy with carry-forward, the total, bands and floor rules. Pure
// functions of their arguments.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"
#include "engine/config.h"
#include "engine/sitrep.h"

namespace opel::engine {

// A parameter's last valid value and the as_at of the sitrep that produced it.
struct CarriedValue {
    double value = 0;
    TimePoint as_at;

    bool operator==(const CarriedValue&) const = default;
};

// The expression's value, or nullopt when an input is missing or a denominator is zero.
std::optional<double> evaluate_expression(const Expression& expression,
                                          const MeasureValues& values);

// Score 1..4: 1 + number of thresholds the value reaches in the worse direction (a value
// exactly on a threshold takes the worse score).
int score_value(Direction direction, const std::array<double, 3>& thresholds, double value);

// Level 1..4: 1 + number of cut-offs <= total.
int band_level(const Bands& bands, double total);

struct ParameterOutcome {
    std::optional<double> value;  // the value scored (fresh or carried); none for worst/unknown
    int score = 0;                // 1..4; 0 when it made the result UNKNOWN
    bool carried_forward = false;
    std::optional<TimePoint> carried_from;
    bool worst_policy = false;
    bool fresh = false;  // computed from this sitrep (becomes the next carried value)
};

struct CardEvaluation {
    std::vector<ParameterOutcome> parameters;  // card order
    bool unknown = false;
    std::string unknown_reason;
    double total = 0;       // Σ weight × score (of the scored parameters)
    double normalised = 0;  // (100 × (total − min)) / (max − min); 0 when unknown
    int band_level = 0;     // 1..4 from the bands; 0 when unknown
    int level = 0;          // band raised by floor rules; 0 when unknown
    std::optional<std::size_t> floor_rule;  // the floor rule that decided `level`, if any
};

// Evaluates a card for one sitrep. `carried` holds the site's last valid value per
// parameter (card order; may be shorter, missing entries = none). `as_at` is the sitrep's.
CardEvaluation evaluate_card(const ActionCard& card, const MeasureValues& values,
                             const std::vector<std::optional<CarriedValue>>& carried,
                             TimePoint as_at);

}  // namespace opel::engine

#include "engine/scoring.h"

#include "engine/text.h"

namespace opel::engine {
namespace {

std::optional<double> sum(const std::vector<std::size_t>& indices, const MeasureValues& values) {
    double total = 0;
    for (const std::size_t i : indices) {
        if (i >= values.size() || !values[i]) {
            return std::nullopt;
        }
        total += *values[i];
    }
    return total;
}

}  // namespace

std::optional<double> evaluate_expression(const Expression& e, const MeasureValues& values) {
    const auto num = sum(e.numerator_index, values);
    if (!num) {
        return std::nullopt;
    }
    switch (e.kind) {
        case ExpressionKind::measure:
            return num;
        case ExpressionKind::percent: {
            const auto den = sum(e.denominator_index, values);
            if (!den || *den == 0) {
                return std::nullopt;
            }
            return (100 * *num) / *den;
        }
        case ExpressionKind::percent_change: {
            const auto base = sum(e.denominator_index, values);
            if (!base || *base == 0) {
                return std::nullopt;
            }
            return (100 * (*num - *base)) / *base;
        }
    }
    return std::nullopt;
}

int score_value(Direction direction, const std::array<double, 3>& thresholds, double value) {
    int score = 1;
    for (const double t : thresholds) {
        if (direction == Direction::higher_is_worse ? value >= t : value <= t) {
            ++score;
        }
    }
    return score;
}

int band_level(const Bands& bands, double total) {
    int level = 1;
    for (const double cut : bands.cutoffs) {
        if (cut <= total) {
            ++level;
        }
    }
    return level;
}

namespace {

// Parameter `i` of `card` has no value of its own: applies the card's missing policy to its
// outcome `o` (the worst score, or the carried value). Returns why the card is UNKNOWN when the
// policy gives no score.
std::optional<std::string> apply_missing_policy(
    const ActionCard& card, std::size_t i, const std::vector<std::optional<CarriedValue>>& carried,
    TimePoint as_at, ParameterOutcome& o) {
    const Parameter& p = card.parameters[i];
    switch (card.missing) {
        case MissingPolicy::worst:
            o.worst_policy = true;
            o.score = 4;
            return std::nullopt;
        case MissingPolicy::unknown:
            return "parameter '" + p.id +
                   "' is unavailable and the card's missing policy is 'unknown'";
        case MissingPolicy::carry_forward:
            break;
    }
    const std::optional<CarriedValue> prev = i < carried.size() ? carried[i] : std::nullopt;
    if (prev && (!card.max_age || as_at - prev->as_at <= *card.max_age)) {
        o.value = prev->value;
        o.carried_forward = true;
        o.carried_from = prev->as_at;
        return std::nullopt;
    }
    return "parameter '" + p.id + "' is unavailable and " +
           (prev ? "its last value (" + format_london(prev->as_at) + ") is older than max_age " +
                       std::to_string(card.max_age->count() / 60) + " min"
                 : std::string("there is no earlier value to carry forward"));
}

}  // namespace

CardEvaluation evaluate_card(const ActionCard& card, const MeasureValues& values,
                             const std::vector<std::optional<CarriedValue>>& carried,
                             TimePoint as_at) {
    CardEvaluation out;
    out.parameters.resize(card.parameters.size());
    for (std::size_t i = 0; i < card.parameters.size(); ++i) {
        const Parameter& p = card.parameters[i];
        ParameterOutcome& o = out.parameters[i];
        o.value = evaluate_expression(p.expression, values);
        o.fresh = o.value.has_value();
        if (!o.value) {
            if (auto reason = apply_missing_policy(card, i, carried, as_at, o);
                reason && !out.unknown) {
                out.unknown = true;
                out.unknown_reason = std::move(*reason);
            }
        }
        if (o.value) {
            o.score = score_value(p.direction, p.thresholds, *o.value);
        }
        out.total += p.weight * o.score;
    }
    if (out.unknown) {
        out.total = 0;
        return out;
    }
    const double min = card.min_total();
    const double max = card.max_total();
    out.normalised = (100 * (out.total - min)) / (max - min);
    out.band_level = band_level(card.bands, out.total);
    out.level = out.band_level;
    for (std::size_t fi = 0; fi < card.floors.size(); ++fi) {
        const FloorRule& fr = card.floors[fi];
        if (out.parameters[fr.parameter_index].score >= fr.min_score && fr.min_level > out.level) {
            out.level = fr.min_level;
            out.floor_rule = fi;
        }
    }
    return out;
}

}  // namespace opel::engine

#include "seen_submissions.h"

#include <functional>

#include "base/check.h"

namespace opel::cli {

std::optional<engine::SubmitOutcome> SeenSubmissions::check(const engine::Sitrep& sitrep,
                                                            const std::string& id,
                                                            const engine::Model& model) const {
    const auto found = seen_.find(std::hash<std::string>{}(id));
    if (found == seen_.end()) {
        return std::nullopt;
    }
    const First& first = found->second;
    engine::SubmitOutcome out;
    out.submission_id = id;
    const std::string& first_site = model.node(first.site).config.id;
    const bool same_place = first_site == sitrep.site_id && sitrep.as_at == first.as_at;
    if (same_place && sitrep.measures_digest() == first.measures_digest) {
        out.status = engine::SubmitStatus::duplicate;
        out.original_status = first.status;
        return out;
    }
    out.status = engine::SubmitStatus::rejected;
    if (!same_place) {
        engine::Sitrep known;
        known.site_id = first_site;
        known.as_at = first.as_at;
        out.errors.push_back(engine::idempotency_conflict(id, sitrep, known));
        return out;
    }
    out.errors.push_back(
        {"submission_id", "idempotency_conflict",
         "submission_id '" + id +
             "' was already used for other content (other measures); nothing was changed. Send "
             "new figures with a new submission_id, or with none (site, as_at and measures then "
             "identify them)"});
    return out;
}

void SeenSubmissions::remember(const engine::Sitrep& sitrep, const std::string& id,
                               const engine::SubmitOutcome& outcome, const engine::Model& model) {
    if (outcome.status != engine::SubmitStatus::accepted &&
        outcome.status != engine::SubmitStatus::late) {
        return;
    }
    const auto site = model.find_node(sitrep.site_id);
    OPEL_CHECK(site && sitrep.as_at, "an accepted or late sitrep names a site and a time");
    seen_[std::hash<std::string>{}(id)] = {sitrep.measures_digest(), *sitrep.as_at,
                                           static_cast<std::uint32_t>(*site), outcome.status};
}

}  // namespace opel::cli

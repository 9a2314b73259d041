// The idempotency keys `opel evaluate` has seen in its input (SPEC §4 rule 7), kept small so
// that memory stays flat however long the input.
//
// The engine can remember submissions itself (EngineOptions::track_submissions), but it keeps
// a copy of each one's content, measures and all: about 2 KB per sitrep, the larger part of
// what made evaluate's memory grow with its input. This keeps, per accepted or late
// submission, the 64-bit hash of its key (submission_id, or the default id), its site, as_at
// and measures digest (Sitrep::measures_digest) and its outcome: 24 bytes in a hash map, about
// 60 bytes with the map's own. The engine runs with tracking off and evaluate asks here first.
// The decisions are the engine's (a resend of the same content is DUPLICATE naming the first
// outcome; the same key with other content is REJECTED, submission_id / idempotency_conflict;
// only accepted and late submissions are remembered), with two differences, both accepted for
// flat memory:
//   - an idempotency conflict in the measures alone says "other measures" without naming them
//     (the first figures are not kept);
//   - keys and measures are compared by 64-bit hashes: two different keys, or two different
//     sets of measures with one key, are taken for the same with a chance of 2^-64 per pair.
// One owner, one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "engine/engine.h"
#include "engine/model.h"
#include "engine/sitrep.h"

namespace opel::cli {

class SeenSubmissions {
public:
    // The outcome for a submission whose key `id` (its effective_submission_id) was seen
    // before: DUPLICATE or REJECTED as above. nullopt for a new key: submit it.
    std::optional<engine::SubmitOutcome> check(const engine::Sitrep& sitrep, const std::string& id,
                                               const engine::Model& model) const;
    // Remembers `outcome` for key `id` if it is ACCEPTED or LATE (a rejected submission may be
    // sent again corrected). Precondition for those: the sitrep's site is in `model`.
    void remember(const engine::Sitrep& sitrep, const std::string& id,
                  const engine::SubmitOutcome& outcome, const engine::Model& model);

    std::size_t size() const { return seen_.size(); }

private:
    struct First {
        std::uint64_t measures_digest = 0;
        TimePoint as_at;
        std::uint32_t site = 0;  // node index in the model
        engine::SubmitStatus status = engine::SubmitStatus::accepted;
    };
    std::unordered_map<std::uint64_t, First> seen_;  // by std::hash of the key
};

}  // namespace opel::cli

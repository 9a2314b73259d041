// Journal: the only writer of opel-escalatord's database. It receives prepared batches in
// prepare order and writes each group in one transaction, or skips it: after a batch fails
// (in prepare, or in its transaction), every later batch of the same generation is skipped,
// since each was computed on top of the failed one. The escalator finishes both kinds.
//
//   engine thread                      storage thread (writer.h), or the engine thread
//   Escalator::prepare ─▶ Batch ──────▶ Journal::commit(batches) ─▶ BEGIN … COMMIT (fsync)
//   Escalator::finish  ◀─ Batch ◀──────┘ committed, or failed / skipped with the reason
//
// Owner: one thread at a time (the Writer's storage thread, or the engine thread through
// Writer::commit_here while the storage thread is idle). Knows nothing of the engine.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "escalatord/batch.h"
#include "escalatord/escalator.h"
#include "escalatord/store/store.h"

namespace opel::escalatord {

class Journal {
public:
    explicit Journal(store::Store& store) : store_(store) {}

    // Writes `batches` (in prepare order) in one transaction: all commit or none do. Sets
    // each batch's committed / failure / commit_ns.
    void commit(std::span<Batch* const> batches);
    void commit(Batch& batch);

private:
    store::Store& store_;
    // The newest generation with a failed batch: its later batches are skipped.
    std::optional<std::uint64_t> failed_generation_;
};

// Prepare, commit and finish on the calling thread, for callers with no pipeline (tests,
// tools): every reply is final when these return.
Escalator::BatchOutput submit_now(Escalator& escalator, Journal& journal,
                                  const std::vector<std::string_view>& payloads);
// Fires the staleness deadlines due by the escalator's clock; durable before returning. On
// a failure the engine is rebuilt and the deadlines fire again on the next call.
std::vector<Publication> tick_now(Escalator& escalator, Journal& journal);

}  // namespace opel::escalatord

#include "escalatord/journal.h"

#include <algorithm>
#include <unordered_set>

#include "adapters/clock/stopwatch.h"

namespace opel::escalatord {
namespace {

// Writes the live batches' rows into the open transaction; the first error, if any.
std::optional<std::string> write_rows(store::Store& store, std::span<Batch* const> live) {
    const auto error = [](const store::StoreResult<store::Done>& r) {
        return r ? std::nullopt : std::optional<std::string>(describe(r.error()));
    };
    std::vector<store::PublishedRow> results;
    for (const Batch* p : live) {
        for (const store::SitrepRow& row : p->sitreps) {
            if (auto e = error(store.add_sitrep(row))) {
                return e;
            }
        }
        for (const store::CommandRow& row : p->commands) {
            if (auto e = error(store.add_command(row))) {
                return e;
            }
        }
        results.clear();
        for (const Batch::Row& r : p->results) {
            results.push_back(p->stored(r));
        }
        if (auto e = error(store.add_results(results))) {
            return e;
        }
        for (const Batch::Row& r : p->events) {
            if (auto e = error(store.add_event(p->stored(r)))) {
                return e;
            }
        }
    }
    // The sequence high-water mark (store.h: last_sequence) moves with the rows it covers.
    if (auto e = error(store.put_meta("sequence_high_water",
                                      static_cast<std::int64_t>(live.back()->sequence)))) {
        return e;
    }
    // Only a node's newest state in the transaction is written: the latest batch's, so the
    // batches are walked newest first and a node already written is skipped.
    std::unordered_set<engine::NodeIndex> written;
    for (std::size_t i = live.size(); i-- > 0;) {
        for (const Batch::State& s : live[i]->states) {
            if (written.insert(s.node).second) {
                if (auto e = error(store.put_node_state(s.node_id, s.state, s.result_sequence))) {
                    return e;
                }
            }
        }
    }
    return std::nullopt;
}

}  // namespace

void Journal::commit(Batch& batch) {
    Batch* const one[] = {&batch};
    commit(one);
}

void Journal::commit(std::span<Batch* const> batches) {
    std::vector<Batch*> live;
    for (Batch* b : batches) {
        if (failed_generation_ && b->generation <= *failed_generation_) {
            continue;  // computed on top of a failed batch: skipped, never written
        }
        if (b->failed()) {  // failed in prepare (a read error): it and its successors
            failed_generation_ = b->generation;
            continue;
        }
        live.push_back(b);
    }
    if (std::none_of(live.begin(), live.end(), [](Batch* b) { return b->has_rows(); })) {
        for (Batch* b : live) {
            b->committed = true;
        }
        return;
    }
    Stopwatch watch;
    std::optional<std::string> failure;
    if (auto began = store_.begin(); !began) {
        failure = describe(began.error());
    } else if (failure = write_rows(store_, live); !failure) {
        if (auto committed = store_.commit(); !committed) {
            failure = describe(committed.error());
        }
    }
    if (failure) {
        store_.rollback();
        failed_generation_ = live.back()->generation;
    }
    for (Batch* b : live) {
        b->committed = !failure;
        if (failure) {
            b->fail(*failure, b == live.back());
        }
    }
    live.back()->ends_transaction = true;
    live.back()->commit_ns = watch.lap();
}

Escalator::BatchOutput submit_now(Escalator& escalator, Journal& journal,
                                  const std::vector<std::string_view>& payloads) {
    BatchPtr batch = escalator.prepare(payloads);
    journal.commit(*batch);
    return escalator.finish(std::move(batch));
}

std::vector<Publication> tick_now(Escalator& escalator, Journal& journal) {
    BatchPtr batch = escalator.prepare_tick();
    if (!batch) {
        return {};
    }
    journal.commit(*batch);
    return escalator.finish(std::move(batch)).publications;
}

}  // namespace opel::escalatord

// Writer: opel-escalatord's storage thread. Commits prepared batches through the journal
// (the database's only writer) in the order they were pushed, so the engine thread can prepare the
// next batch while this one waits for its fsync. Every batch waiting when a commit starts goes into
// that one transaction (group commit). Each batch comes back through
// take_done(), committed or not, in push order; `wake` is called on the storage thread
// after each one, so the owner posts a handler to its own thread there.
//
//   engine thread: push(batch) ──▶ queue ──▶ storage thread: Journal::commit(batches)
//   engine thread: take_done() ◀── done  ◀──┘ then wake()
//
// Thread-safe: push, take_done and close may be called from the engine thread while the
// storage thread runs.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "escalatord/batch.h"
#include "escalatord/journal.h"

namespace opel::escalatord {

class Writer {
public:
    // `journal` is used by the storage thread only, from now until close() (and by
    // commit_here while that thread is idle).
    Writer(Journal& journal, std::function<void()> wake);
    ~Writer();  // close()
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    void push(BatchPtr batch);
    // Commits `batch` on the calling thread instead, if the storage thread is idle with
    // nothing pushed or waiting to be taken; false (nothing done) otherwise. For a lone
    // request, where nothing could overlap its commit and two thread hand-offs would only
    // add latency.
    bool commit_here(Batch& batch);
    // The batches the storage thread has finished with, oldest first.
    std::vector<BatchPtr> take_done();
    // Commits everything already pushed, then stops the thread. Idempotent.
    void close();

private:
    void run();

    Journal& journal_;
    std::function<void()> wake_;
    std::mutex mutex_;
    std::condition_variable pushed_;
    std::deque<BatchPtr> queue_;
    std::vector<BatchPtr> done_;
    bool closing_ = false;
    bool busy_ = false;   // a commit is running (on either thread)
    std::thread thread_;  // last: started once everything above exists
};

}  // namespace opel::escalatord

#include "escalatord/writer.h"

namespace opel::escalatord {

Writer::Writer(Journal& journal, std::function<void()> wake)
    : journal_(journal), wake_(std::move(wake)), thread_([this] { run(); }) {}

Writer::~Writer() { close(); }

void Writer::push(BatchPtr batch) {
    {
        const std::lock_guard lock(mutex_);
        queue_.push_back(std::move(batch));
    }
    pushed_.notify_one();
}

bool Writer::commit_here(Batch& batch) {
    {
        const std::lock_guard lock(mutex_);
        if (busy_ || !queue_.empty() || !done_.empty()) {
            return false;
        }
        busy_ = true;
    }
    journal_.commit(batch);
    {
        const std::lock_guard lock(mutex_);
        busy_ = false;
    }
    pushed_.notify_one();  // a push may have waited for the store
    return true;
}

std::vector<BatchPtr> Writer::take_done() {
    const std::lock_guard lock(mutex_);
    std::vector<BatchPtr> done;
    done.swap(done_);
    return done;
}

void Writer::close() {
    {
        const std::lock_guard lock(mutex_);
        closing_ = true;
    }
    pushed_.notify_one();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void Writer::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        pushed_.wait(lock, [this] { return !busy_ && (closing_ || !queue_.empty()); });
        if (queue_.empty()) {
            return;  // closing, and everything pushed is committed
        }
        // Everything waiting goes into one transaction: the longer a commit takes, the more
        // the next one carries, so the fsync's fixed cost is shared under load.
        std::vector<BatchPtr> batches(std::make_move_iterator(queue_.begin()),
                                      std::make_move_iterator(queue_.end()));
        queue_.clear();
        busy_ = true;
        lock.unlock();
        std::vector<Batch*> pointers;
        pointers.reserve(batches.size());
        for (const BatchPtr& b : batches) {
            pointers.push_back(b.get());
        }
        journal_.commit(pointers);
        lock.lock();
        busy_ = false;
        for (BatchPtr& b : batches) {
            done_.push_back(std::move(b));
        }
        lock.unlock();
        wake_();
        lock.lock();
    }
}

}  // namespace opel::escalatord

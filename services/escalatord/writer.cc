#include "escalatord/writer.h"

namespace opel::escalatord {

Writer::Writer(store::Store& store, std::function<void()> wake)
    : store_(store), wake_(std::move(wake)), thread_([this] { run(); }) {}

Writer::~Writer() { close(); }

void Writer::push(BatchPtr batch) {
    {
        const std::lock_guard lock(mutex_);
        queue_.push_back(std::move(batch));
    }
    pushed_.notify_one();
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
        pushed_.wait(lock, [this] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) {
            return;  // closing, and everything pushed is committed
        }
        BatchPtr batch = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        Escalator::commit(store_, *batch);
        lock.lock();
        done_.push_back(std::move(batch));
        lock.unlock();
        wake_();
        lock.lock();
    }
}

}  // namespace opel::escalatord

#include "webd/fanout.h"

#include <vector>

namespace opel::webd {

Fanout::Id Fanout::join(std::function<void()> wake) {
    const Id id = next_id_++;
    subscribers_.emplace(id, Subscriber{{}, true, false, 0, std::move(wake)});
    return id;
}

void Fanout::leave(Id id) { subscribers_.erase(id); }

void Fanout::publish(const Shared& message) {
    ++published_;
    std::vector<Id> idle;
    for (auto& [id, s] : subscribers_) {
        if (s.resync) {
            continue;  // the state it will be sent is made later and already holds this
        }
        if (s.queue.size() >= max_queue_) {
            dropped_ += s.queue.size() + 1;
            s.dropped += s.queue.size() + 1;
            s.queue.clear();
            s.resync = true;
        } else {
            s.queue.push_back(message);
        }
        if (!s.writing) {
            idle.push_back(id);
        }
    }
    // Woken after the loop: a wake may start a write, which calls next() on this object.
    wake(idle);
}

void Fanout::resync() {
    std::vector<Id> idle;
    for (auto& [id, s] : subscribers_) {
        s.queue.clear();
        s.resync = true;
        if (!s.writing) {
            idle.push_back(id);
        }
    }
    wake(idle);
}

void Fanout::wake(const std::vector<Id>& idle) {
    for (const Id id : idle) {
        const auto it = subscribers_.find(id);
        if (it != subscribers_.end() && !it->second.writing && it->second.wake) {
            it->second.wake();
        }
    }
}

std::optional<Shared> Fanout::next(Id id, const MakeState& make_state) {
    const auto it = subscribers_.find(id);
    if (it == subscribers_.end() || it->second.writing) {
        return std::nullopt;
    }
    Subscriber& s = it->second;
    Shared out;
    if (s.resync) {
        s.resync = false;
        ++resyncs_;
        out = std::make_shared<const std::string>(make_state(s.dropped));
    } else if (!s.queue.empty()) {
        out = std::move(s.queue.front());
        s.queue.pop_front();
    } else {
        return std::nullopt;
    }
    s.writing = true;
    ++sent_;
    return out;
}

void Fanout::done(Id id) {
    const auto it = subscribers_.find(id);
    if (it != subscribers_.end()) {
        it->second.writing = false;
    }
}

}  // namespace opel::webd

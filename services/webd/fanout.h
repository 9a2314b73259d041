// Fan-out of the live feed to browsers (issue 15) without ever waiting for one: each
// subscriber has a bounded queue; a subscriber whose queue is full when a message comes has
// its queue dropped and is resynchronised with a whole state when it next has room, and the
// drop is counted (per subscriber, shown to it, and in total). Pure: the WebSocket sessions
// call it on the daemon's one thread.
//
//   publish(m) ──▶ every subscriber: queue full? drop it all, mark "resync" : push m
//                  idle subscribers are woken (their `wake` starts a write)
//   next(id)   ──▶ resync? the state message (made then, so it is current) : queue front
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace opel::webd {

using Shared = std::shared_ptr<const std::string>;

class Fanout {
public:
    using Id = std::uint64_t;
    // The whole state for a subscriber that has dropped `dropped` messages so far.
    using MakeState = std::function<std::string(std::uint64_t dropped)>;

    explicit Fanout(std::size_t max_queue) : max_queue_(max_queue) {}

    // A new subscriber: its first message is a whole state. `wake` is called when a message
    // is queued for it while it is idle (not writing).
    Id join(std::function<void()> wake);
    void leave(Id id);

    // Queues `message` for every subscriber.
    void publish(const Shared& message);
    // Every subscriber's queue is replaced by a whole state (the board was replaced).
    void resync();

    // The subscriber's next message, marking it busy until done(); none (and idle) when it
    // has nothing to send.
    std::optional<Shared> next(Id id, const MakeState& make_state);
    // Its write ended.
    void done(Id id);

    std::size_t subscribers() const { return subscribers_.size(); }
    std::uint64_t published() const { return published_; }
    std::uint64_t sent() const { return sent_; }
    std::uint64_t dropped() const { return dropped_; }
    std::uint64_t resyncs() const { return resyncs_; }

private:
    struct Subscriber {
        std::deque<Shared> queue;
        bool resync = true;
        bool writing = false;
        std::uint64_t dropped = 0;
        std::function<void()> wake;
    };

    void wake(const std::vector<Id>& idle);

    std::size_t max_queue_;
    Id next_id_ = 1;
    std::map<Id, Subscriber> subscribers_;
    std::uint64_t published_ = 0;
    std::uint64_t sent_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t resyncs_ = 0;
};

}  // namespace opel::webd

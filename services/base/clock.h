// Clock: the only way code outside main.cc learns the time. This header holds the interface
// and ManualClock (set by tests and offline tools); the clocks that read the real time are
// adapters (adapters/clock/real_clock.h). Each is used from one thread.
#pragma once

#include "base/time.h"

namespace opel {

// Source of "now". Implementations are cheap to call and never block.
class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

// A clock that only moves when told to. For tests and stream-time tools.
class ManualClock final : public Clock {
public:
    explicit ManualClock(TimePoint start) : now_(start) {}
    TimePoint now() const override { return now_; }
    void set(TimePoint t) { now_ = t; }
    void advance(Duration d) { now_ += d; }

private:
    TimePoint now_;
};

}  // namespace opel

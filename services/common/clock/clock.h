// Clock: the only way code outside main.cc learns the time. SystemClock reads the wall
// clock; ManualClock is set by tests and offline tools. Both are used from one thread.
#pragma once

#include "common/clock/time.h"

namespace opel {

// Source of "now". Implementations are cheap to call and never block.
class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

// The wall clock (UTC), truncated to seconds.
class SystemClock final : public Clock {
public:
    TimePoint now() const override;
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

namespace opel {

// A clock that runs `rate` times faster than the wall clock from `start` (its reading at
// construction), for demos, drills and tests that need hours to pass in seconds. rate 1 with
// start = now is the wall clock. Reads the real clock; lives here for that reason.
class ScaledClock final : public Clock {
public:
    ScaledClock(TimePoint start, double rate);
    TimePoint now() const override;
    double rate() const { return rate_; }
    // How long to wait on the real clock for `simulated` to pass.
    std::chrono::milliseconds real_wait(Duration simulated) const;

private:
    TimePoint start_;
    std::chrono::steady_clock::time_point real_start_;
    double rate_;
};

}  // namespace opel

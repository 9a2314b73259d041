// The clocks that read the real time: the wall clock and a scaled one for demos and drills.
// The only place (with main.cc files and stopwatch.h) that reads std::chrono's clocks;
// tools/dev/check-layering enforces it.
#pragma once

#include <chrono>

#include "base/clock.h"

namespace opel {

// The wall clock (UTC), truncated to seconds.
class SystemClock final : public Clock {
public:
    TimePoint now() const override;
};

// The wall clock in milliseconds (UTC), for what is timed finer than seconds (retries, a
// grouping window, an outbox row).
std::chrono::sys_time<std::chrono::milliseconds> wall_time_ms();

// A clock that runs `rate` times faster than the wall clock from `start` (its reading at
// construction), for demos, drills and tests that need hours to pass in seconds. rate 1 with
// start = now is the wall clock.
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

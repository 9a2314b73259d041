// Stopwatch: elapsed monotonic time for accounting where a daemon spends its time (decode,
// engine, commit, publish). Reads the steady clock, so it lives in adapters/clock.
#pragma once

#include <chrono>
#include <cstdint>

namespace opel {

class Stopwatch {
public:
    Stopwatch() : start_(std::chrono::steady_clock::now()) {}
    // Nanoseconds since construction or the last lap(); restarts the lap.
    std::uint64_t lap() {
        const auto now = std::chrono::steady_clock::now();
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - start_);
        start_ = now;
        return static_cast<std::uint64_t>(ns.count());
    }

    // Time since construction or the last lap(), without restarting the lap.
    std::chrono::nanoseconds elapsed() const {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now() - start_);
    }

private:
    std::chrono::steady_clock::time_point start_;
};

}  // namespace opel

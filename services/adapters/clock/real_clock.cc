#include "adapters/clock/real_clock.h"

namespace opel {

TimePoint SystemClock::now() const {
    return std::chrono::floor<Duration>(std::chrono::system_clock::now());
}

}  // namespace opel

namespace opel {

ScaledClock::ScaledClock(TimePoint start, double rate)
    : start_(start), real_start_(std::chrono::steady_clock::now()), rate_(rate) {}

TimePoint ScaledClock::now() const {
    const auto real = std::chrono::steady_clock::now() - real_start_;
    const auto scaled = std::chrono::duration<double>(real) * rate_;
    return start_ + std::chrono::floor<Duration>(scaled);
}

std::chrono::milliseconds ScaledClock::real_wait(Duration simulated) const {
    const auto real = std::chrono::duration<double>(simulated) / rate_;
    return std::chrono::ceil<std::chrono::milliseconds>(real);
}

std::chrono::sys_time<std::chrono::milliseconds> wall_time_ms() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
}

}  // namespace opel

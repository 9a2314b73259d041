#include "common/clock/clock.h"

namespace opel {

TimePoint SystemClock::now() const {
    return std::chrono::floor<Duration>(std::chrono::system_clock::now());
}

}  // namespace opel

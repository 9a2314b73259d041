#include "notifyd/delivery.h"

#include <algorithm>

namespace opel::notifyd {

std::string_view to_string(DeliveryState state) {
    switch (state) {
        case DeliveryState::pending:
            return "pending";
        case DeliveryState::retrying:
            return "retrying";
        case DeliveryState::sent:
            return "sent";
        case DeliveryState::failed:
            return "failed";
    }
    return "pending";
}

Millis retry_delay(int attempts, const config::DeliverySettings& s, double draw) {
    Millis delay = s.first_retry;
    for (int i = 1; i < attempts && delay < s.max_retry; ++i) {
        delay *= 2;
    }
    delay = std::min(delay, s.max_retry);
    const double factor = 0.8 + 0.4 * std::clamp(draw, 0.0, 1.0);
    return Millis{static_cast<Millis::rep>(static_cast<double>(delay.count()) * factor)};
}

Next after_failure(const Attempt& attempt, int attempts, WallTime created, WallTime now,
                   const config::DeliverySettings& s, double draw) {
    if (attempt.outcome == Attempt::Outcome::failed || now - created >= s.give_up_after) {
        return {DeliveryState::failed, now};
    }
    return {DeliveryState::retrying, now + retry_delay(attempts, s, draw)};
}

bool RateLimit::take(const std::string& target, WallTime now) {
    auto& times = recent_[target];
    while (!times.empty() && now - times.front() >= std::chrono::minutes(1)) {
        times.pop_front();
    }
    if (times.size() >= per_minute_) {
        return false;
    }
    times.push_back(now);
    return true;
}

WallTime RateLimit::next_free(const std::string& target, WallTime now) const {
    const auto it = recent_.find(target);
    if (it == recent_.end() || it->second.size() < per_minute_) {
        return now;
    }
    // Not before `now`: a slot whose minute ended while nothing was taken is free now.
    return std::max(now, it->second.front() + std::chrono::minutes(1));
}

}  // namespace opel::notifyd

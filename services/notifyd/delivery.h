// How often and how soon deliveries are attempted (issue 14): backoff with jitter between
// attempts, giving up, and a per-receiver rate limit. Pure: times and the random draw are
// passed in.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <string>

#include "adapters/config/notify_settings.h"

namespace opel::notifyd {

using Millis = std::chrono::milliseconds;
// Wall-clock milliseconds since the Unix epoch (outbox times).
using WallTime = std::chrono::time_point<std::chrono::system_clock, Millis>;

// A delivery's state in the outbox.
enum class DeliveryState { pending, retrying, sent, failed };
std::string_view to_string(DeliveryState state);

// What one attempt came to.
struct Attempt {
    enum class Outcome { sent, retry, failed };
    Outcome outcome = Outcome::retry;
    std::string detail;  // "HTTP 503", "connection refused", "SMTP 550 mailbox unavailable"
};

// The wait before the next attempt after `attempts` failed ones: first_retry doubled per
// attempt up to max_retry, times a jitter factor 0.8..1.2 from `draw` (0..1).
Millis retry_delay(int attempts, const config::DeliverySettings& settings, double draw);

// After a failed attempt at `now`, the state and next attempt time: retrying at now + delay,
// or failed when the delivery was created give_up_after ago or earlier, or when the
// receiver answered that retrying cannot help.
struct Next {
    DeliveryState state = DeliveryState::retrying;
    WallTime at;
};
Next after_failure(const Attempt& attempt, int attempts, WallTime created, WallTime now,
                   const config::DeliverySettings& settings, double draw);

// At most `per_minute` attempts per receiver in any minute; the rest wait.
class RateLimit {
public:
    explicit RateLimit(std::uint32_t per_minute) : per_minute_(per_minute) {}
    // Takes a slot for `target` at `now` if there is one; otherwise says when one frees.
    bool take(const std::string& target, WallTime now);
    WallTime next_free(const std::string& target, WallTime now) const;

private:
    std::uint32_t per_minute_;
    std::map<std::string, std::deque<WallTime>, std::less<>> recent_;
};

}  // namespace opel::notifyd

// systemd's service notifications (sd_notify, libsystemd) for a daemon driven by an
// io_context: READY=1 once it serves, RELOADING=1 / READY=1 around a configuration reload,
// STOPPING=1 when it stops, and WATCHDOG=1 at half of the unit's WatchdogSec from a timer on
// the daemon's own loop, so a loop that stops turning stops the pings and systemd restarts the
// service. Outside systemd (no $NOTIFY_SOCKET) every call does nothing.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <optional>
#include <string_view>

namespace opel::systemd {

class Notifier {
public:
    // Reads the watchdog interval systemd gave ($WATCHDOG_USEC for this process), if any.
    explicit Notifier(boost::asio::io_context& io);
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    // READY=1 with a one-line STATUS; starts the watchdog pings when systemd asked for them.
    void ready(std::string_view status);
    // RELOADING=1 before a reload; ready() again after it.
    void reloading();
    // STOPPING=1; the pings end.
    void stopping();
    // The interval between pings (half of WatchdogSec), or none without a watchdog.
    std::optional<std::chrono::microseconds> ping_interval() const { return interval_; }

private:
    void ping();

    boost::asio::steady_timer timer_;
    std::optional<std::chrono::microseconds> interval_;
    bool pinging_ = false;
};

}  // namespace opel::systemd

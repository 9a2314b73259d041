#include "adapters/systemd/notify.h"

#include <systemd/sd-daemon.h>

#include <string>

namespace opel::systemd {

Notifier::Notifier(boost::asio::io_context& io) : timer_(io) {
    std::uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        interval_ = std::chrono::microseconds(usec / 2);
    }
}

Notifier::~Notifier() { timer_.cancel(); }

void Notifier::ready(std::string_view status) {
    const std::string message = "READY=1\nSTATUS=" + std::string(status);
    sd_notify(0, message.c_str());
    if (interval_ && !pinging_) {
        pinging_ = true;
        ping();
    }
}

void Notifier::reloading() { sd_notify(0, "RELOADING=1"); }

void Notifier::stopping() {
    pinging_ = false;
    timer_.cancel();
    sd_notify(0, "STOPPING=1");
}

void Notifier::ping() {
    if (!pinging_) {
        return;
    }
    sd_notify(0, "WATCHDOG=1");
    timer_.expires_after(*interval_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) {
            ping();
        }
    });
}

}  // namespace opel::systemd

// The notifier against a stand-in for systemd: a datagram socket named by $NOTIFY_SOCKET, as
// systemd gives a Type=notify service, and $WATCHDOG_USEC as WatchdogSec sets it.
#include "adapters/systemd/notify.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>

namespace opel::systemd {
namespace {

using namespace std::chrono_literals;

class NotifierTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = (std::filesystem::temp_directory_path() /
                 ("opel-notify-" + std::to_string(::getpid()) + ".sock"))
                    .string();
        ::unlink(path_.c_str());
        fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ASSERT_GE(fd_, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        ASSERT_LT(path_.size(), sizeof address.sun_path);
        std::memcpy(address.sun_path, path_.c_str(), path_.size());
        ASSERT_EQ(::bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
        ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
    }
    void TearDown() override {
        ::unsetenv("NOTIFY_SOCKET");
        ::unsetenv("WATCHDOG_USEC");
        ::close(fd_);
        ::unlink(path_.c_str());
    }
    // The next datagram "systemd" received, or none within `timeout`.
    std::optional<std::string> next(std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
            return std::nullopt;
        }
        char buffer[512];
        const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        return n < 0 ? std::nullopt
                     : std::optional<std::string>(std::string(buffer, std::size_t(n)));
    }

    std::string path_;
    int fd_ = -1;
};

TEST_F(NotifierTest, SaysReadyWithItsStatusThenReloadingAndStopping) {
    boost::asio::io_context io;
    Notifier notifier(io);
    EXPECT_FALSE(notifier.ping_interval());  // no WatchdogSec
    notifier.ready("serving: submit tcp://127.0.0.1:5560");
    EXPECT_EQ(next(5s), "READY=1\nSTATUS=serving: submit tcp://127.0.0.1:5560");
    notifier.reloading();
    EXPECT_EQ(next(5s), "RELOADING=1");
    notifier.stopping();
    EXPECT_EQ(next(5s), "STOPPING=1");
}

TEST_F(NotifierTest, PingsTheWatchdogAtHalfItsIntervalWhileTheLoopTurns) {
    ::setenv("WATCHDOG_USEC", "100000", 1);  // WatchdogSec=100ms
    boost::asio::io_context io;
    Notifier notifier(io);
    ASSERT_TRUE(notifier.ping_interval());
    EXPECT_EQ(*notifier.ping_interval(), 50ms);
    notifier.ready("serving");
    EXPECT_EQ(next(5s), "READY=1\nSTATUS=serving");
    EXPECT_EQ(next(5s), "WATCHDOG=1");  // the first, at once
    io.run_for(120ms);                  // two intervals: at least one more
    EXPECT_EQ(next(5s), "WATCHDOG=1");
    notifier.stopping();
    io.run_for(120ms);  // nothing more after stopping but STOPPING=1
    std::optional<std::string> last;
    while (auto m = next(0ms)) {
        last = m;
    }
    EXPECT_EQ(last, "STOPPING=1");
}

TEST(NotifierOutsideSystemdTest, DoesNothingWithoutANotifySocket) {
    ::unsetenv("NOTIFY_SOCKET");
    boost::asio::io_context io;
    Notifier notifier(io);
    notifier.ready("serving");  // no socket to write to: nothing happens, nothing throws
    notifier.stopping();
    EXPECT_FALSE(notifier.ping_interval());
}

}  // namespace
}  // namespace opel::systemd

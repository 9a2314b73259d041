#include "support/notifyd.h"

#include <csignal>
#include <thread>

#include "support/daemon.h"

namespace opel::testing {

Notifyd::Notifyd(const std::filesystem::path& dir, const std::filesystem::path& config,
                 const Daemon& escalator, std::vector<std::string> extra_args)
    : MonitoredDaemon(dir, "notifyd", [&] {
          std::vector<std::string> args = {OPEL_NOTIFYD,
                                           "--config",
                                           config.string(),
                                           "--database",
                                           (dir / "notify.db").string(),
                                           "--metrics-address",
                                           "127.0.0.1:0"};
          const std::vector<std::string> endpoints = escalator.endpoint_args();
          args.insert(args.end(), endpoints.begin(), endpoints.end());
          args.insert(args.end(), extra_args.begin(), extra_args.end());
          return args;
      }()) {}

bool Notifyd::reload(std::chrono::seconds timeout) {
    const std::size_t before = log().size();
    signal(SIGHUP);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string since = log().substr(before);
        if (since.find("reload refused") != std::string::npos) {
            return false;
        }
        if (since.find("reload: ") != std::string::npos &&
            since.find("recipient groups") != std::string::npos) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // then read the log again
    }
    return false;
}

}  // namespace opel::testing

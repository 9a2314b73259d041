// opel-notifyd: escalation alerts to people. main() only wires.
#include <sodium.h>
#include <spdlog/logger.h>

#include <exception>
#include <iostream>

#include "adapters/codec/command.h"
#include "adapters/config/loader.h"
#include "adapters/log/log.h"
#include "notifyd/daemon.h"
#include "notifyd/options.h"

int main(int argc, char** argv) try {
    namespace notifyd = opel::notifyd;
    const auto options = notifyd::parse_options({argv + 1, argv + argc});
    if (!options) {
        return opel::options::report(options.error(), std::cout, std::cerr);
    }
    auto log = opel::log::make_logger("notifyd", options->log_format, options->log_level);
    if (!log) {
        std::cerr << "opel-notifyd: SPDLOG_LEVEL: unknown log level\n";
        return opel::options::exit_usage;
    }
    opel::log::warn_if_root(*log);
    if (sodium_init() < 0) {
        log->critical("libsodium cannot start");
        return opel::options::exit_failed;
    }
    const std::string path = opel::options::config_path(options->config);
    auto loaded = opel::config::load_config(path);
    if (!loaded) {
        for (const auto& e : loaded.error()) {
            log->critical("config: {}", e.to_string());
        }
        return opel::options::exit_failed;
    }
    auto notifyd_settings = opel::config::load_notifyd_config(*loaded);
    if (!notifyd_settings) {
        for (const auto& e : notifyd_settings.error()) {
            log->critical("config: {}", e.to_string());
        }
        return opel::options::exit_failed;
    }
    if (!*notifyd_settings) {
        log->critical("config {}: no notifyd section: nothing to deliver to anyone", path);
        return opel::options::exit_failed;
    }
    opel::codec::quiet_protobuf_log();
    return notifyd::run_daemon(*options, *loaded, std::move(**notifyd_settings), *log);
} catch (const std::exception& e) {
    std::cerr << "opel-notifyd: fatal: " << e.what() << '\n';
    return opel::options::exit_failed;
}

// opel-webd: the wallboard. main() only wires.
#include <sodium.h>
#include <spdlog/logger.h>

#include <exception>
#include <iostream>

#include "adapters/codec/command.h"
#include "adapters/config/loader.h"
#include "adapters/log/log.h"
#include "webd/daemon.h"
#include "webd/options.h"

int main(int argc, char** argv) try {
    namespace webd = opel::webd;
    const auto options = webd::parse_options({argv + 1, argv + argc});
    if (!options) {
        return opel::options::report(options.error(), std::cout, std::cerr);
    }
    auto log = opel::log::make_logger("webd", options->log_format, options->log_level);
    if (!log) {
        std::cerr << "opel-webd: SPDLOG_LEVEL: unknown log level\n";
        return opel::options::exit_usage;
    }
    opel::log::warn_if_root(*log);
    if (sodium_init() < 0) {  // password hashes, tokens and session ids
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
    opel::codec::quiet_protobuf_log();
    return webd::run_daemon(*options, *loaded, *log);
} catch (const std::exception& e) {
    std::cerr << "opel-webd: fatal: " << e.what() << '\n';
    return opel::options::exit_failed;
}

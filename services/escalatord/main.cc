// opel-escalatord: ingest sitreps, compute OPEL levels, store, publish. main() only wires.
#include <spdlog/logger.h>

#include <exception>
#include <iostream>

#include "adapters/codec/command.h"
#include "adapters/config/loader.h"
#include "adapters/log/log.h"
#include "escalatord/daemon.h"
#include "escalatord/options.h"

#ifdef OPEL_JEMALLOC
// jemalloc reads this at start-up. One arena: the daemon's allocations come from two
// threads and the heap holds every site's state, so per-thread arenas would only add
// resident memory. Freed pages go back to the system after a second. Chosen over glibc
// malloc, which slows as the heap grows: with 10,000 sites the daemon spent noticeably more
// of its time in it (the measurement is in bench/history.md).
extern "C" {
// NOLINTNEXTLINE(readability-identifier-naming): the name jemalloc looks for
const char* malloc_conf = "narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
constexpr const char* allocator = "jemalloc (narenas:1, dirty_decay_ms:1000)";
#else
constexpr const char* allocator = "the C library's malloc (sanitizer build)";
#endif

int main(int argc, char** argv) try {
    namespace esc = opel::escalatord;
    const auto options = esc::parse_options({argv + 1, argv + argc});
    if (!options) {
        return opel::options::report(options.error(), std::cout, std::cerr);
    }
    auto log = opel::log::make_logger("escalatord", options->log_format, options->log_level);
    if (!log) {
        std::cerr << "opel-escalatord: SPDLOG_LEVEL: unknown log level\n";
        return opel::options::exit_usage;
    }
    opel::log::warn_if_root(*log);
    auto loaded = opel::config::load_config(opel::options::config_path(options->config));
    if (!loaded) {
        for (const auto& e : loaded.error()) {
            log->critical("config: {}", e.to_string());
        }
        return opel::options::exit_failed;
    }
    log->info("allocator: {}", allocator);
    opel::codec::quiet_protobuf_log();
    return esc::run_daemon(*options, std::move(loaded).value(), *log);
} catch (const std::exception& e) {
    std::cerr << "opel-escalatord: fatal: " << e.what() << '\n';
    return opel::options::exit_failed;
}

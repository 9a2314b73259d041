// Named spdlog loggers for the daemons and tools, human or JSON lines (for journald / Loki),
// level from --log-level or SPDLOG_LEVEL. Created in main() and passed down.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <optional>
#include <string>

namespace opel::log {

enum class Format { human, json };

// Parses "human" / "json".
std::optional<Format> parse_format(const std::string& text);

// A logger writing to standard error. `level` ("trace".."critical", "off"); empty = the
// SPDLOG_LEVEL environment variable, else "info". Returns nullptr for an unknown level.
std::shared_ptr<spdlog::logger> make_logger(const std::string& name, Format format,
                                            const std::string& level);

// Logs a warning when the process runs as root (effective uid 0): a daemon needs no
// privileges, and a bug in one running as root is a bug with every file on the machine.
// Returns whether it warned.
bool warn_if_root(spdlog::logger& log);

}  // namespace opel::log

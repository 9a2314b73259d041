// Starting a child program for system tests (the daemon, Prometheus): never outliving the
// test process, its output in a log file.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace opel::testing {

// Forks and executes `args` (args[0] is the program's path). Standard error, and standard
// output too when `stdout_to_log` (else /dev/null), are appended to `log`. The child gets
// SIGKILL when the test process dies. The child's pid, or -1 when fork failed.
pid_t spawn(std::vector<std::string> args, const std::filesystem::path& log, bool stdout_to_log);

}  // namespace opel::testing

// Starting and ending a child program for system tests (the daemon, Prometheus, the
// receivers): never outliving the test process, its output in a log file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace opel::testing {

// Forks and executes `args` (args[0] is the program's path). Standard error, and standard
// output too when `stdout_to_log` (else /dev/null), are appended to `log`. The child gets
// SIGKILL when the test process dies. The child's pid, or -1 when fork failed.
pid_t spawn(std::vector<std::string> args, const std::filesystem::path& log, bool stdout_to_log);

// Ends the child `pid`: SIGTERM, up to `grace` for it to exit, then SIGKILL; reaps it either
// way. False when it had to be killed.
bool end_child(pid_t pid, std::chrono::milliseconds grace);

// Waits up to `timeout` for the child `pid` to exit and reaps it: its exit code (128 + the
// signal when a signal ended it), or none when it was still running and had to be killed.
std::optional<int> wait_child(pid_t pid, std::chrono::milliseconds timeout);

}  // namespace opel::testing

#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

namespace opel::testing {
namespace {

// Waits up to `timeout` for `pid` to exit and reaps it, its wait status in `status`; false if
// it is still running.
bool reap(pid_t pid, std::chrono::milliseconds timeout, int& status) {
    const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd >= 0) {  // readable when the process exits
        pollfd p{fd, POLLIN, 0};
        ::poll(&p, 1, static_cast<int>(timeout.count()));
        ::close(fd);
    }
    return ::waitpid(pid, &status, WNOHANG) == pid;
}

}  // namespace

pid_t spawn(std::vector<std::string> args, const std::filesystem::path& log, bool stdout_to_log) {
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (std::string& a : args) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    const int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid == 0) {
        // The child must not outlive the test process, whatever happens to it.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) {
            ::_exit(127);
        }
        ::dup2(log_fd, STDERR_FILENO);
        ::dup2(stdout_to_log ? log_fd : ::open("/dev/null", O_WRONLY), STDOUT_FILENO);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    ::close(log_fd);
    return pid < 0 ? -1 : pid;
}

bool end_child(pid_t pid, std::chrono::milliseconds grace) {
    if (pid <= 0) {
        return true;
    }
    ::kill(pid, SIGTERM);
    int status = 0;
    if (reap(pid, grace, status)) {
        return true;
    }
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    return false;
}

std::optional<int> wait_child(pid_t pid, std::chrono::milliseconds timeout) {
    int status = 0;
    if (!reap(pid, timeout, status)) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        return std::nullopt;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace opel::testing

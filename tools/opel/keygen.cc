// opel keygen: a CURVE key pair for ZeroMQ (issue 16): the public key goes into a daemon's
// allow-list (or a client's configuration), the secret key stays with its owner. Each is one
// line of Z85 text (40 characters) in a file created 0600 and never overwritten.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "cli.h"

namespace opel::cli {
namespace {

constexpr const char* help = R"(usage: opel keygen --public FILE --secret FILE

Makes a CURVE key pair (ZeroMQ's zmq_curve_keypair: Curve25519, written in Z85) and writes
each key as one line to its file, created with mode 0600 whatever the umask. Give the public
key to whoever configures the daemon (or the client) that must recognise this one; keep the
secret key where only its owner can read it. Nothing is overwritten: if either file exists,
neither is written.

  --public FILE   where the public key goes
  --secret FILE   where the secret key goes

Exit 0 with "wrote ..."; 1 when a file exists or cannot be written, or this libzmq has no
CURVE (nothing is left behind); 2 for usage errors.
)";

}  // namespace

Result<std::monostate, std::string> write_new(const std::string& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR);
    if (fd < 0) {
        return unexpected("cannot create " + path + ": " + std::strerror(errno));
    }
    const bool ok = ::fchmod(fd, S_IRUSR | S_IWUSR) == 0 &&
                    ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                    ::fsync(fd) == 0;
    const int saved = errno;
    ::close(fd);
    if (!ok) {
        ::unlink(path.c_str());
        return unexpected("cannot write " + path + ": " + std::strerror(saved));
    }
    return std::monostate{};
}

int keygen_main(const std::vector<std::string>& argv) {
    std::optional<std::string> public_file, secret_file;
    options::CommandLine cl("opel keygen", help);
    cl.text("--public", public_file);
    cl.text("--secret", secret_file);
    if (auto stop = cl.parse(argv)) {
        return options::report(*stop, std::cout, std::cerr);
    }
    if (!public_file || !secret_file) {
        return options::report(cl.usage_error("--public FILE and --secret FILE are required"),
                               std::cout, std::cerr);
    }
    if (*public_file == *secret_file) {
        return options::report(cl.usage_error("--public and --secret name the same file"),
                               std::cout, std::cerr);
    }
    for (const std::string* file : {&*public_file, &*secret_file}) {
        std::error_code ec;
        if (std::filesystem::exists(*file, ec)) {
            std::cerr << "opel keygen: " << *file
                      << " exists; nothing written (remove it or choose another name)\n";
            return exit_failed;
        }
    }
    std::array<char, 41> public_key{};
    std::array<char, 41> secret_key{};
    if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0) {
        std::cerr << "opel keygen: this libzmq cannot make CURVE keys: "
                  << zmq_strerror(zmq_errno()) << '\n';
        return exit_failed;
    }
    auto secret = write_new(*secret_file, std::string(secret_key.data()) + "\n");
    if (!secret) {
        std::cerr << "opel keygen: " << secret.error() << '\n';
        return exit_failed;
    }
    auto written = write_new(*public_file, std::string(public_key.data()) + "\n");
    if (!written) {
        ::unlink(secret_file->c_str());
        std::cerr << "opel keygen: " << written.error() << "; nothing written\n";
        return exit_failed;
    }
    std::cout << "wrote " << *public_file << " (public key) and " << *secret_file
              << " (secret key, mode 0600)\n";
    return exit_ok;
}

}  // namespace opel::cli

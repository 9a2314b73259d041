// A stand-in for libFuzzer's driver, linked into the fuzz targets in builds without
// libFuzzer (gcc: the dev and ci presets), so CI runs every target under ASan+UBSan:
//   fuzz_x [-seconds=N] [-seed=S] CORPUS_DIR_OR_FILE...
// It runs every corpus input once, then, for N seconds (default 0), mutations of them
// (bit flips, byte changes, insertions, deletions, truncation, splices of two inputs) from a
// fixed seed, so a failure reproduces. The input that crashes is written to
// ./fuzz-crash-input (on abort, a fatal signal or a sanitizer report). Real coverage-guided
// fuzzing is tools/dev/fuzz (libFuzzer).
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

#if defined(__SANITIZE_ADDRESS__)
extern "C" void __sanitizer_set_death_callback(void (*callback)());
#endif

namespace {

const std::string* current = nullptr;  // the input being run

// Async-signal-safe: open and write only.
void keep_current() {
    if (current == nullptr) {
        return;
    }
    const int fd = ::open("fuzz-crash-input", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        (void)!::write(fd, current->data(), current->size());
        ::close(fd);
    }
    current = nullptr;
}

extern "C" void on_fatal_signal(int signal) {
    keep_current();
    std::signal(signal, SIG_DFL);
    std::raise(signal);
}

void run(const std::string& input) {
    current = &input;
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
    current = nullptr;
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string mutate(std::string s, const std::vector<std::string>& corpus, std::mt19937_64& rng) {
    const auto pick = [&rng](std::size_t n) {
        return n == 0 ? std::size_t{0} : static_cast<std::size_t>(rng() % n);
    };
    const int steps = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < steps; ++i) {
        switch (rng() % 6) {
            case 0:
                if (!s.empty()) {
                    char& c = s[pick(s.size())];
                    c = static_cast<char>(static_cast<unsigned char>(c) ^ (1U << (rng() % 8)));
                }
                break;
            case 1:
                if (!s.empty()) {
                    s[pick(s.size())] = static_cast<char>(rng());
                }
                break;
            case 2:
                s.insert(pick(s.size() + 1), 1 + pick(8), static_cast<char>(rng()));
                break;
            case 3:
                if (!s.empty()) {
                    const std::size_t at = pick(s.size());
                    s.erase(at, 1 + pick(8));
                }
                break;
            case 4:
                s.resize(pick(s.size() + 1));
                break;
            default: {
                const std::string& other = corpus[pick(corpus.size())];
                const std::size_t from = pick(other.size() + 1);
                s.insert(pick(s.size() + 1), other.substr(from, pick(other.size() - from + 1)));
            }
        }
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    for (const int signal : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL}) {
        std::signal(signal, on_fatal_signal);
    }
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_set_death_callback(keep_current);
#endif
    if (LLVMFuzzerInitialize != nullptr) {
        LLVMFuzzerInitialize(&argc, &argv);
    }
    double seconds = 0;
    std::uint64_t seed = 1;
    std::vector<std::string> corpus;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg.rfind("-seconds=", 0) == 0) {
            seconds = std::stod(std::string(arg.substr(9)));
        } else if (arg.rfind("-seed=", 0) == 0) {
            seed = std::stoull(std::string(arg.substr(6)));
        } else if (std::filesystem::is_directory(arg)) {
            for (const auto& entry : std::filesystem::directory_iterator(arg)) {
                corpus.push_back(read_file(entry.path()));
            }
        } else {
            corpus.push_back(read_file(std::string(arg)));
        }
    }
    if (corpus.empty()) {
        corpus.emplace_back();
    }
    for (const std::string& input : corpus) {
        run(input);
    }
    std::mt19937_64 rng(seed);
    std::uint64_t executions = corpus.size();
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
        for (int i = 0; i < 64; ++i, ++executions) {
            run(mutate(corpus[static_cast<std::size_t>(rng() % corpus.size())], corpus, rng));
        }
    }
    std::cout << argv[0] << ": " << executions << " executions (" << corpus.size()
              << " corpus inputs, " << seconds << " s of mutations, seed " << seed
              << "), no crash\n";
    return 0;
}

// Fuzz target: the configuration loader. A copy of the system tests' configuration is made
// once; each input replaces one of its files (the first byte picks which) and the whole
// configuration is loaded. The loader never crashes, and every problem names a file of the
// configuration with a line number that is not negative.
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "adapters/config/loader.h"

namespace {

namespace fs = std::filesystem;

fs::path& config_dir() {
    static fs::path dir;
    return dir;
}

std::vector<fs::path>& files() {
    static std::vector<fs::path> list;
    return list;
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    google::protobuf::SetLogHandler(nullptr);
    config_dir() =
        fs::temp_directory_path() / ("opel-fuzz-config-" + std::to_string(std::random_device{}()));
    fs::copy(OPEL_FUZZ_CONFIG, config_dir(), fs::copy_options::recursive);
    for (const auto& entry : fs::recursive_directory_iterator(config_dir())) {
        if (entry.is_regular_file()) {
            files().push_back(entry.path());
        }
    }
    std::atexit([] { fs::remove_all(config_dir()); });
    return 0;
}

// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const fs::path& target = files()[data[0] % files().size()];
    std::string original;
    {
        std::ifstream in(target, std::ios::binary);
        original.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    {
        std::ofstream out(target, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data) + 1, static_cast<std::streamsize>(size - 1));
    }
    const auto loaded = opel::config::load_config(config_dir());
    if (!loaded) {
        for (const opel::config::ConfigError& e : loaded.error()) {
            if (e.line < 0 || e.column < 0 || e.message.empty()) {
                std::abort();
            }
        }
    }
    std::ofstream restore(target, std::ios::binary | std::ios::trunc);
    restore << original;
    return 0;
}

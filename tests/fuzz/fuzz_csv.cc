// Fuzz target: the sitrep CSV reader never crashes, and every row it returns has a line
// number within the input, in order.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/codec/csv.h"

// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    int previous = 0;
    for (const opel::codec::CsvRow& row : opel::codec::sitreps_from_csv(text)) {
        if (row.line < 1 || row.line < previous) {
            std::abort();
        }
        previous = row.line;
    }
    return 0;
}

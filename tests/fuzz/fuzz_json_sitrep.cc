// Fuzz target: the JSON sitrep reader never crashes, and what it accepts survives the round
// trip through the wire types and back to JSON unchanged.
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"

// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    google::protobuf::SetLogHandler(nullptr);
    return 0;
}

// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const opel::codec::SitrepResult sitrep = opel::codec::sitrep_from_json(text);
    if (!sitrep) {
        if (sitrep.error().empty()) {
            std::abort();  // a rejection always says why
        }
        return 0;
    }
    const std::string json = opel::codec::to_json(opel::codec::to_proto(*sitrep));
    const opel::codec::SitrepResult again = opel::codec::sitrep_from_json(json);
    if (!again || !again->same_content(*sitrep) || again->submission_id != sitrep->submission_id) {
        std::abort();
    }
    return 0;
}

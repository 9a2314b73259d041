// Fuzz target, differential: the fast path for sitrep JSON lines (SitrepJsonDecoder) against
// protobuf's JSON parser (sitrep_from_json). Whatever the fast path takes, protobuf reads
// with the same values, measures to the bit; and decode() always gives protobuf's answer.
#include <google/protobuf/stubs/logging.h>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/codec/json.h"

namespace {

void require(bool ok) {
    if (!ok) {
        std::abort();
    }
}

bool same(const opel::codec::SitrepResult& a, const opel::codec::SitrepResult& b) {
    if (!a || !b) {
        return !a && !b && a.error() == b.error();
    }
    if (a->site_id != b->site_id || a->as_at != b->as_at || a->submission_id != b->submission_id ||
        a->declared_level != b->declared_level || a->declared_reason != b->declared_reason ||
        a->comment != b->comment || a->measures.size() != b->measures.size()) {
        return false;
    }
    for (const auto& [name, value] : a->measures) {
        const auto it = b->measures.find(name);
        if (it == b->measures.end() ||
            std::bit_cast<std::uint64_t>(it->second) != std::bit_cast<std::uint64_t>(value)) {
            return false;
        }
    }
    return true;
}

}  // namespace

// protobuf logs every string with invalid UTF-8 it parses: silenced, or logging is the run.
// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    google::protobuf::SetLogHandler(nullptr);
    return 0;
}

// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static opel::codec::SitrepJsonDecoder decoder;  // kept, as evaluate keeps it
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const opel::codec::SitrepResult slow = opel::codec::sitrep_from_json(text);
    if (const auto fast = decoder.decode_fast(text)) {
        require(same(opel::codec::SitrepResult(*fast), slow));
    }
    require(same(decoder.decode(text), slow));
    return 0;
}

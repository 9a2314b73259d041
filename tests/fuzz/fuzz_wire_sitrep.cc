// Fuzz target, differential: the strict wire decoder against protobuf's parser. Whatever the
// strict decoder accepts, protobuf accepts with the same values; whatever protobuf rejects,
// the strict decoder rejects.
#include <google/protobuf/stubs/logging.h>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "adapters/codec/proto.h"
#include "adapters/codec/wire.h"

namespace {

void require(bool ok) {
    if (!ok) {
        std::abort();
    }
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
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    const opel::codec::SitrepResult strict = opel::codec::decode_sitrep(bytes);
    opel::v1::Sitrep parsed;
    const bool protobuf_parses = parsed.ParseFromString(bytes);
    if (!protobuf_parses) {
        require(!strict.has_value());
        return 0;
    }
    if (!strict.has_value()) {
        return 0;  // stricter than protobuf: allowed
    }
    const opel::codec::SitrepResult slow = opel::codec::from_proto(parsed);
    require(slow.has_value());
    const opel::engine::Sitrep& a = *strict;
    const opel::engine::Sitrep& b = *slow;
    require(a.site_id == b.site_id && a.as_at == b.as_at && a.submission_id == b.submission_id &&
            a.declared_level == b.declared_level && a.declared_reason == b.declared_reason &&
            a.comment == b.comment && a.measures.size() == b.measures.size());
    for (const auto& [name, value] : b.measures) {
        const auto it = a.measures.find(name);
        require(it != a.measures.end() &&
                std::bit_cast<std::uint64_t>(it->second) == std::bit_cast<std::uint64_t>(value));
    }
    return 0;
}

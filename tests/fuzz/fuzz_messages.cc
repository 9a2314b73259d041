// Fuzz target: the decoders of bytes a daemon reads back or is sent besides sitreps: snapshot
// requests (from any client), stored node states and stored publications (from the
// database, which an operator may have restored or edited), and stored replies. The first
// byte picks the decoder. None may crash; a snapshot request is accepted exactly when
// protobuf's parser accepts it, with the same subtree.
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/codec/messages.h"
#include "opel/v1/feed.pb.h"

// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    google::protobuf::SetLogHandler(nullptr);
    return 0;
}

// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
        case 0: {
            const auto subtree = opel::codec::snapshot_subtree(bytes);
            opel::v1::SnapshotRequest request;
            const bool parses =
                request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
            if (parses != subtree.has_value() || (parses && request.subtree() != *subtree)) {
                std::abort();
            }
            break;
        }
        case 1:
            (void)opel::codec::decode_node_state(bytes);
            break;
        case 2:
            (void)opel::codec::result_of_publication(bytes);
            break;
        default:
            (void)opel::codec::duplicate_reply(bytes, bytes);
    }
    return 0;
}

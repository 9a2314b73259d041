// Fuzz target: the decoders of bytes a daemon reads back or is sent besides sitreps: snapshot
// and query requests (from any client), stored node states and stored publications (from the
// database, which an operator may have restored or edited), and stored replies. The first
// byte picks the decoder. None may crash; a snapshot request is accepted exactly when
// protobuf's parser accepts it, with the same subtree; an accepted query has a limit within
// bounds and a time range that does not run backwards; an accepted command (acknowledgement,
// declaration or unacknowledged report) reads back the same from the request a client would
// build of it; a command's reply is read as done, refused or retry without crashing.
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/codec/command.h"
#include "adapters/codec/messages.h"
#include "adapters/codec/query.h"
#include "adapters/codec/wire.h"
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
    switch (data[0] % 9) {
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
        case 3: {
            const auto ask = opel::codec::read_query(bytes);
            if (ask && (ask->limit == 0 || ask->limit > opel::codec::max_query_limit ||
                        (ask->from && ask->to && *ask->to < *ask->from))) {
                std::abort();
            }
            break;
        }
        case 4:
            (void)opel::codec::duplicate_reply(bytes, bytes);
            break;
        case 5: {
            const auto ack = opel::codec::decode_acknowledgement(bytes);
            if (ack) {
                const std::string again = opel::codec::acknowledgement_request(*ack);
                const auto body = opel::codec::request_body(again);
                const auto back = body ? opel::codec::decode_acknowledgement(body->bytes)
                                       : opel::unexpected(opel::codec::CommandErrors{});
                if (!back || back->transition_id != ack->transition_id || back->by != ack->by ||
                    back->note != ack->note) {
                    std::abort();
                }
                (void)opel::engine::parse_transition_id(ack->transition_id);
            }
            break;
        }
        case 6: {
            const auto r = opel::codec::decode_unacknowledged(bytes);
            if (r) {
                const std::string again = opel::codec::unacknowledged_request(*r);
                const auto body = opel::codec::request_body(again);
                const auto back = body ? opel::codec::decode_unacknowledged(body->bytes)
                                       : opel::unexpected(opel::codec::CommandErrors{});
                if (!back || *back != *r) {
                    std::abort();
                }
                (void)opel::engine::command_key(*r);
            }
            break;
        }
        case 7:
            (void)opel::codec::read_command_reply(bytes);
            break;
        default: {
            const auto d = opel::codec::decode_declaration(bytes);
            if (d) {
                const std::string again =
                    opel::codec::declaration_request(d->declaration, d->declaration_id);
                const auto body = opel::codec::request_body(again);
                const auto back = body ? opel::codec::decode_declaration(body->bytes)
                                       : opel::unexpected(opel::codec::CommandErrors{});
                if (!back || back->declaration != d->declaration ||
                    back->declaration_id != d->declaration_id) {
                    std::abort();
                }
                (void)opel::engine::command_key(d->declaration, d->declaration_id);
            }
        }
    }
    return 0;
}

// The hand-written protobuf wire codec for the daemon's hot path (wire_decode.cc,
// wire_encode.cc). It writes and reads opel.v1 bytes straight from and into engine values;
// wire_test checks it against protobuf's own parser and serializer, and fuzz_wire_sitrep
// against the parser. Needs no generated header: callers stay free of protobuf.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/codec/decoded.h"
#include "base/time.h"
#include "engine/node_result.h"

namespace opel::codec {

// --- decoding (wire_decode.cc) ---
// Whatever the decoder accepts, protobuf's parser accepts too, with the same values; what
// protobuf would quietly read as something else (a known field of the wrong wire type, an
// integer out of range, a field or measure given twice, a map entry without a value) is an
// error naming the field, and undecodable bytes are an error naming the byte offset and the
// field number.
//
// What a serialized opel.v1.SubmitRequest carries: its one body, a view into it.
enum class RequestKind { sitrep, acknowledgement, declaration, unacknowledged };
struct RequestBody {
    RequestKind kind = RequestKind::sitrep;
    std::string_view bytes;  // the serialized Sitrep, Acknowledgement or Declaration
};
Result<RequestBody, engine::FieldError> request_body(std::string_view request);
// The serialized opel.v1.Sitrep inside a serialized opel.v1.SubmitRequest (a view into it);
// a command is an error here.
Result<std::string_view, engine::FieldError> sitrep_of_request(std::string_view request);
// Decodes a serialized opel.v1.Sitrep; `base` is its offset in the request, for messages.
SitrepResult decode_sitrep(std::string_view sitrep, std::size_t base = 0);
// The offset of the first byte of `text` that is not valid UTF-8 (RFC 3629), if any.
std::optional<std::size_t> invalid_utf8_at(std::string_view text);
// A wire Timestamp as the engine's time: years 1-9999 and nanos 0..999999999, else an
// as_at / invalid_time error.
Result<TimePoint, engine::FieldError> time_from_wire(std::int64_t seconds, std::int32_t nanos);

// --- encoding (wire_encode.cc) ---
// A protobuf parser takes a message's fields in any order, so appending a serialized field
// to a serialized message is the same as setting that field: a result is serialized once
// and its bytes reused in the publication, the reply and the store.
//
// Appends field `number` (a message, string or bytes field) holding `bytes`.
void append_field(std::string& message, int number, std::string_view bytes);
// A serialized opel.v1.Publication: `sequence`, `status` = the serialized NodeResult, and
// `epoch`.
std::string status_publication(std::uint64_t sequence, std::string_view node_result,
                               std::uint64_t epoch);
// The serialized opel.v1.NodeResult of `result`: the same bytes as protobuf's serialization
// of to_proto(result), with no message objects and no string copies.
std::string encode_result(const engine::NodeResult& result);

}  // namespace opel::codec

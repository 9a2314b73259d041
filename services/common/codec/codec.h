// Translation between the wire (opel.v1 protobuf, its JSON mapping, and sitrep CSV) and the
// engine's plain types. The only place outside main.cc/tools that knows both sides.
// Decoding never throws: problems come back as FieldErrors naming the field (or CSV line).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result/result.h"
#include "engine/engine.h"
#include "opel/v1/event.pb.h"
#include "opel/v1/reply.pb.h"
#include "opel/v1/result.pb.h"
#include "opel/v1/sitrep.pb.h"
#include "opel/v1/state.pb.h"

namespace opel::codec {

using SitrepResult = Result<engine::Sitrep, std::vector<engine::FieldError>>;

// Decodes a wire sitrep. Only a malformed timestamp can fail here; content rules are the
// engine's validate_sitrep.
SitrepResult from_proto(const v1::Sitrep& sitrep);

// Parses one JSON object in the protobuf JSON mapping of opel.v1.Sitrep.
SitrepResult sitrep_from_json(std::string_view json);

// One row of a sitrep CSV file: its 1-based line number and the decoded sitrep or errors.
struct CsvRow {
    int line = 0;
    SitrepResult sitrep;
    // When a cell could not be read: the row without that cell, so a caller with the
    // configuration can name the row's other problems in the same run.
    std::optional<engine::Sitrep> partial;
};

// Parses a CSV text with header `site_id,as_at,<measure>,...` (optional columns:
// submission_id, declared_level, declared_reason, comment; an empty cell = measure absent).
// Strict RFC 4180 (csv.cc, libcsv): a field with a comma, quote or line break is quoted whole
// and its quotes doubled; a stray or unterminated quote is an error on the line where its
// record (or field) starts, and no row is ever merged into another. A leading UTF-8
// byte-order mark (Excel's "CSV UTF-8") is skipped. A bad header yields one row with its
// line and the errors.
std::vector<CsvRow> sitreps_from_csv(std::string_view text);

v1::Sitrep to_proto(const engine::Sitrep& sitrep);

v1::Status to_proto(engine::Status status);
engine::Status from_proto(v1::Status status);
v1::NodeResult to_proto(const engine::NodeResult& result);
v1::Event to_proto(const engine::Event& event);
// The same into an existing (empty) message, e.g. one on a protobuf Arena.
void to_proto(const engine::NodeResult& result, v1::NodeResult& out);
void to_proto(const engine::Event& event, v1::Event& out);
void to_proto(const engine::NodeSnapshot& snapshot, v1::NodeState& out);
v1::SubmitError to_proto(const engine::FieldError& error);

// Results and stored state back to the engine (restart, clients). Unknown enum values map to
// UNKNOWN / site; text fields are copied as they are.
engine::NodeResult from_proto(const v1::NodeResult& result);
engine::Event from_proto(const v1::Event& event);
v1::NodeState to_proto(const engine::NodeSnapshot& snapshot);
engine::NodeSnapshot from_proto(const v1::NodeState& state);

// The reply for an engine outcome (sequence is the caller's: 0 offline). With
// `with_result` false the site result is left out (a caller that has it serialized already
// appends it with append_field).
v1::SubmitReply to_reply(const engine::SubmitOutcome& outcome, std::string_view site_id,
                         std::uint64_t sequence, bool with_result = true);

// Wire-level composition, so a result is serialized once and its bytes reused: a protobuf
// parser takes a message's fields in any order, so appending a serialized field to a
// serialized message is the same as setting that field.
// Appends field `number` (a message, string or bytes field) holding `bytes`.
void append_field(std::string& message, int number, std::string_view bytes);
// A serialized opel.v1.Publication: `sequence`, `status` = the serialized NodeResult, and
// `epoch`.
std::string status_publication(std::uint64_t sequence, std::string_view node_result,
                               std::uint64_t epoch);
// The serialized opel.v1.NodeResult of `result`: the same bytes as protobuf's serialization
// of to_proto(result), written straight from the engine's result (the daemon's hot path:
// no message objects, no string copies).
std::string encode_result(const engine::NodeResult& result);

// The strict wire decoder (wire_decode.cc). Whatever it accepts, protobuf's parser accepts
// too, with the same values; what protobuf would quietly read as something else (a known
// field of the wrong wire type, an integer out of range, a field or measure given twice, a
// map entry without a value) is an error naming the field, and undecodable bytes are an error
// naming the byte offset and the field number.
//
// The serialized opel.v1.Sitrep inside a serialized opel.v1.SubmitRequest (a view into it).
Result<std::string_view, engine::FieldError> sitrep_of_request(std::string_view request);
// Decodes a serialized opel.v1.Sitrep; `base` is its offset in the request, for messages.
SitrepResult decode_sitrep(std::string_view sitrep, std::size_t base = 0);
// The offset of the first byte of `text` that is not valid UTF-8 (RFC 3629), if any.
std::optional<std::size_t> invalid_utf8_at(std::string_view text);
// A wire Timestamp as the engine's time: years 1-9999 and nanos 0..999999999, else an
// as_at / invalid_time error.
Result<TimePoint, engine::FieldError> time_from_wire(std::int64_t seconds, std::int32_t nanos);

// Compact JSON (protobuf JSON mapping, field names as in the .proto, defaults omitted).
std::string to_json(const google::protobuf::Message& message);

}  // namespace opel::codec

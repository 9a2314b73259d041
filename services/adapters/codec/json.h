// JSON in the protobuf JSON mapping (json.cc, google::protobuf::util), and a faster reader
// of sitrep JSON lines with the same results (SitrepJsonDecoder, simdjson).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/codec/decoded.h"

namespace google::protobuf {
class Message;
}

namespace opel::codec {

// Parses one JSON object in the protobuf JSON mapping of opel.v1.Sitrep (field names as in
// the .proto or in lowerCamelCase; unknown fields are an error).
SitrepResult sitrep_from_json(std::string_view json);

// Decodes sitrep JSON lines one after another (a file of them in `opel evaluate`) with the
// results of sitrep_from_json, at a fraction of its cost. protobuf's JSON parser builds its
// type tables and a binary message for every call; here a fast path (simdjson's on-demand
// parser, its buffers kept between calls) reads what sitrep JSON lines hold: the known field
// names, strings without escapes or control characters, plain numbers (integers up to 2^53
// exactly), times written "YYYY-MM-DDTHH:MM:SSZ", each field and measure once. Anything else
// it hands to sitrep_from_json, which decides it and names any error, so the fast path never
// has to say why a text is bad. tests/fuzz/fuzz_json_fast and codec_test check that whatever
// the fast path returns, sitrep_from_json returns too. One owner, one thread.
class SitrepJsonDecoder {
public:
    SitrepJsonDecoder();
    ~SitrepJsonDecoder();
    SitrepJsonDecoder(const SitrepJsonDecoder&) = delete;
    SitrepJsonDecoder& operator=(const SitrepJsonDecoder&) = delete;

    // sitrep_from_json(json).
    SitrepResult decode(std::string_view json);
    // The fast path alone: the sitrep, or nullopt for a text it leaves to protobuf.
    std::optional<engine::Sitrep> decode_fast(std::string_view json);

private:
    class State;
    std::unique_ptr<State> state_;
};

// Compact JSON (protobuf JSON mapping, field names as in the .proto, defaults omitted).
std::string to_json(const google::protobuf::Message& message);

// `text` as a JSON string, quoted and escaped (a text that is not valid UTF-8 has each of its
// non-ASCII bytes written as "?").
std::string json_string(std::string_view text);

}  // namespace opel::codec

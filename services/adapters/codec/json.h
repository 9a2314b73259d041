// JSON in the protobuf JSON mapping (json.cc, google::protobuf::util).
#pragma once

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

// Compact JSON (protobuf JSON mapping, field names as in the .proto, defaults omitted).
std::string to_json(const google::protobuf::Message& message);

}  // namespace opel::codec

// JSON: the protobuf JSON mapping of opel.v1 messages (google::protobuf::util).
#include "adapters/codec/json.h"

#include <google/protobuf/util/json_util.h>

#include "adapters/codec/proto.h"
#include "base/check.h"

namespace opel::codec {
namespace pb = google::protobuf;

SitrepResult sitrep_from_json(std::string_view json) {
    v1::Sitrep sitrep;
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    const auto status = pb::util::JsonStringToMessage(std::string(json), &sitrep, options);
    if (!status.ok()) {
        return unexpected(std::vector<engine::FieldError>{
            {"", "malformed", "not a valid sitrep JSON object: " + std::string(status.message())}});
    }
    return from_proto(sitrep);
}

std::string to_json(const google::protobuf::Message& message) {
    std::string out;
    pb::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    const auto status = pb::util::MessageToJsonString(message, &out, options);
    OPEL_CHECK(status.ok(), "every opel.v1 message has a JSON mapping");
    return out;
}

}  // namespace opel::codec

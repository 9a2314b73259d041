// JSON: the protobuf JSON mapping of opel.v1 messages (google::protobuf::util), and the
// fast path for sitrep JSON lines (simdjson on-demand) that hands everything unusual to it.
#include "adapters/codec/json.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <simdjson.h>

#include <chrono>
#include <cstdint>

#include "adapters/codec/proto.h"
#include "adapters/codec/wire.h"
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

std::string json_string(std::string_view text) {
    pb::Value value;
    std::string utf8(text);
    if (!simdjson::validate_utf8(utf8.data(), utf8.size())) {
        for (char& c : utf8) {
            c = static_cast<unsigned char>(c) < 0x80 ? c : '?';
        }
    }
    value.set_string_value(std::move(utf8));
    return to_json(value);
}

namespace {

namespace dom = simdjson::dom;

// The sitrep's fields, each a bit in the set of those already read.
enum class Field : unsigned {
    site_id = 1U << 0U,
    as_at = 1U << 1U,
    submission_id = 1U << 2U,
    declared_level = 1U << 3U,
    declared_reason = 1U << 4U,
    comment = 1U << 5U,
    measures = 1U << 6U,
};

// A key as protobuf's JSON parser takes it for opel.v1.Sitrep: the .proto name or its
// lowerCamelCase JSON name.
std::optional<Field> field_named(std::string_view key) {
    if (key == "site_id" || key == "siteId") {
        return Field::site_id;
    }
    if (key == "as_at" || key == "asAt") {
        return Field::as_at;
    }
    if (key == "measures") {
        return Field::measures;
    }
    if (key == "submission_id" || key == "submissionId") {
        return Field::submission_id;
    }
    if (key == "declared_level" || key == "declaredLevel") {
        return Field::declared_level;
    }
    if (key == "declared_reason" || key == "declaredReason") {
        return Field::declared_reason;
    }
    if (key == "comment") {
        return Field::comment;
    }
    return std::nullopt;
}

// A JSON number as protobuf's parser reads it into a double. simdjson types a number written
// with '.', 'e' or 'E' (or beyond 64 bits) DOUBLE and reads it correctly rounded, as strtod
// does for protobuf; other integers ("-0" too) it types INT64 or UINT64, which protobuf
// converts, exactly up to 2^53 (beyond, it may refuse them as imprecise: left to it).
std::optional<double> plain_number(dom::element value) {
    if (value.type() == dom::element_type::DOUBLE) {
        return value.get_double().value_unsafe();
    }
    constexpr std::int64_t exact = std::int64_t{1} << 53;
    std::int64_t i = 0;
    if (value.type() != dom::element_type::INT64 || value.get_int64().get(i) != simdjson::SUCCESS ||
        i > exact || i < -exact) {
        return std::nullopt;
    }
    return static_cast<double>(i);
}

// "YYYY-MM-DDTHH:MM:SSZ" with a real date and time of day, years 0001-9999: the form
// protobuf's Timestamp parser reads the same way. Anything else is left to it.
std::optional<TimePoint> plain_time(std::string_view s) {
    if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z') {
        return std::nullopt;
    }
    const auto digits = [s](std::size_t at, std::size_t n) -> std::optional<int> {
        int v = 0;
        for (std::size_t k = at; k < at + n; ++k) {
            if (s[k] < '0' || s[k] > '9') {
                return std::nullopt;
            }
            v = v * 10 + (s[k] - '0');
        }
        return v;
    };
    const auto year = digits(0, 4);
    const auto month = digits(5, 2);
    const auto day = digits(8, 2);
    const auto hour = digits(11, 2);
    const auto minute = digits(14, 2);
    const auto second = digits(17, 2);
    if (!year || !month || !day || !hour || !minute || !second || *year < 1 || *hour > 23 ||
        *minute > 59 || *second > 59) {
        return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year{*year},
                                           std::chrono::month{static_cast<unsigned>(*month)},
                                           std::chrono::day{static_cast<unsigned>(*day)}};
    if (!date.ok()) {
        return std::nullopt;
    }
    const std::int64_t seconds =
        (std::chrono::sys_days{date}.time_since_epoch() + std::chrono::hours{*hour} +
         std::chrono::minutes{*minute} + std::chrono::seconds{*second})
            .count();
    auto time = time_from_wire(seconds, 0);
    return time ? std::optional(*time) : std::nullopt;
}

bool read_measures(dom::element value, engine::Sitrep& out) {
    dom::object measures;
    if (value.get_object().get(measures) != simdjson::SUCCESS) {
        return false;
    }
    for (const dom::key_value_pair entry : measures) {
        const auto number = plain_number(entry.value);
        if (entry.key.empty() || !number || !out.measures.emplace(entry.key, *number).second) {
            return false;  // protobuf refuses a measure given twice, naming it
        }
    }
    return true;
}

// One field's value into `out`; false to leave the whole text to protobuf.
bool read_field(Field field, dom::element value, engine::Sitrep& out) {
    if (field == Field::measures) {
        return read_measures(value, out);
    }
    if (field == Field::declared_level) {
        std::uint64_t level = 0;  // an integer written as one (not "3.0", not "3")
        if (value.type() != dom::element_type::INT64 ||
            value.get_uint64().get(level) != simdjson::SUCCESS || level > UINT32_MAX) {
            return false;
        }
        out.declared_level = static_cast<std::int64_t>(level);
        return true;
    }
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) {
        return false;
    }
    switch (field) {
        case Field::as_at: {
            const auto time = plain_time(text);
            if (!time) {
                return false;
            }
            out.as_at = *time;
            return true;
        }
        case Field::site_id:
            out.site_id = text;
            return true;
        case Field::submission_id:
            out.submission_id = text;
            return true;
        case Field::declared_reason:
            out.declared_reason = text;
            return true;
        default:
            out.comment = text;
            return true;
    }
}

}  // namespace

// simdjson's DOM parser (runtime-dispatched to the machine's SIMD kernel; its buffers grow to
// the longest line and are kept) and the padded copy of the text it reads
// (SIMDJSON_PADDING readable bytes past the end).
class SitrepJsonDecoder::State {
public:
    std::optional<engine::Sitrep> decode_fast(std::string_view json) {
        const std::size_t first = json.find_first_not_of(" \r\n");
        const std::size_t last = json.find_last_not_of(" \r\n");
        if (first == std::string_view::npos || json[first] != '{') {
            return std::nullopt;  // not an object (or a byte-order mark): protobuf says why
        }
        json = json.substr(first, last - first + 1);
        // No escapes: keys and strings are then the bytes between their quotes. No control
        // characters (raw ones are not JSON; tabs between tokens are left to protobuf too).
        for (const char c : json) {
            if (c == '\\' || static_cast<unsigned char>(c) < 0x20) {
                return std::nullopt;
            }
        }
        padded_.assign(json);
        padded_.resize(json.size() + simdjson::SIMDJSON_PADDING);
        dom::object object;
        if (parser_.parse(padded_.data(), json.size(), false).get_object().get(object) !=
            simdjson::SUCCESS) {
            return std::nullopt;
        }
        engine::Sitrep out;
        unsigned seen = 0;
        for (const dom::key_value_pair entry : object) {
            const auto field = field_named(entry.key);
            if (!field || (seen & static_cast<unsigned>(*field)) != 0 ||
                !read_field(*field, entry.value, out)) {
                return std::nullopt;
            }
            seen |= static_cast<unsigned>(*field);
        }
        return out;
    }

private:
    dom::parser parser_;
    std::string padded_;
};

SitrepJsonDecoder::SitrepJsonDecoder() : state_(std::make_unique<State>()) {}
SitrepJsonDecoder::~SitrepJsonDecoder() = default;

SitrepResult SitrepJsonDecoder::decode(std::string_view json) {
    if (auto sitrep = state_->decode_fast(json)) {
        return std::move(*sitrep);
    }
    return sitrep_from_json(json);
}

std::optional<engine::Sitrep> SitrepJsonDecoder::decode_fast(std::string_view json) {
    return state_->decode_fast(json);
}

}  // namespace opel::codec

// The strict wire decoder for submit requests and sitreps (wire.h: sitrep_of_request,
// decode_sitrep). It accepts a subset of what protobuf's parser accepts, with the same values
// (codec_test checks that on random and mutated messages), and rejects, naming the field,
// what protobuf would silently read as something else: a known field of the wrong wire type
// (protobuf keeps it as an unknown field, so "65" sent as a string read as 0), an integer out
// of its field's range (protobuf truncates), a singular field or a measure given twice (the
// last would win), a map entry without its value (it would be 0).
// The read_* functions take a cursor, `std::size_t& at`, on purpose: each read advances it past
// what it consumed, as a stream would, so a caller reads field after field without arithmetic.
#include <google/protobuf/util/time_util.h>

#include <array>
#include <bit>
#include <limits>
#include <optional>
#include <string>

#include "adapters/codec/wire.h"
#include "opel/v1/request.pb.h"

namespace opel::codec {
namespace {

constexpr std::uint32_t wire_varint = 0;
constexpr std::uint32_t wire_fixed64 = 1;
constexpr std::uint32_t wire_length_delimited = 2;
constexpr std::uint32_t wire_fixed32 = 5;

std::string_view wire_type_name(std::uint32_t type) {
    switch (type) {
        case wire_varint:
            return "a varint";
        case wire_fixed64:
            return "a fixed64";
        case wire_length_delimited:
            return "length-delimited bytes";
        case wire_fixed32:
            return "a fixed32";
        default:
            return "a group";
    }
}

// Reads a varint at `at` into `value`, advancing `at`; false when truncated or longer than
// 10 bytes (bits past 64 are dropped, as protobuf does). An out parameter rather than an
// optional: this runs for every tag and length of every sitrep, and the optional came back
// through memory (the replay benchmark's profile, bench/history.md).
inline bool read_varint(std::string_view in, std::size_t& at, std::uint64_t& value) {
    // Tags, lengths and small values are one byte: most varints of a sitrep.
    if (at < in.size() && (static_cast<unsigned char>(in[at]) & 0x80) == 0) {
        value = static_cast<unsigned char>(in[at++]);
        return true;
    }
    value = 0;
    for (int shift = 0; shift < 70 && at < in.size(); shift += 7) {
        const auto byte = static_cast<unsigned char>(in[at++]);
        if (shift < 64) {
            value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        }
        if ((byte & 0x80) == 0) {
            return true;
        }
    }
    return false;
}

// One field of a message: its number, wire type, value (varint, or a fixed type's bits) or
// bytes (length-delimited), and where its tag starts in the whole request.
struct WireField {
    std::uint64_t number = 0;
    std::uint32_t type = 0;
    std::uint64_t value = 0;
    std::string_view bytes;
    std::size_t offset = 0;
};

// Why the bytes at an offset cannot be read as a field.
struct Undecodable {
    std::size_t offset = 0;
    std::string why;
};

// Reads a tag or a length at `at`: protobuf reads both as 32-bit varints of at most five
// bytes (an overlong encoding, even of a small value, fails its parse). None otherwise.
std::optional<std::uint32_t> read_varint32(std::string_view in, std::size_t& at,
                                           std::uint64_t limit) {
    const std::size_t start = at;
    std::uint64_t v = 0;
    if (!read_varint(in, at, v) || at - start > 5 || v > limit) {
        return std::nullopt;
    }
    return static_cast<std::uint32_t>(v);
}

// Reads the field at `at` of `in`, whose first byte is at `base` in the whole request.
Result<WireField, Undecodable> read_field(std::string_view in, std::size_t& at, std::size_t base) {
    const std::size_t start = at;
    const auto fail = [&](std::string why) {
        return unexpected(Undecodable{base + start, std::move(why)});
    };
    const auto tag = read_varint32(in, at, std::numeric_limits<std::uint32_t>::max());
    if (!tag) {
        return fail("truncated or overlong field tag (at most 5 bytes, 32 bits)");
    }
    WireField f{*tag >> 3, static_cast<std::uint32_t>(*tag & 7), 0, {}, base + start};
    // Error text is only built for an error: this runs for every field of every sitrep.
    const auto field = [&f] { return "field " + std::to_string(f.number); };
    if (f.number == 0 || f.number > 0x1fffffff) {
        return fail("field number " + std::to_string(f.number) + " is not valid (1..2^29-1)");
    }
    if (f.type == wire_varint) {
        if (!read_varint(in, at, f.value)) {
            return fail(field() + ": truncated varint");
        }
    } else if (f.type == wire_fixed64 || f.type == wire_fixed32) {
        const std::size_t width = f.type == wire_fixed64 ? 8 : 4;
        if (in.size() - at < width) {
            return fail(field() + ": " + std::to_string(width) + "-byte value runs past the end");
        }
        for (std::size_t i = width; i-- > 0;) {
            f.value = (f.value << 8) | static_cast<unsigned char>(in[at + i]);
        }
        at += width;
    } else if (f.type == wire_length_delimited) {
        const auto size = read_varint32(in, at, std::numeric_limits<std::int32_t>::max());
        if (!size) {
            return fail(field() + ": truncated or overlong length (at most 5 bytes, 2^31 - 1)");
        }
        if (*size > in.size() - at) {
            return fail(field() + ": length " + std::to_string(*size) + " runs past the end (" +
                        std::to_string(in.size() - at) + " bytes left)");
        }
        f.bytes = in.substr(at, static_cast<std::size_t>(*size));
        at += static_cast<std::size_t>(*size);
    } else {
        return fail(field() + ": wire type " + std::to_string(f.type) +
                    " (groups) is not used by opel.v1");
    }
    return f;
}

engine::FieldError malformed(const Undecodable& u, std::string_view what) {
    return {
        "", "malformed",
        std::string(what) + " is undecodable at byte " + std::to_string(u.offset) + ": " + u.why};
}

// Decodes one opel.v1.Sitrep, collecting every problem it can name before a framing error
// stops it.
class SitrepDecoder {
public:
    SitrepDecoder(std::string_view bytes, std::size_t base) : bytes_(bytes), base_(base) {}

    SitrepResult run() {
        for (std::size_t at = 0; at < bytes_.size();) {
            auto f = read_field(bytes_, at, base_);
            if (!f) {
                errors_.push_back(malformed(f.error(), "the sitrep"));
                break;
            }
            field(*f);
        }
        if (!errors_.empty()) {
            return unexpected(std::move(errors_));
        }
        return std::move(out_);
    }

private:
    bool once(const WireField& f, std::string_view name) {
        if (f.number >= seen_.size() || !seen_[f.number]) {
            if (f.number < seen_.size()) {
                seen_[f.number] = true;
            }
            return true;
        }
        add(name, "repeated_field", std::string(name) + " is given more than once");
        return false;
    }
    bool typed(const WireField& f, std::string_view name, std::uint32_t type,
               std::string_view expected) {
        if (f.type == type) {
            return true;
        }
        add(name, "wrong_type",
            std::string(name) + " is sent as " + std::string(wire_type_name(f.type)) + " (field " +
                std::to_string(f.number) + " at byte " + std::to_string(f.offset) +
                "); it must be " + std::string(expected));
        return false;
    }
    void text(const WireField& f, std::string_view name, std::string& to) {
        if (!typed(f, name, wire_length_delimited, "a string") || !once(f, name)) {
            return;
        }
        if (const auto bad = invalid_utf8_at(f.bytes)) {
            add(name, "invalid_utf8",
                std::string(name) + " is not valid UTF-8 (byte " + std::to_string(*bad) +
                    " of the text)");
            return;
        }
        to.assign(f.bytes);
    }
    void field(const WireField& f);
    void as_at(const WireField& f);
    void measure(const WireField& f);
    void add(std::string_view field, std::string code, std::string message) {
        errors_.push_back({std::string(field), std::move(code), std::move(message)});
    }

    std::string_view bytes_;
    std::size_t base_;
    engine::Sitrep out_;
    std::vector<engine::FieldError> errors_;
    std::array<bool, 8> seen_{};  // singular fields 1..6 already given
};

void SitrepDecoder::field(const WireField& f) {
    switch (f.number) {
        case v1::Sitrep::kSiteIdFieldNumber:
            text(f, "site_id", out_.site_id);
            return;
        case v1::Sitrep::kSubmissionIdFieldNumber:
            text(f, "submission_id", out_.submission_id);
            return;
        case v1::Sitrep::kDeclaredReasonFieldNumber:
            text(f, "declared_reason", out_.declared_reason);
            return;
        case v1::Sitrep::kCommentFieldNumber:
            text(f, "comment", out_.comment);
            return;
        case v1::Sitrep::kDeclaredLevelFieldNumber:
            if (typed(f, "declared_level", wire_varint, "a varint (uint32)") &&
                once(f, "declared_level")) {
                if (f.value > std::numeric_limits<std::uint32_t>::max()) {
                    add("declared_level", "out_of_range",
                        "declared_level " + std::to_string(f.value) +
                            " does not fit its uint32 field; it must be an OPEL level 1..4");
                } else {
                    out_.declared_level = static_cast<std::int64_t>(f.value);
                }
            }
            return;
        case v1::Sitrep::kAsAtFieldNumber:
            as_at(f);
            return;
        case v1::Sitrep::kMeasuresFieldNumber:
            measure(f);
            return;
        default:
            return;  // an unknown field: ignored, as protobuf keeps it unread
    }
}

void SitrepDecoder::as_at(const WireField& f) {
    if (!typed(f, "as_at", wire_length_delimited, "a google.protobuf.Timestamp message") ||
        !once(f, "as_at")) {
        return;
    }
    std::int64_t seconds = 0;
    std::int32_t nanos = 0;
    const std::size_t base = base_ + static_cast<std::size_t>(f.bytes.data() - bytes_.data());
    for (std::size_t at = 0; at < f.bytes.size();) {
        auto g = read_field(f.bytes, at, base);
        if (!g) {
            add("as_at", "malformed", malformed(g.error(), "as_at").message);
            return;
        }
        const bool is_seconds = g->number == google::protobuf::Timestamp::kSecondsFieldNumber;
        const bool is_nanos = g->number == google::protobuf::Timestamp::kNanosFieldNumber;
        if ((is_seconds || is_nanos) && g->type != wire_varint) {
            add("as_at", "wrong_type",
                std::string("as_at.") + (is_seconds ? "seconds" : "nanos") + " is sent as " +
                    std::string(wire_type_name(g->type)) + "; it must be a varint");
            return;
        }
        if (is_seconds) {
            seconds = static_cast<std::int64_t>(g->value);
        } else if (is_nanos) {
            nanos = static_cast<std::int32_t>(static_cast<std::uint32_t>(g->value));
        }
    }
    auto time = time_from_wire(seconds, nanos);
    if (!time) {
        errors_.push_back(std::move(time).error());
        return;
    }
    out_.as_at = *time;
}

void SitrepDecoder::measure(const WireField& f) {
    if (!typed(f, "measures", wire_length_delimited, "a map entry")) {
        return;
    }
    // Views into the request; the name is copied once, into the map (this runs for every
    // measure of every sitrep).
    std::optional<std::string_view> key;
    std::optional<WireField> value;
    const std::size_t base = base_ + static_cast<std::size_t>(f.bytes.data() - bytes_.data());
    for (std::size_t at = 0; at < f.bytes.size();) {
        auto g = read_field(f.bytes, at, base);
        if (!g) {
            add("measures", "malformed", malformed(g.error(), "a measures entry").message);
            return;
        }
        if (g->number == 1 && g->type == wire_length_delimited && !key) {
            key.emplace(g->bytes);
        } else if (g->number == 2 && !value) {
            value = *g;
        } else {
            add("measures", "malformed",
                "a measures entry at byte " + std::to_string(f.offset) + " has field " +
                    std::to_string(g->number) + " as " + std::string(wire_type_name(g->type)) +
                    " (an entry is a name, field 1, and a double value, field 2, once each)");
            return;
        }
    }
    if (!key || key->empty()) {
        add("measures", "missing_name",
            "a measures entry at byte " + std::to_string(f.offset) + " has no measure name");
        return;
    }
    const auto name = [&key] { return "measures." + std::string(*key); };
    if (const auto bad = invalid_utf8_at(*key)) {
        add("measures", "invalid_utf8",
            "a measure name is not valid UTF-8 (byte " + std::to_string(*bad) + ")");
        return;
    }
    if (!value) {
        add(name(), "missing_value", std::string(*key) + " has no value");
        return;
    }
    if (value->type != wire_fixed64) {
        add(name(), "wrong_type",
            std::string(*key) + " is sent as " + std::string(wire_type_name(value->type)) +
                (value->type == wire_length_delimited
                     ? " ('" + std::string(value->bytes.substr(0, 20)) + "')"
                     : std::string()) +
                "; a measure value must be a double (fixed64)");
        return;
    }
    // Senders usually list measures in name order: the end is then the right place.
    const std::size_t before = out_.measures.size();
    out_.measures.emplace_hint(out_.measures.end(), *key, std::bit_cast<double>(value->value));
    if (out_.measures.size() == before) {
        add(name(), "repeated_field", std::string(*key) + " is given more than once");
    }
}

}  // namespace

std::optional<std::size_t> invalid_utf8_at(std::string_view text) {
    // RFC 3629, as protobuf checks a proto3 string: no overlong forms, no surrogates, nothing
    // above U+10FFFF.
    const auto byte = [&text](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const auto continuation = [&](std::size_t i) {
        return i < text.size() && (byte(i) & 0xc0) == 0x80;
    };
    std::size_t i = 0;
    while (i < text.size() && byte(i) < 0x80) {  // ASCII, as most text is: no state to keep
        ++i;
    }
    while (i < text.size()) {
        const unsigned char c = byte(i);
        std::size_t length = 0;
        unsigned char low = 0x80;
        unsigned char high = 0xbf;  // the range of the second byte
        if (c < 0x80) {
            length = 1;
        } else if (c >= 0xc2 && c <= 0xdf) {
            length = 2;
        } else if (c >= 0xe0 && c <= 0xef) {
            length = 3;
            low = c == 0xe0 ? 0xa0 : 0x80;
            high = c == 0xed ? 0x9f : 0xbf;
        } else if (c >= 0xf0 && c <= 0xf4) {
            length = 4;
            low = c == 0xf0 ? 0x90 : 0x80;
            high = c == 0xf4 ? 0x8f : 0xbf;
        } else {
            return i;
        }
        if (length > 1 && (i + 1 >= text.size() || byte(i + 1) < low || byte(i + 1) > high)) {
            return i;
        }
        for (std::size_t k = 2; k < length; ++k) {
            if (!continuation(i + k)) {
                return i;
            }
        }
        i += length;
    }
    return std::nullopt;
}

SitrepResult decode_sitrep(std::string_view sitrep, std::size_t base) {
    return SitrepDecoder(sitrep, base).run();
}

Result<RequestBody, engine::FieldError> request_body(std::string_view request) {
    std::optional<RequestBody> body;
    for (std::size_t at = 0; at < request.size();) {
        auto f = read_field(request, at, 0);
        if (!f) {
            return unexpected(malformed(f.error(), "the request (opel.v1.SubmitRequest)"));
        }
        RequestKind kind = RequestKind::sitrep;
        const char* name = "sitrep";
        switch (f->number) {
            case v1::SubmitRequest::kSitrepFieldNumber:
                break;
            case v1::SubmitRequest::kAcknowledgementFieldNumber:
                kind = RequestKind::acknowledgement;
                name = "acknowledgement";
                break;
            case v1::SubmitRequest::kDeclarationFieldNumber:
                kind = RequestKind::declaration;
                name = "declaration";
                break;
            case v1::SubmitRequest::kUnacknowledgedFieldNumber:
                kind = RequestKind::unacknowledged;
                name = "unacknowledged";
                break;
            default:
                return unexpected(engine::FieldError{
                    "", "unsupported_request",
                    "the request carries field " + std::to_string(f->number) + " at byte " +
                        std::to_string(f->offset) +
                        ", which this daemon does not know (opel.v1.SubmitRequest: sitrep = 1, "
                        "acknowledgement = 2, declaration = 3, unacknowledged = 4)"});
        }
        if (f->type != wire_length_delimited) {
            return unexpected(engine::FieldError{name, "wrong_type",
                                                 std::string(name) + " is sent as " +
                                                     std::string(wire_type_name(f->type)) +
                                                     "; it must be a message"});
        }
        if (body) {
            return unexpected(engine::FieldError{
                name, "repeated_field",
                "the request carries more than one body (a sitrep, acknowledgement, "
                "declaration or unacknowledged report); send one per request"});
        }
        body = RequestBody{kind, f->bytes};
    }
    if (!body) {
        return unexpected(engine::FieldError{"sitrep", "missing_field",
                                             "the request (" + std::to_string(request.size()) +
                                                 " bytes) carries no sitrep or command"});
    }
    return *body;
}

Result<std::string_view, engine::FieldError> sitrep_of_request(std::string_view request) {
    auto body = request_body(request);
    if (!body) {
        return unexpected(std::move(body).error());
    }
    if (body->kind != RequestKind::sitrep) {
        return unexpected(engine::FieldError{"sitrep", "missing_field",
                                             "the request carries a command, not a sitrep"});
    }
    return body->bytes;
}

Result<TimePoint, engine::FieldError> time_from_wire(std::int64_t seconds, std::int32_t nanos) {
    if (seconds < google::protobuf::util::TimeUtil::kTimestampMinSeconds ||
        seconds > google::protobuf::util::TimeUtil::kTimestampMaxSeconds || nanos < 0 ||
        nanos > 999999999) {
        return unexpected(engine::FieldError{
            "as_at", "invalid_time",
            "as_at is not a valid timestamp (seconds " + std::to_string(seconds) + ", nanos " +
                std::to_string(nanos) + ": years 1-9999, nanos 0-999999999)"});
    }
    return TimePoint{Duration{seconds}};
}

}  // namespace opel::codec

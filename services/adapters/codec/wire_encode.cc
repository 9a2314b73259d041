// The hand-written wire encoder for the daemon's hot path: node results, status
// publications and field appends written straight from engine values, byte for byte what
// protobuf's own serializer writes (wire_test checks it). The decoder is wire_decode.cc.
// The append_* functions take the message being built as `std::string& out` on purpose: they
// are appending builders, and a returned string per field would cost an allocation each.
#include <bit>

#include "adapters/codec/proto.h"
#include "adapters/codec/wire.h"
#include "opel/v1/feed.pb.h"

namespace opel::codec {
namespace {

constexpr std::uint32_t wire_varint = 0;
constexpr std::uint32_t wire_fixed64 = 1;
constexpr std::uint32_t wire_length_delimited = 2;

void append_varint(std::string& out, std::uint64_t value) {
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

}  // namespace

void append_field(std::string& message, int number, std::string_view bytes) {
    append_varint(message, (static_cast<std::uint64_t>(number) << 3) | wire_length_delimited);
    append_varint(message, bytes.size());
    message.append(bytes);
}

std::string status_publication(std::uint64_t sequence, std::string_view node_result,
                               std::uint64_t epoch) {
    std::string out;
    out.reserve(node_result.size() + 24);
    // Fields in number order, as protobuf writes them; a zero scalar is not written (proto3).
    if (sequence != 0) {
        append_varint(out,
                      (std::uint64_t{v1::Publication::kSequenceFieldNumber} << 3) | wire_varint);
        append_varint(out, sequence);
    }
    append_field(out, v1::Publication::kStatusFieldNumber, node_result);
    if (epoch != 0) {
        append_varint(out, (std::uint64_t{v1::Publication::kEpochFieldNumber} << 3) | wire_varint);
        append_varint(out, epoch);
    }
    return out;
}

namespace {

// proto3 serialization rules, field by field, as protobuf's generated code applies them:
// a scalar or string is written unless it is zero or empty, a double unless its bits are
// all zero; a field with presence (optional, message) whenever it is set.
void put_tag(std::string& out, int number, std::uint32_t type) {
    append_varint(out, (static_cast<std::uint64_t>(number) << 3) | type);
}

void put_string(std::string& out, int number, std::string_view value) {
    if (!value.empty()) {
        put_tag(out, number, wire_length_delimited);
        append_varint(out, value.size());
        out.append(value);
    }
}

void put_varint(std::string& out, int number, std::uint64_t value) {
    if (value != 0) {
        put_tag(out, number, wire_varint);
        append_varint(out, value);
    }
}

void put_double(std::string& out, int number, double value, bool present = false) {
    const auto bits = std::bit_cast<std::uint64_t>(value);
    if (bits != 0 || present) {
        put_tag(out, number, wire_fixed64);
        for (int i = 0; i < 8; ++i) {
            out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
        }
    }
}

void put_message(std::string& out, int number, std::string_view bytes) {
    put_tag(out, number, wire_length_delimited);
    append_varint(out, bytes.size());
    out.append(bytes);
}

// A google.protobuf.Timestamp at whole seconds, as timestamp() builds it.
void put_time(std::string& out, int number, TimePoint t, std::string& scratch) {
    scratch.clear();
    put_varint(scratch, google::protobuf::Timestamp::kSecondsFieldNumber,
               static_cast<std::uint64_t>(t.time_since_epoch().count()));
    put_message(out, number, scratch);
}

std::uint64_t wire_status(engine::Status s) { return static_cast<std::uint64_t>(to_proto(s)); }

}  // namespace

std::string encode_result(const engine::NodeResult& r) {
    std::string out;
    out.reserve(1024);
    std::string part;  // one parameter or pillar
    std::string time;
    part.reserve(256);
    put_string(out, v1::NodeResult::kNodeIdFieldNumber, r.node_id);
    put_string(out, v1::NodeResult::kPathFieldNumber, r.path);
    put_string(out, v1::NodeResult::kKindFieldNumber, engine::to_string(r.kind));
    put_varint(out, v1::NodeResult::kStatusFieldNumber, wire_status(r.status));
    put_varint(out, v1::NodeResult::kComputedFieldNumber, wire_status(r.computed));
    put_varint(out, v1::NodeResult::kBandLevelFieldNumber, wire_status(r.band_level));
    put_double(out, v1::NodeResult::kTotalFieldNumber, r.total);
    put_double(out, v1::NodeResult::kNormalisedScoreFieldNumber, r.normalised);
    for (const engine::ParameterResult& p : r.parameters) {
        part.clear();
        put_string(part, v1::ParameterResult::kIdFieldNumber, p.id);
        put_string(part, v1::ParameterResult::kNameFieldNumber, p.name);
        if (p.value) {
            put_double(part, v1::ParameterResult::kValueFieldNumber, *p.value, true);
        }
        put_varint(part, v1::ParameterResult::kScoreFieldNumber,
                   static_cast<std::uint32_t>(p.score));
        put_varint(part, v1::ParameterResult::kWeightFieldNumber,
                   static_cast<std::uint32_t>(p.weight));
        put_varint(part, v1::ParameterResult::kCarriedForwardFieldNumber,
                   p.carried_forward ? 1 : 0);
        if (p.carried_from) {
            put_time(part, v1::ParameterResult::kCarriedFromFieldNumber, *p.carried_from, time);
        }
        put_varint(part, v1::ParameterResult::kWorstPolicyFieldNumber, p.worst_policy ? 1 : 0);
        put_string(part, v1::ParameterResult::kUnitFieldNumber, p.unit);
        put_string(part, v1::ParameterResult::kThresholdFieldNumber, p.threshold);
        put_message(out, v1::NodeResult::kParametersFieldNumber, part);
    }
    put_string(out, v1::NodeResult::kDecidedByFieldNumber, r.decided_by);
    put_double(out, v1::NodeResult::kCoveragePercentFieldNumber, r.coverage_percent);
    for (const engine::PillarResult& p : r.pillars) {
        part.clear();
        put_string(part, v1::PillarResult::kProviderTypeFieldNumber,
                   engine::to_string(p.provider_type));
        put_varint(part, v1::PillarResult::kStatusFieldNumber, wire_status(p.status));
        put_double(part, v1::PillarResult::kNormalisedScoreFieldNumber, p.normalised);
        put_double(part, v1::PillarResult::kCoveragePercentFieldNumber, p.coverage_percent);
        put_message(out, v1::NodeResult::kPillarsFieldNumber, part);
    }
    if (r.as_at) {
        put_time(out, v1::NodeResult::kAsAtFieldNumber, *r.as_at, time);
    }
    put_varint(out, v1::NodeResult::kTransitionNumberFieldNumber, r.transition_number);
    put_varint(out, v1::NodeResult::kDeclaredLevelFieldNumber,
               static_cast<std::uint32_t>(r.declared_level));
    put_string(out, v1::NodeResult::kDeclaredReasonFieldNumber, r.declared_reason);
    put_string(out, v1::NodeResult::kCardFieldNumber, r.card);
    put_string(out, v1::NodeResult::kSubmissionIdFieldNumber, r.submission_id);
    put_string(out, v1::NodeResult::kCommentFieldNumber, r.comment);
    put_string(out, v1::NodeResult::kDeclaredByFieldNumber, r.declared_by);
    if (r.declared_until) {
        put_time(out, v1::NodeResult::kDeclaredUntilFieldNumber, *r.declared_until, time);
    }
    if (r.acknowledged) {
        part.clear();
        put_string(part, v1::Acknowledged::kTransitionIdFieldNumber, r.acknowledged->transition_id);
        put_string(part, v1::Acknowledged::kByFieldNumber, r.acknowledged->by);
        put_time(part, v1::Acknowledged::kAtFieldNumber, r.acknowledged->at, time);
        put_string(part, v1::Acknowledged::kNoteFieldNumber, r.acknowledged->note);
        put_message(out, v1::NodeResult::kAcknowledgedFieldNumber, part);
    }
    return out;
}

}  // namespace opel::codec

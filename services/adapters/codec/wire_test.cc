#include "adapters/codec/wire.h"

#include <gtest/gtest.h>

#include <array>
#include <bit>
#include <limits>
#include <random>

#include "adapters/codec/proto.h"
#include "opel/v1/feed.pb.h"
#include "opel/v1/request.pb.h"

namespace opel::codec {
namespace {

// The wire-composed messages parse to exactly what protobuf itself would have built.
TEST(WireTest, ComposedPublicationAndReplyEqualTheirProtobufEquivalents) {
    v1::NodeResult result;
    result.set_node_id("RWJ");
    result.set_decided_by(std::string(300, 'x'));  // a length that needs a two-byte varint
    const std::string bytes = result.SerializeAsString();
    for (const std::uint64_t sequence : {0ULL, 1ULL, 127ULL, 128ULL, 1ULL << 40}) {
        for (const std::uint64_t epoch : {0ULL, 1ULL, ~0ULL}) {
            v1::Publication expected;
            expected.set_sequence(sequence);
            *expected.mutable_status() = result;
            expected.set_epoch(epoch);
            // Byte for byte: protobuf's own serialization, fields in number order.
            EXPECT_EQ(status_publication(sequence, bytes, epoch), expected.SerializeAsString())
                << sequence << " " << epoch;
        }
    }
    v1::SubmitReply reply;
    reply.set_status(v1::SUBMIT_STATUS_ACCEPTED);
    reply.set_sequence(9);
    std::string wire = reply.SerializeAsString();
    append_field(wire, v1::SubmitReply::kResultFieldNumber, bytes);
    *reply.mutable_result() = result;
    v1::SubmitReply parsed;
    ASSERT_TRUE(parsed.ParseFromString(wire));
    EXPECT_EQ(parsed.SerializeAsString(), reply.SerializeAsString());
}

TEST(WireTest, SitrepOfRequestIsItsOnlySitrepField) {
    v1::SubmitRequest request;
    request.mutable_sitrep()->set_site_id("RWJ");
    (*request.mutable_sitrep()->mutable_measures())["beds"] = 91;
    const std::string wire = request.SerializeAsString();
    ASSERT_TRUE(sitrep_of_request(wire).has_value());
    EXPECT_EQ(*sitrep_of_request(wire), request.sitrep().SerializeAsString());
    const auto code = [](const std::string& bytes) {
        const auto r = sitrep_of_request(bytes);
        return r ? std::string("ok") : r.error().code;
    };
    EXPECT_EQ(code(wire + wire), "repeated_field");
    EXPECT_EQ(code(wire.substr(0, wire.size() - 1)), "malformed");
    EXPECT_EQ(code(wire + '\x00'), "malformed");                             // field number 0
    EXPECT_EQ(code(std::string("\x28\x01") + wire), "unsupported_request");  // field 5
    EXPECT_EQ(code(std::string("\x10\x01") + wire), "wrong_type");  // acknowledgement, a varint
    EXPECT_EQ(code(std::string("\x08\x01")), "wrong_type");         // sitrep as a varint
    EXPECT_EQ(code(""), "missing_field");
    const auto truncated = sitrep_of_request("\x0a\x05\x0a");
    ASSERT_FALSE(truncated.has_value());
    EXPECT_EQ(truncated.error().message,
              "the request (opel.v1.SubmitRequest) is undecodable at byte 0: field 1: length 5 "
              "runs past the end (1 bytes left)");
}

// What protobuf's parse then from_proto make of `bytes`: none when protobuf rejects them.
std::optional<SitrepResult> through_protobuf(const std::string& bytes) {
    v1::Sitrep parsed;
    if (!parsed.ParseFromString(bytes)) {
        return std::nullopt;
    }
    return from_proto(parsed);
}

// The strict decoder's contract with protobuf: whatever it accepts, protobuf accepts with the
// same values; whatever protobuf rejects, it rejects.
void expect_agrees_with_protobuf(const std::string& bytes, const std::string& what) {
    const SitrepResult strict = decode_sitrep(bytes);
    const std::optional<SitrepResult> slow = through_protobuf(bytes);
    if (!slow) {
        ASSERT_FALSE(strict.has_value()) << what << ": accepted bytes protobuf rejects";
        return;
    }
    if (!strict.has_value()) {
        return;  // stricter than protobuf: allowed (the reasons are tested one by one)
    }
    ASSERT_TRUE(slow->has_value()) << what << ": " << slow->error().front().message;
    const engine::Sitrep& a = *strict;
    const engine::Sitrep& b = **slow;
    EXPECT_EQ(a.site_id, b.site_id) << what;
    EXPECT_EQ(a.as_at, b.as_at) << what;
    EXPECT_EQ(a.submission_id, b.submission_id) << what;
    EXPECT_EQ(a.declared_level, b.declared_level) << what;
    EXPECT_EQ(a.declared_reason, b.declared_reason) << what;
    EXPECT_EQ(a.comment, b.comment) << what;
    ASSERT_EQ(a.measures.size(), b.measures.size()) << what;
    for (const auto& [name, value] : b.measures) {
        ASSERT_TRUE(a.measures.contains(name)) << what << ": " << name;
        // Bit for bit: NaN, infinities and -0 included.
        EXPECT_EQ(std::bit_cast<std::uint64_t>(a.measures.at(name)),
                  std::bit_cast<std::uint64_t>(value))
            << what << ": " << name;
    }
}

v1::Sitrep random_sitrep(std::mt19937_64& rng) {
    const auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    v1::Sitrep s;
    const std::array<std::string, 4> texts{"", "RWJ", "a site id with spaces",
                                           std::string(200, 'z')};
    if (pick(4) != 0) {
        s.set_site_id(texts[static_cast<std::size_t>(pick(4))]);
    }
    if (pick(4) != 0) {
        const std::array<std::int64_t, 6> seconds{
            0, 1768276800, -1, -62135596801LL, 253402300800LL, 253402300799LL};
        s.mutable_as_at()->set_seconds(seconds[static_cast<std::size_t>(pick(6))]);
        const std::array<std::int32_t, 4> nanos{0, 999999999, -1, 1000000000};
        s.mutable_as_at()->set_nanos(nanos[static_cast<std::size_t>(pick(4))]);
    }
    if (pick(2) != 0) {
        s.set_submission_id(texts[static_cast<std::size_t>(pick(4))]);
    }
    if (pick(2) != 0) {
        const std::array<std::uint32_t, 5> levels{0, 1, 4, 1000, 4294967295U};
        s.set_declared_level(levels[static_cast<std::size_t>(pick(5))]);
    }
    if (pick(3) == 0) {
        s.set_declared_reason(texts[static_cast<std::size_t>(pick(4))]);
    }
    if (pick(3) == 0) {
        s.set_comment(texts[static_cast<std::size_t>(pick(4))]);
    }
    const std::array<double, 7> values{0.0,
                                       -0.0,
                                       1.5,
                                       -42,
                                       1e300,
                                       std::numeric_limits<double>::infinity(),
                                       std::numeric_limits<double>::quiet_NaN()};
    for (int m = pick(20); m > 0; --m) {
        (*s.mutable_measures())["measure_" + std::to_string(pick(25))] =
            values[static_cast<std::size_t>(pick(7))];
    }
    return s;
}

// One random mutation of `bytes`: a flipped byte, an inserted or deleted byte, a cut.
std::string mutate(std::string bytes, std::mt19937_64& rng) {
    const auto at = [&rng](std::size_t n) { return n == 0 ? 0 : rng() % n; };
    switch (rng() % 4) {
        case 0:
            if (!bytes.empty()) {
                bytes[at(bytes.size())] = static_cast<char>(rng());
            }
            break;
        case 1:
            bytes.insert(at(bytes.size() + 1), 1, static_cast<char>(rng()));
            break;
        case 2:
            if (!bytes.empty()) {
                bytes.erase(at(bytes.size()), 1);
            }
            break;
        default:
            bytes.resize(at(bytes.size() + 1));
    }
    return bytes;
}

TEST(WireTest, StrictDecoderAgreesWithProtobufOnRandomAndMutatedSitreps) {
    std::mt19937_64 rng(20261202);
    int accepted = 0;
    int mutated_accepted = 0;
    for (int i = 0; i < 3000; ++i) {
        const std::string one = random_sitrep(rng).SerializeAsString();
        const std::string two = random_sitrep(rng).SerializeAsString();
        accepted += decode_sitrep(one) ? 1 : 0;
        expect_agrees_with_protobuf(one, "sitrep " + std::to_string(i));
        expect_agrees_with_protobuf(one + two, "merged " + std::to_string(i));
        std::string bytes = one;
        for (int m = 0; m < 4; ++m) {
            bytes = mutate(bytes, rng);
            mutated_accepted += decode_sitrep(bytes) ? 1 : 0;
            expect_agrees_with_protobuf(bytes, "mutated " + std::to_string(i));
        }
        if (HasFailure()) {
            return;
        }
    }
    // Every plain sitrep with a valid time is read (the test would pass vacuously otherwise).
    EXPECT_GT(accepted, 1000);
    EXPECT_GT(mutated_accepted, 100);
}

// The field and code of each error decode_sitrep gives for `bytes`.
std::vector<std::string> errors_of(const std::string& bytes) {
    const SitrepResult r = decode_sitrep(bytes);
    std::vector<std::string> out;
    if (!r) {
        for (const engine::FieldError& e : r.error()) {
            out.push_back(e.field + "/" + e.code);
        }
    }
    return out;
}

TEST(WireTest, WhatProtobufWouldMisreadIsRejectedNamingTheField) {
    v1::Sitrep s;
    s.set_site_id("RWJ");
    s.mutable_as_at()->set_seconds(1768276800);
    (*s.mutable_measures())["beds"] = 3;
    const std::string plain = s.SerializeAsString();
    ASSERT_TRUE(decode_sitrep(plain).has_value());
    using V = std::vector<std::string>;
    // A measure value sent as the string "65" (protobuf: an unknown field, value 0).
    EXPECT_EQ(errors_of(plain + std::string("\x3a\x0a\x0a\x04"
                                            "beds\x12\x02"
                                            "65",
                                            12)),
              V{"measures.beds/wrong_type"});
    // A map entry without a value (protobuf: 0), or without a name.
    EXPECT_EQ(errors_of(plain + std::string("\x3a\x06\x0a\x04"
                                            "cots",
                                            8)),
              V{"measures.cots/missing_value"});
    EXPECT_EQ(errors_of(plain + std::string("\x3a\x00", 2)), V{"measures/missing_name"});
    // declared_level 2^32 + 2 (protobuf: 2).
    EXPECT_EQ(errors_of(plain + std::string("\x20\x82\x80\x80\x80\x10", 6)),
              V{"declared_level/out_of_range"});
    // site_id as a varint (protobuf: "site_id is required").
    EXPECT_EQ(errors_of(std::string("\x08\x05", 2) + plain.substr(5)), V{"site_id/wrong_type"});
    // A field or a measure given twice (protobuf: the last wins).
    EXPECT_EQ(errors_of(plain + plain.substr(0, 5)), V{"site_id/repeated_field"});
    // Invalid UTF-8 (protobuf rejects the message without saying where).
    v1::Sitrep accented = s;
    accented.set_comment("Salford Royal \xc3\xa9");
    EXPECT_TRUE(decode_sitrep(accented.SerializeAsString()).has_value());
    EXPECT_EQ(errors_of(plain + std::string("\x32\x02\xc3\x28", 4)), V{"comment/invalid_utf8"});
    // Undecodable bytes: the offset and the field number.
    const SitrepResult cut = decode_sitrep(plain + std::string("\x3a\x09\x0a", 3), 7);
    ASSERT_FALSE(cut.has_value());
    EXPECT_EQ(cut.error().front().message,
              "the sitrep is undecodable at byte " + std::to_string(plain.size() + 7) +
                  ": field 7: length 9 runs past the end (1 bytes left)");
    // Unknown fields are ignored, as protobuf does.
    EXPECT_TRUE(decode_sitrep(plain + std::string("\x40\x01", 2)).has_value());
    EXPECT_TRUE(decode_sitrep(plain + std::string("\x45\x00\x00\x00\x00", 5)).has_value());
}

// Found by fuzz_wire_sitrep: protobuf reads tags and lengths as varints of at most five bytes,
// so an overlong tag (six bytes for a small value) fails its parse; it must fail here too.
TEST(WireTest, OverlongTagsAndLengthsAreUndecodableAsProtobufHasThem) {
    const std::string crash("\x91\xf1\x8c\x88\x8d\x00\x4e\xff\xff\xff\xff\x0a\x06\x97", 14);
    expect_agrees_with_protobuf(crash, "fuzz crash-246964fe");
    EXPECT_EQ(errors_of(crash), std::vector<std::string>{"/malformed"});
    // site_id "RWJ" with its length as a six-byte varint.
    const std::string overlong_length("\x0a\x83\x80\x80\x80\x80\x00RWJ", 10);
    expect_agrees_with_protobuf(overlong_length, "overlong length");
    EXPECT_EQ(errors_of(overlong_length), std::vector<std::string>{"/malformed"});
}

TEST(WireTest, Utf8CheckFollowsRfc3629) {
    EXPECT_FALSE(invalid_utf8_at("plain, \xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80").has_value());
    EXPECT_EQ(invalid_utf8_at("ab\xc0\x80"), 2U);         // overlong
    EXPECT_EQ(invalid_utf8_at("\xed\xa0\x80"), 0U);       // surrogate
    EXPECT_EQ(invalid_utf8_at("x\xf4\x90\x80\x80"), 1U);  // above U+10FFFF
    EXPECT_EQ(invalid_utf8_at("\xe2\x82"), 0U);           // truncated
    EXPECT_EQ(invalid_utf8_at("\x80"), 0U);               // a lone continuation
}

engine::NodeResult random_result(std::mt19937_64& rng) {
    const auto pick = [&rng](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    const std::array<std::string, 4> texts{"", "RWJ", "national/north-west/QOP/stockport/RWJ",
                                           std::string(300, 'w')};
    const auto text = [&] { return texts[static_cast<std::size_t>(pick(4))]; };
    const std::array<double, 6> numbers{0.0, -0.0,   12.5,
                                        -3,  1e-300, std::numeric_limits<double>::infinity()};
    const auto number = [&] { return numbers[static_cast<std::size_t>(pick(6))]; };
    const std::array<engine::Status, 7> statuses{engine::Status::opel1,   engine::Status::opel2,
                                                 engine::Status::opel3,   engine::Status::opel4,
                                                 engine::Status::unknown, engine::Status::stale,
                                                 engine::Status::opel1};
    const auto status = [&] { return statuses[static_cast<std::size_t>(pick(7))]; };
    const std::array<TimePoint, 3> times{TimePoint{Duration{0}}, TimePoint{Duration{1768276800}},
                                         TimePoint{Duration{-5}}};
    engine::NodeResult r;
    r.node_id = text();
    r.path = text();
    r.kind = std::array{engine::NodeKind::site, engine::NodeKind::locality,
                        engine::NodeKind::ics}[static_cast<std::size_t>(pick(3))];
    r.status = status();
    r.computed = status();
    r.band_level = status();
    r.total = number();
    r.normalised = number();
    for (int n = pick(10); n > 0; --n) {
        engine::ParameterResult p;
        p.id = text();
        p.name = text();
        p.unit = text();
        if (pick(2) != 0) {
            p.value = number();
        }
        p.score = std::array{0, 1, 4, -1}[static_cast<std::size_t>(pick(4))];
        p.weight = std::array{0, 1, 2, 1000}[static_cast<std::size_t>(pick(4))];
        p.carried_forward = pick(2) != 0;
        if (pick(3) == 0) {
            p.carried_from = times[static_cast<std::size_t>(pick(3))];
        }
        p.worst_policy = pick(2) != 0;
        p.threshold =
            std::array<std::string, 3>{"", ">= 92", "< 15"}[static_cast<std::size_t>(pick(3))];
        r.parameters.push_back(p);
    }
    r.decided_by = text();
    r.coverage_percent = number();
    for (int n = pick(4); n > 0; --n) {
        r.pillars.push_back(
            {std::array{engine::ProviderType::acute, engine::ProviderType::community,
                        engine::ProviderType::none}[static_cast<std::size_t>(pick(3))],
             status(), number(), number()});
    }
    if (pick(4) != 0) {
        r.as_at = times[static_cast<std::size_t>(pick(3))];
    }
    r.transition_number =
        std::array<std::uint64_t, 3>{0, 7, 1ULL << 40}[static_cast<std::size_t>(pick(3))];
    r.declared_level = std::array{0, 3, -2}[static_cast<std::size_t>(pick(3))];
    r.declared_reason = text();
    r.card = text();
    r.submission_id = text();
    r.comment = text();
    r.declared_by = text();
    if (pick(3) == 0) {
        r.declared_until = times[static_cast<std::size_t>(pick(3))];
    }
    if (pick(3) == 0) {
        r.acknowledged =
            engine::Acknowledged{text(), text(), times[static_cast<std::size_t>(pick(3))], text()};
    }
    return r;
}

TEST(WireTest, EncodeResultIsProtobufsOwnSerialization) {
    std::mt19937_64 rng(4242);
    for (int i = 0; i < 2000; ++i) {
        const engine::NodeResult r = random_result(rng);
        v1::NodeResult message;
        to_proto(r, message);
        ASSERT_EQ(encode_result(r), message.SerializeAsString()) << "result " << i;
    }
    // An empty result is no bytes at all.
    EXPECT_EQ(encode_result(engine::NodeResult{}),
              to_proto(engine::NodeResult{}).SerializeAsString());
}

}  // namespace
}  // namespace opel::codec

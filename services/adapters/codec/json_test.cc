#include "adapters/codec/json.h"

#include <gtest/gtest.h>

#include <bit>
#include <filesystem>
#include <fstream>
#include <random>

namespace opel::codec {
namespace {

TEST(SitrepJsonTest, DecodesTheProtobufJsonMapping) {
    const auto s = sitrep_from_json(
        R"({"siteId":"RWJ","asAt":"2026-01-06T08:00:00Z","declaredLevel":3,)"
        R"("declaredReason":"staffing","measures":{"ga_beds_occupied":612,"nctr_patients":74}})");
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->site_id, "RWJ");
    EXPECT_EQ(s->as_at, parse_rfc3339("2026-01-06T08:00:00Z"));
    EXPECT_EQ(s->declared_level, 3);
    EXPECT_EQ(s->measures.at("ga_beds_occupied"), 612);
    EXPECT_EQ(s->measures.size(), 2U);
}

TEST(SitrepJsonTest, AcceptsSnakeCaseFieldNames) {
    const auto s = sitrep_from_json(R"({"site_id":"RWJ","as_at":"2026-01-06T08:00:00Z"})");
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->site_id, "RWJ");
}

TEST(SitrepJsonTest, RejectsGarbageAndUnknownFieldsWithAMessage) {
    for (const char* bad : {"{", "not json", R"({"site":"RWJ"})", R"({"measures":{"a":"x"}})",
                            R"({"asAt":"yesterday"})", "\xff\xfe"}) {
        const auto s = sitrep_from_json(bad);
        ASSERT_FALSE(s.has_value()) << bad;
        EXPECT_EQ(s.error()[0].code, "malformed");
        EXPECT_FALSE(s.error()[0].message.empty());
    }
}

TEST(SitrepJsonTest, MissingAsAtStaysMissingForTheValidator) {
    const auto s = sitrep_from_json(R"({"siteId":"RWJ"})");
    ASSERT_TRUE(s.has_value());
    EXPECT_FALSE(s->as_at.has_value());
}

// Two decodings are the same: every field, measures to the bit; or both errors.
bool same(const SitrepResult& a, const SitrepResult& b) {
    if (!a || !b) {
        return !a && !b && a.error() == b.error();
    }
    if (a->site_id != b->site_id || a->as_at != b->as_at || a->submission_id != b->submission_id ||
        a->declared_level != b->declared_level || a->declared_reason != b->declared_reason ||
        a->comment != b->comment || a->measures.size() != b->measures.size()) {
        return false;
    }
    for (const auto& [name, value] : a->measures) {
        const auto it = b->measures.find(name);
        if (it == b->measures.end() ||
            std::bit_cast<std::uint64_t>(it->second) != std::bit_cast<std::uint64_t>(value)) {
            return false;
        }
    }
    return true;
}

// Whatever the fast path returns, protobuf's parser returns; decode() is protobuf's answer.
// Returns whether the fast path took the text.
bool check_agrees(SitrepJsonDecoder& decoder, std::string_view json) {
    const SitrepResult slow = sitrep_from_json(json);
    const std::optional<engine::Sitrep> fast = decoder.decode_fast(json);
    if (fast) {
        EXPECT_TRUE(same(SitrepResult(*fast), slow)) << json;
    }
    EXPECT_TRUE(same(decoder.decode(json), slow)) << json;
    return fast.has_value();
}

std::vector<std::string> sample_lines() {
    std::vector<std::string> lines;
    for (const char* file : {"calm-day.jsonl", "rwj-to-opel4.jsonl", "invalid.jsonl"}) {
        std::ifstream in(std::filesystem::path(OPEL_SOURCE_DIR) / "config/samples" / file);
        for (std::string line; std::getline(in, line);) {
            lines.push_back(line);
        }
    }
    return lines;
}

TEST(SitrepJsonDecoderTest, TheFastPathTakesEverySampleProtobufReadsAndAgrees) {
    SitrepJsonDecoder decoder;
    const std::vector<std::string> lines = sample_lines();
    ASSERT_GT(lines.size(), 200U);
    for (const std::string& line : lines) {
        const bool taken = check_agrees(decoder, line);
        EXPECT_EQ(taken, sitrep_from_json(line).has_value()) << line;
    }
}

TEST(SitrepJsonDecoderTest, WhatTheFastPathTakesItReadsAsProtobufDoes) {
    SitrepJsonDecoder decoder;
    for (
        const char* json : {
            R"({})",
            R"( {"siteId":"RWJ","asAt":"2024-02-29T23:59:59Z","declaredLevel":4} )",
            R"({"site_id":"Wythenshawe é","comment":"café"})",
            R"({"site_id":"Ünïcode ✓","measures":{"c":0.1,"d":1e300,"e":1e-400,"f":-12,"g":-0,"h":-0.0,"i":-1e-400}})",
            R"({"measures":{"a":9007199254740992,"b":-9007199254740992,"c":4.9e-324}})",
            R"({"measures":{"a":1.7976931348623157e308,"b":2.2250738585072014e-308}})",
            R"({"measures":{"a":0.30000000000000004,"b":123456789.123456789,"c":1E5}})",
            R"({"as_at":"0001-01-01T00:00:00Z","declared_level":0})",
            R"({"as_at":"9999-12-31T23:59:59Z","declared_level":4294967295})",
        }) {
        EXPECT_TRUE(check_agrees(decoder, json)) << json;
    }
}

TEST(SitrepJsonDecoderTest, WhatProtobufReadsItsOwnWayIsLeftToIt) {
    SitrepJsonDecoder decoder;
    for (const char* json : {
             R"({"site_id":"R\u0057J"})",                 // an escape
             R"({"comment":"a \"quoted\" word"})",        //   any escape
             R"({"comment":"caf\u00e9"})",                //   any escape
             R"({"site_id":"RWJ","siteId":"RMC"})",       // a field twice
             R"({"measures":{"a":1,"a":2}})",             // a measure twice
             R"({"measures":{"":1}})",                    // an empty measure name
             R"({"measures":{"a":9007199254740993}})",    // an integer beyond 2^53
             R"({"measures":{"a":1e400}})",               // beyond a double
             R"({"measures":{"a":"1.5"}})",               // a number as a string
             R"({"measures":{"a":"NaN"}})",               //
             R"({"measures":{"a":null}})",                // null
             R"({"site_id":null})",                       //
             R"({"declared_level":3.0})",                 // a level written as a real
             R"({"declared_level":-1})",                  //
             R"({"declared_level":4294967296})",          //
             R"({"declared_level":"3"})",                 //
             R"({"as_at":"2026-01-13T08:00:00+01:00"})",  // an offset
             R"({"as_at":"2026-01-13T08:00:00.5Z"})",     // a fraction
             R"({"as_at":"2026-02-29T08:00:00Z"})",       // no such day
             R"({"as_at":"0000-01-01T00:00:00Z"})",       // year 0
             R"({"as_at":"2026-01-13t08:00:00z"})",       // lower case
             R"({"siteId":"RWJ","unknown":1})",           // an unknown field
             R"({"siteId":"RWJ"} {})",                    // text after the object
             R"([{"siteId":"RWJ"}])",                     // not an object
             "\xEF\xBB\xBF{\"siteId\":\"RWJ\"}",          // a byte-order mark
             "{\"comment\":\"tab\there\"}",               // a raw control character
             "{\"siteId\":\"\xff\"}",                     // not UTF-8
             R"({"siteId":"RWJ",})",                      // not JSON
         }) {
        EXPECT_FALSE(check_agrees(decoder, json)) << json;
    }
}

// Random single-byte changes, insertions and deletions of the samples: wherever the fast path
// takes the text, protobuf reads the same (fixed seed: failures reproduce).
TEST(SitrepJsonDecoderTest, AgreesWithProtobufOnMutatedSamples) {
    SitrepJsonDecoder decoder;
    const std::vector<std::string> lines = sample_lines();
    std::mt19937 random(20260113);
    const std::string alphabet = "{}[]\":,.-+eE0123456789 \\tnulaNIfy_Z\xc3\xa9";
    int taken = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string json = lines[random() % lines.size()];
        for (int edits = 1 + static_cast<int>(random() % 3); edits > 0; --edits) {
            const std::size_t at = random() % (json.size() + 1);
            const char c = alphabet[random() % alphabet.size()];
            switch (random() % 3) {
                case 0:
                    json.insert(at, 1, c);
                    break;
                case 1:
                    if (at < json.size()) {
                        json.erase(at, 1);
                    }
                    break;
                default:
                    if (at < json.size()) {
                        json[at] = c;
                    }
                    break;
            }
        }
        taken += check_agrees(decoder, json) ? 1 : 0;
    }
    EXPECT_GT(taken, 100);  // the mutations reach the fast path's own answers too
}

}  // namespace
}  // namespace opel::codec

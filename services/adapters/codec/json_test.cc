#include "adapters/codec/json.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace opel::codec

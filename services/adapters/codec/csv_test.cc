#include "adapters/codec/csv.h"

#include <gtest/gtest.h>

namespace opel::codec {
namespace {

TEST(CsvTest, ACellIsQuotedOnlyWhenItMustBe) {
    EXPECT_EQ(csv_cell("RWJ"), "RWJ");
    EXPECT_EQ(csv_cell(""), "");
    EXPECT_EQ(csv_cell("beds, escalation"), "\"beds, escalation\"");
    EXPECT_EQ(csv_cell("the \"red\" ward\nnote"), "\"the \"\"red\"\" ward\nnote\"");
    // What is written reads back as it was.
    const auto rows = sitreps_from_csv("site_id,as_at,comment\nRWJ,2026-01-13T08:00:00Z," +
                                       csv_cell("a \"quoted\", two-line\ncomment") + "\n");
    ASSERT_EQ(rows.size(), 1U);
    ASSERT_TRUE(rows[0].sitrep);
    EXPECT_EQ(rows[0].sitrep->comment, "a \"quoted\", two-line\ncomment");
}

TEST(SitrepCsvTest, ParsesRowsWithOptionalColumnsAndEmptyCells) {
    const auto rows = sitreps_from_csv(
        "site_id,as_at,ga_beds_occupied,nctr_patients,comment\n"
        "RWJ,2026-01-06T08:00:00Z,612,74,\"busy, \"\"very\"\" busy\"\n"
        "RMC,2026-01-06T08:00:00Z,,30,\n");
    ASSERT_EQ(rows.size(), 2U);
    ASSERT_TRUE(rows[0].sitrep.has_value());
    EXPECT_EQ(rows[0].line, 2);
    EXPECT_EQ(rows[0].sitrep->comment, "busy, \"very\" busy");
    EXPECT_EQ(rows[0].sitrep->measures.at("nctr_patients"), 74);
    ASSERT_TRUE(rows[1].sitrep.has_value());
    EXPECT_EQ(rows[1].line, 3);
    EXPECT_FALSE(rows[1].sitrep->measures.contains("ga_beds_occupied"));
}

TEST(SitrepCsvTest, NamesBadCellsByColumnAndLine) {
    const auto rows = sitreps_from_csv(
        "site_id,as_at,ga_beds_occupied\n"
        "RWJ,08:00,lots\n"
        "RWJ,2026-01-06T08:00:00Z\n");
    ASSERT_EQ(rows.size(), 2U);
    ASSERT_FALSE(rows[0].sitrep.has_value());
    ASSERT_EQ(rows[0].sitrep.error().size(), 2U);
    EXPECT_EQ(rows[0].sitrep.error()[0].field, "as_at");
    EXPECT_EQ(rows[0].sitrep.error()[1].field, "measures.ga_beds_occupied");
    EXPECT_EQ(rows[1].line, 3);
    EXPECT_EQ(rows[1].sitrep.error()[0].message, "line has 2 fields; the header has 3");
}

TEST(SitrepCsvTest, AStrayQuoteIsAnErrorOnItsLineAndSwallowsNoRow) {
    const auto rows = sitreps_from_csv(
        "site_id,as_at,ga_beds_occupied,comment\n"
        "RWJ,2026-01-06T08:00:00Z,612,5\" of snow\n"
        "RMC,2026-01-06T08:00:00Z,300,\n"
        "RM3,2026-01-06T08:00:00Z,301,\"closed \"ward\" \n");
    ASSERT_EQ(rows.size(), 3U);
    EXPECT_EQ(rows[0].line, 2);
    ASSERT_FALSE(rows[0].sitrep.has_value());
    EXPECT_EQ(rows[0].sitrep.error()[0].code, "malformed");
    EXPECT_NE(rows[0].sitrep.error()[0].message.find("line 2"), std::string::npos);
    EXPECT_EQ(rows[1].line, 3);
    ASSERT_TRUE(rows[1].sitrep.has_value());
    EXPECT_EQ(rows[1].sitrep->site_id, "RMC");
    EXPECT_EQ(rows[2].line, 4);
    EXPECT_FALSE(rows[2].sitrep.has_value());
}

TEST(SitrepCsvTest, AnUnterminatedQuoteNamesTheLineItStartsOn) {
    const auto rows = sitreps_from_csv(
        "site_id,as_at,ga_beds_occupied,comment\n"
        "RWJ,2026-01-06T08:00:00Z,612,\"multi\nline\"\n"
        "RMC,2026-01-06T08:00:00Z,300,\"never closed\n"
        "RM3,2026-01-06T08:00:00Z,301,\n");
    ASSERT_EQ(rows.size(), 2U);
    ASSERT_TRUE(rows[0].sitrep.has_value());
    EXPECT_EQ(rows[0].sitrep->comment, "multi\nline");
    EXPECT_EQ(rows[1].line, 4);
    ASSERT_FALSE(rows[1].sitrep.has_value());
    EXPECT_EQ(rows[1].sitrep.error()[0].message,
              "the quoted field starting on line 4 is never closed: lines 4 to the end (5) were "
              "not read as sitreps");
}

TEST(SitrepCsvTest, AByteOrderMarkIsSkipped) {
    const auto rows = sitreps_from_csv(
        "\xEF\xBB\xBFsite_id,as_at,ga_beds_occupied\r\nRWJ,2026-01-06T08:00:00Z,612\r\n");
    ASSERT_EQ(rows.size(), 1U);
    ASSERT_TRUE(rows[0].sitrep.has_value());
    EXPECT_EQ(rows[0].sitrep->site_id, "RWJ");
    EXPECT_EQ(rows[0].sitrep->measures.at("ga_beds_occupied"), 612);
}

TEST(SitrepCsvTest, ARowWithABadCellKeepsTheRestForValidation) {
    const auto rows = sitreps_from_csv(
        "site_id,as_at,ga_beds_occupied,nctr_patients\nRWJ,2026-01-06T08:00:00Z,abc,74\n");
    ASSERT_EQ(rows.size(), 1U);
    ASSERT_FALSE(rows[0].sitrep.has_value());
    ASSERT_TRUE(rows[0].partial.has_value());
    EXPECT_EQ(rows[0].partial->measures.at("nctr_patients"), 74);
    EXPECT_FALSE(rows[0].partial->measures.contains("ga_beds_occupied"));
}

TEST(SitrepCsvTest, HeaderNeedsSiteAndTimeColumnsWithoutDuplicates) {
    const auto rows = sitreps_from_csv("site,ga_beds_occupied,ga_beds_occupied\n1,2,3\n");
    ASSERT_EQ(rows.size(), 1U);
    ASSERT_FALSE(rows[0].sitrep.has_value());
    std::vector<std::string> codes;
    for (const auto& e : rows[0].sitrep.error()) {
        codes.push_back(e.code);
    }
    EXPECT_EQ(codes,
              (std::vector<std::string>{"duplicate_column", "missing_column", "missing_column"}));
}

// Each row as "line: site" or "line: ! every error", for comparing whole reads.
std::vector<std::string> summary(const std::vector<CsvRow>& rows) {
    std::vector<std::string> out;
    for (const CsvRow& row : rows) {
        std::string s = std::to_string(row.line) + ": ";
        if (row.sitrep) {
            s += row.sitrep->site_id + " " + row.sitrep->comment;
        } else {
            for (const engine::FieldError& e : row.sitrep.error()) {
                s += "! " + e.field + " " + e.message + " ";
            }
        }
        out.push_back(s + (row.partial ? " (partial)" : ""));
    }
    return out;
}

TEST(SitrepCsvTest, ReadInBlocksCutAnywhereGivesTheRowsOfTheWholeText) {
    for (const std::string& text : {
             std::string("\xEF\xBB\xBFsite_id,as_at,ga_beds_occupied,comment\r\n"
                         "RWJ,2026-01-06T08:00:00Z,612,\"multi\nline\"\r\n"
                         "RMC,2026-01-06T08:00:00Z,300,5\" of snow\n"
                         "RMP,2026-01-06T08:00:00Z,abc,\n"
                         "RM3,2026-01-06T08:00:00Z,301,\"never closed\n"),
             std::string("site_id,as_at\nRWJ,2026-01-06T08:00:00Z"),  // no final line break
             std::string("site,site\nRWJ,1\n"),                       // a bad header
             std::string("\xEF\xBB"),                                 // part of a mark only
             std::string(),
         }) {
        const std::vector<std::string> whole = summary(sitreps_from_csv(text));
        for (std::size_t cut = 0; cut <= text.size(); ++cut) {
            CsvSitrepReader reader;
            std::vector<CsvRow> rows;
            reader.read(std::string_view(text).substr(0, cut), rows);
            reader.read(std::string_view(text).substr(cut), rows);
            reader.finish(rows);
            ASSERT_EQ(summary(rows), whole) << "cut at " << cut << " of: " << text;
        }
        CsvSitrepReader bytes;  // one byte at a time
        std::vector<CsvRow> rows;
        for (std::size_t i = 0; i < text.size(); ++i) {
            bytes.read(std::string_view(text).substr(i, 1), rows);
        }
        bytes.finish(rows);
        EXPECT_EQ(summary(rows), whole) << text;
    }
}

}  // namespace
}  // namespace opel::codec

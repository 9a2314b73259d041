#include "webd/upload.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "adapters/codec/messages.h"
#include "support/engine_fixtures.h"

namespace opel::webd {
namespace {

// The fields of each row's errors, "line: field/code ..." (or "line: ok").
std::vector<std::string> described(const std::vector<UploadRow>& rows) {
    std::vector<std::string> out;
    for (const UploadRow& row : rows) {
        std::string text = std::to_string(row.line) + ":";
        if (row.sitrep) {
            text += " ok " + row.sitrep->site_id;
        } else {
            for (const engine::FieldError& e : row.sitrep.error()) {
                text += " " + e.field + "/" + e.code;
            }
        }
        out.push_back(text);
    }
    return out;
}

class UploadTest : public ::testing::Test {
protected:
    Result<std::vector<UploadRow>, std::string> read(UploadFormat format, std::string_view body,
                                                     std::size_t max_rows = 100) {
        return read_upload(format, body, model_, max_rows);
    }
    engine::Model model_{testing::small_config()};
};

TEST(UploadFormatTest, TheContentTypeNamesTheFormat) {
    EXPECT_EQ(upload_format("text/csv").value(), UploadFormat::csv);
    EXPECT_EQ(upload_format("Text/CSV; charset=UTF-8").value(), UploadFormat::csv);
    EXPECT_EQ(upload_format("application/x-ndjson").value(), UploadFormat::jsonl);
    EXPECT_EQ(upload_format("application/jsonl").value(), UploadFormat::jsonl);
    EXPECT_EQ(upload_format("application/json;charset=utf-8").value(), UploadFormat::json);
}

TEST(UploadFormatTest, AnythingElseIsRefusedSayingWhatIsTaken) {
    EXPECT_EQ(upload_format("").error(),
              "no Content-Type: send text/csv, application/x-ndjson (JSON lines) or "
              "application/json (one sitrep)");
    EXPECT_EQ(upload_format("application/x-www-form-urlencoded").error(),
              "Content-Type 'application/x-www-form-urlencoded' is not read: send text/csv, "
              "application/x-ndjson (JSON lines) or application/json (one sitrep)");
    EXPECT_EQ(upload_format("text/csv; charset=windows-1252").error(),
              "Content-Type 'text/csv; charset=windows-1252': only UTF-8 is read");
}

TEST_F(UploadTest, CsvRowsKeepTheirLinesAndEveryProblemOfABadRow) {
    const auto rows = read(UploadFormat::csv,
                           "site_id,as_at,a,b\n"
                           "S1,2026-01-13T08:00:00Z,12,95\n"
                           "NOPE,2026-01-13T08:00:00Z,lots,95\n"
                           "S2,2026-01-13T08:00:00Z,5,\n");
    ASSERT_TRUE(rows) << rows.error();
    // Line 3: the unreadable cell and, from validation of the rest, the unknown site.
    EXPECT_EQ(described(*rows),
              (std::vector<std::string>{
                  "2: ok S1", "3: measures.a/not_a_number site_id/unknown_site", "4: ok S2"}));
}

TEST_F(UploadTest, JsonLinesSkipBlankLinesAndNameTheBadOne) {
    const auto rows = read(UploadFormat::jsonl,
                           R"({"site_id":"S1","as_at":"2026-01-13T08:00:00Z","measures":{"a":1}})"
                           "\n\n"
                           R"({"site_id":"S2","as_at":)"
                           "\n"
                           R"({"site_id":"S3","as_at":"2026-01-13T08:00:00Z","measures":{"c":2}})");
    ASSERT_TRUE(rows) << rows.error();
    ASSERT_EQ(rows->size(), 3U);
    EXPECT_EQ((*rows)[0].line, 1);
    EXPECT_EQ((*rows)[1].line, 3);
    EXPECT_FALSE((*rows)[1].sitrep);
    EXPECT_EQ((*rows)[2].line, 4);
    EXPECT_EQ((*rows)[2].sitrep->site_id, "S3");
}

TEST_F(UploadTest, JsonIsOneSitrep) {
    const auto rows =
        read(UploadFormat::json, R"({"site_id":"S1","as_at":"2026-01-13T08:00:00Z"})");
    ASSERT_TRUE(rows) << rows.error();
    EXPECT_EQ(described(*rows), (std::vector<std::string>{"1: ok S1"}));
}

TEST_F(UploadTest, AnUploadThatCannotBeReadIsOneErrorNamingWhy) {
    EXPECT_EQ(read(UploadFormat::csv, " \n").error(), "the body is empty: no sitreps to send");
    EXPECT_EQ(read(UploadFormat::csv, "site_id,as_at,a\n").error(),
              "the CSV has a header and no rows: no sitreps to send");
    const auto bad_header = read(UploadFormat::csv, "site,a\nS1,1\n");
    ASSERT_FALSE(bad_header);
    EXPECT_EQ(bad_header.error().rfind("line 1: ", 0), 0U) << bad_header.error();
    EXPECT_NE(bad_header.error().find("site_id"), std::string::npos) << bad_header.error();
    EXPECT_EQ(read(UploadFormat::csv,
                   "site_id,as_at\nS1,2026-01-13T08:00:00Z\n"
                   "S2,2026-01-13T08:00:00Z\n",
                   1)
                  .error(),
              "more than 1 sitreps in one upload: split the file");
    EXPECT_EQ(read(UploadFormat::jsonl, "{}\n{}\n", 1).error(),
              "more than 1 sitreps in one upload: split the file");
}

// The reply the escalator gives with `status`; none: UNAVAILABLE (not an engine outcome).
codec::CommandReply reply(std::optional<engine::SubmitStatus> status) {
    if (!status) {
        return codec::read_command_reply(codec::unavailable_reply("id", "busy"));
    }
    engine::SubmitOutcome outcome;
    outcome.status = *status;
    outcome.submission_id = "id";
    if (status == engine::SubmitStatus::rejected) {
        outcome.errors.push_back({"measures.a", "out_of_range", "a is -1"});
    }
    return codec::read_command_reply(codec::outcome_reply(outcome, "S1", 7));
}

TEST(UploadAnswerTest, TheStatusSaysWhetherEveryRowWentInAndWhatToDoAboutTheRest) {
    using S = engine::SubmitStatus;
    const std::optional<S> unavailable;  // not an engine outcome
    const std::vector<UploadRow> two{{2, codec::SitrepResult(engine::Sitrep{})},
                                     {3, codec::SitrepResult(engine::Sitrep{})}};
    const auto status = [&two](std::optional<S> first, std::optional<S> second) {
        return upload_answer(two, {reply(first), reply(second)}).status;
    };
    EXPECT_EQ(status(S::accepted, S::duplicate), 200U);
    EXPECT_EQ(status(S::late, S::accepted), 200U);
    EXPECT_EQ(status(S::accepted, S::rejected), 207U);
    EXPECT_EQ(status(S::accepted, unavailable), 207U);
    EXPECT_EQ(status(S::rejected, S::rejected), 400U);
    EXPECT_EQ(status(unavailable, unavailable), 503U);
    EXPECT_EQ(status(S::rejected, unavailable), 207U);
}

TEST(UploadAnswerTest, TheBodyHasASummaryAndEachRowsLineAndReply) {
    const std::vector<UploadRow> rows{{2, codec::SitrepResult(engine::Sitrep{})},
                                      {5, codec::SitrepResult(engine::Sitrep{})}};
    const UploadAnswer answer = upload_answer(
        rows, {reply(engine::SubmitStatus::accepted),
               not_sent_reply({{"site_id", "unknown_site", "no site 'NOPE' in the node tree"}})});
    EXPECT_EQ(answer.status, 207U);
    simdjson::dom::parser parser;
    const simdjson::dom::element doc = parser.parse(answer.json);
    EXPECT_EQ(int64_t(doc["status"]), 207);
    EXPECT_EQ(int64_t(doc["summary"]["rows"]), 2);
    EXPECT_EQ(int64_t(doc["summary"]["accepted"]), 1);
    EXPECT_EQ(int64_t(doc["summary"]["rejected"]), 1);
    const simdjson::dom::array results = doc["results"];
    ASSERT_EQ(results.size(), 2U);
    EXPECT_EQ(int64_t(results.at(0)["line"]), 2);
    EXPECT_EQ(std::string_view(results.at(0)["reply"]["status"]), "SUBMIT_STATUS_ACCEPTED");
    EXPECT_EQ(int64_t(results.at(1)["line"]), 5);
    EXPECT_EQ(std::string_view(results.at(1)["reply"]["status"]), "SUBMIT_STATUS_REJECTED");
    EXPECT_EQ(std::string_view(results.at(1)["reply"]["errors"].at(0)["code"]), "unknown_site");
}

TEST(UploadAnswerTest, AnErrorIsJsonWithTheMessageEscaped) {
    EXPECT_EQ(upload_error_json(415, "Content-Type 'a\"b' is not read"),
              R"({"status":415,"error":"Content-Type 'a\"b' is not read"})");
}

}  // namespace
}  // namespace opel::webd

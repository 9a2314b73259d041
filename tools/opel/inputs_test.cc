#include "inputs.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace opel::cli {
namespace {

namespace fs = std::filesystem;

fs::path write_file(const std::string& name, const std::string& content) {
    fs::path path = fs::temp_directory_path() / ("opel-inputs-test-" + name);
    std::ofstream(path, std::ios::binary) << content;
    return path;
}

// Each input as "line: site" or "line: ! first error", for comparing whole reads.
std::vector<std::string> read_all(const fs::path& path, std::size_t block,
                                  const std::string& format = "") {
    std::ostringstream err;
    const auto reader = SitrepReader::open(path.string(), format, err, block);
    EXPECT_NE(reader, nullptr) << err.str();
    std::vector<std::string> out;
    while (auto input = reader->next()) {
        out.push_back(
            std::to_string(input->line) + ": " +
            (input->sitrep ? input->sitrep->site_id : "! " + input->sitrep.error().at(0).message));
    }
    return out;
}

TEST(SitrepReaderTest, JsonLinesReadTheSameWhateverTheBlockSize) {
    const fs::path path = write_file(
        "lines.jsonl",
        "\n"
        R"({"site_id":"RWJ","as_at":"2026-01-13T08:00:00Z","measures":{"nctr_patients":51}})"
        "\r\n   \n"
        R"({"site_id":"RMC",)"
        "\n"
        R"({"siteId":"RMP","asAt":"2026-01-13T08:00:00Z","comment":"snow \"heavy\""})");
    const std::vector<std::string> whole = read_all(path, SitrepReader::default_block);
    ASSERT_EQ(whole.size(), 3U);
    EXPECT_EQ(whole[0], "2: RWJ");
    EXPECT_EQ(whole[1].substr(0, 5), "4: ! ");
    EXPECT_EQ(whole[2], "5: RMP");
    for (const std::size_t block : std::initializer_list<std::size_t>{1, 2, 3, 7, 64}) {
        EXPECT_EQ(read_all(path, block), whole) << "block " << block;
    }
}

TEST(SitrepReaderTest, CsvReadsTheSameWhateverTheBlockSize) {
    const fs::path path = write_file("rows.csv",
                                     "\xEF\xBB\xBFsite_id,as_at,ga_beds_occupied,comment\n"
                                     "RWJ,2026-01-13T08:00:00Z,380,\"two\nlines\"\n"
                                     "RMC,2026-01-13T08:00:00Z,300,5\" of snow\n"
                                     "RMP,2026-01-13T08:00:00Z,lots,\n"
                                     "R0A-MRI,2026-01-13T08:00:00Z,301,\"never closed\n");
    const std::vector<std::string> whole = read_all(path, SitrepReader::default_block);
    ASSERT_EQ(whole.size(), 4U);
    EXPECT_EQ(whole[0], "2: RWJ");
    EXPECT_NE(whole[1].find("4: ! malformed quoting on line 4"), std::string::npos);
    EXPECT_EQ(whole[2], "5: ! 'lots' is not a number");
    EXPECT_NE(whole[3].find("never closed: lines 6 to the end (6)"), std::string::npos);
    for (const std::size_t block : std::initializer_list<std::size_t>{1, 2, 3, 7, 64}) {
        EXPECT_EQ(read_all(path, block), whole) << "block " << block;
    }
}

TEST(SitrepReaderTest, WithoutAFormatOrNameTheFirstByteAfterWhiteSpaceDecides) {
    const fs::path json =
        write_file("json-by-content.txt",
                   "\n\n  "
                   R"({"site_id":"RWJ","as_at":"2026-01-13T08:00:00Z","measures":{"a":1}})");
    EXPECT_EQ(read_all(json, 1), std::vector<std::string>{"3: RWJ"});
    const fs::path csv =
        write_file("csv-by-content.txt", "site_id,as_at\nRWJ,2026-01-13T08:00:00Z\n");
    EXPECT_EQ(read_all(csv, 1), std::vector<std::string>{"2: RWJ"});
    EXPECT_EQ(read_all(json, 4, "csv").size(), 1U);  // --format wins: a one-row CSV
}

TEST(SitrepReaderTest, AFileThatCannotBeOpenedIsReportedByName) {
    std::ostringstream err;
    EXPECT_EQ(SitrepReader::open("/no/such/file.jsonl", "", err), nullptr);
    EXPECT_EQ(err.str(), "cannot open '/no/such/file.jsonl'\n");
}

}  // namespace
}  // namespace opel::cli

// Reading sitreps from a file or standard input, as JSON lines or CSV (shared by
// `opel evaluate` and `opel submit`).
#pragma once

#include <cstdio>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "adapters/codec/csv.h"
#include "adapters/codec/decoded.h"
#include "adapters/codec/json.h"
#include "engine/model.h"

namespace opel::cli {

// One input sitrep: the line it came from and the decoded sitrep, or why it could not be.
struct Input {
    int line = 0;
    codec::SitrepResult sitrep;
    std::optional<engine::Sitrep> partial;  // a CSV row without its unreadable cells
};

// Sitreps read from a file or standard input one at a time, a block of input at a time, so
// memory stays flat however long the input (`opel evaluate` streams them through the engine).
// The format is "jsonl", "csv" or empty: then from the file name (.csv, .jsonl, .json), else
// the first byte that is not white space ('{': JSON lines). Blank JSON lines are skipped but
// counted. One owner, one thread.
class SitrepReader {
public:
    static constexpr std::size_t default_block = std::size_t{64} * 1024;

    // Opens `source` ("-" = standard input), to be read `block` bytes at a time; prints why
    // and returns nullptr if it cannot.
    static std::unique_ptr<SitrepReader> open(const std::string& source, const std::string& format,
                                              std::ostream& err, std::size_t block = default_block);
    ~SitrepReader();
    SitrepReader(const SitrepReader&) = delete;
    SitrepReader& operator=(const SitrepReader&) = delete;

    // The next sitrep in input order; nullopt at the end of the input.
    std::optional<Input> next();

private:
    SitrepReader(std::FILE* file, bool owned, std::size_t block);
    // Reads the next block onto the end of buffer_; false at the end of the input.
    bool fill();
    std::optional<Input> next_json();
    std::optional<Input> next_csv();

    std::FILE* file_;
    bool owned_;  // closed by the reader (not standard input)
    std::size_t block_;
    bool csv_ = false;
    bool end_ = false;    // the file has no more bytes
    std::string buffer_;  // read, not yet consumed from pos_ on
    std::size_t pos_ = 0;
    int line_ = 0;  // JSON lines: the last line read
    codec::SitrepJsonDecoder json_;
    codec::CsvSitrepReader csv_reader_;
    std::vector<codec::CsvRow> rows_;  // CSV rows read, not yet returned from row_ on
    std::size_t row_ = 0;
    bool csv_finished_ = false;
};

// Every sitrep of `source` (see SitrepReader), or nullopt after printing why it cannot be read.
std::optional<std::vector<Input>> read_sitreps(const std::string& source, const std::string& format,
                                               std::ostream& err);

// For an input that has errors and a partial sitrep, adds the problems validation finds in the
// rest of it (fields not already named), so a row's every problem is reported at once.
void add_validation_errors(Input& input, const engine::Model& model);

// `inputs`, each with add_validation_errors.
std::vector<Input> with_validation_errors(std::vector<Input> inputs, const engine::Model& model);

}  // namespace opel::cli

// Sitrep CSV files (csv.cc, Debian libcsv in strict RFC 4180 mode).
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "adapters/codec/decoded.h"
#include "engine/model.h"

namespace opel::codec {

// One row of a sitrep CSV file: its 1-based line number and the decoded sitrep or errors.
struct CsvRow {
    int line = 0;
    SitrepResult sitrep;
    // When a cell could not be read: the row without that cell, so a caller with the
    // configuration can name the row's other problems in the same run.
    std::optional<engine::Sitrep> partial;
};

// Parses a CSV text with header `site_id,as_at,<measure>,...` (optional columns:
// submission_id, declared_level, declared_reason, comment; an empty cell = measure absent).
// Strict RFC 4180: a field with a comma, quote or line break is quoted whole and its quotes
// doubled; a stray or unterminated quote is an error on the line where its record (or field)
// starts, and no row is ever merged into another. A leading UTF-8 byte-order mark (Excel's
// "CSV UTF-8") is skipped. A bad header yields one row with its line and the errors.
std::vector<CsvRow> sitreps_from_csv(std::string_view text);

// sitreps_from_csv for a text read a block at a time (a file of any size streamed through
// `opel evaluate`): each read() appends the rows its block completes, finish() the rest at
// the end of the input. The rows are those sitreps_from_csv gives for the whole text,
// however it is cut. Holds only the record being read, so memory does not grow with the
// input. One owner, one thread.
class CsvSitrepReader {
public:
    CsvSitrepReader();
    ~CsvSitrepReader();
    CsvSitrepReader(const CsvSitrepReader&) = delete;
    CsvSitrepReader& operator=(const CsvSitrepReader&) = delete;

    // The next block of the text: appends the rows it completes to `rows`.
    void read(std::string_view block, std::vector<CsvRow>& rows);
    // The end of the text: appends the last rows (a last line without a line break, an
    // unterminated quote's error, the error of an empty text). Call once, after every read.
    void finish(std::vector<CsvRow>& rows);

private:
    class State;
    std::unique_ptr<State> state_;
};

// For a row whose cells could not all be read (`sitrep` holds their errors, `partial` the
// rest): adds the problems the engine's validation finds in the rest (fields not already
// named), so every problem of the row is reported at once. Otherwise does nothing.
void add_validation_errors(SitrepResult& sitrep, const std::optional<engine::Sitrep>& partial,
                           const engine::Model& model);

// One CSV field as RFC 4180 writes it (libcsv's csv_write): quoted, quotes doubled, when it
// holds a comma, quote or line break; as it is otherwise.
std::string csv_cell(std::string_view text);

}  // namespace opel::codec

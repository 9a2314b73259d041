// Sitrep CSV files (csv.cc, Debian libcsv in strict RFC 4180 mode).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "adapters/codec/decoded.h"

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

// One CSV field as RFC 4180 writes it (libcsv's csv_write): quoted, quotes doubled, when it
// holds a comma, quote or line break; as it is otherwise.
std::string csv_cell(std::string_view text);

}  // namespace opel::codec

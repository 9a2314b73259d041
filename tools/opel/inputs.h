// Reading sitreps from a file or standard input, as JSON lines or CSV (shared by
// `opel evaluate` and `opel submit`).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "adapters/codec/decoded.h"
#include "engine/model.h"

namespace opel::cli {

// One input sitrep: the line it came from and the decoded sitrep, or why it could not be.
struct Input {
    int line = 0;
    codec::SitrepResult sitrep;
    std::optional<engine::Sitrep> partial;  // a CSV row without its unreadable cells
};

// Reads `source` ("-" = standard input). `format` is "jsonl", "csv" or empty (then from the
// file name, else the first byte). Prints why and returns nullopt if the file cannot be read.
std::optional<std::vector<Input>> read_sitreps(const std::string& source, const std::string& format,
                                               std::ostream& err);

// `inputs` with, for each that has errors and a partial sitrep, the problems validation finds
// in the rest of it (fields not already named), so a row's every problem is reported at once.
std::vector<Input> with_validation_errors(std::vector<Input> inputs, const engine::Model& model);

}  // namespace opel::cli

#include "inputs.h"

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>

#include "adapters/codec/csv.h"
#include "adapters/codec/json.h"

namespace opel::cli {

std::optional<std::vector<Input>> read_sitreps(const std::string& source, const std::string& format,
                                               std::ostream& err) {
    std::string text;
    if (source == "-") {
        std::ostringstream buffer;
        buffer << std::cin.rdbuf();
        text = buffer.str();
    } else {
        std::ifstream in(source, std::ios::binary);
        if (!in) {
            err << "cannot open '" << source << "'\n";
            return std::nullopt;
        }
        std::ostringstream buffer;
        buffer << in.rdbuf();
        text = buffer.str();
    }
    bool csv = format == "csv";
    if (format.empty()) {
        if (source.ends_with(".csv")) {
            csv = true;
        } else if (!source.ends_with(".jsonl") && !source.ends_with(".json")) {
            const auto first = text.find_first_not_of(" \t\r\n");
            csv = first == std::string::npos || text[first] != '{';
        }
    }
    std::vector<Input> inputs;
    if (csv) {
        for (codec::CsvRow& row : codec::sitreps_from_csv(text)) {
            inputs.push_back({row.line, std::move(row.sitrep), std::move(row.partial)});
        }
        return inputs;
    }
    std::istringstream in(text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
        }
        inputs.push_back({number, codec::sitrep_from_json(line), std::nullopt});
    }
    return inputs;
}

std::vector<Input> with_validation_errors(std::vector<Input> inputs, const engine::Model& model) {
    for (Input& input : inputs) {
        if (input.sitrep || !input.partial) {
            continue;
        }
        std::vector<engine::FieldError>& errors = input.sitrep.error();
        const auto named = [&errors](const std::string& field) {
            return std::any_of(errors.begin(), errors.end(),
                               [&field](const engine::FieldError& e) { return e.field == field; });
        };
        for (engine::FieldError& e :
             engine::validate_sitrep(*input.partial, model, std::nullopt, Duration{0})) {
            if (!named(e.field)) {
                errors.push_back(std::move(e));
            }
        }
    }
    return inputs;
}

}  // namespace opel::cli

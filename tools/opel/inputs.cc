#include "inputs.h"

#include <fstream>
#include <iostream>
#include <sstream>

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
            inputs.push_back({row.line, std::move(row.sitrep)});
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
        inputs.push_back({number, codec::sitrep_from_json(line)});
    }
    return inputs;
}

}  // namespace opel::cli

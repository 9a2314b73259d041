#include "inputs.h"

#include <algorithm>
#include <iostream>

namespace opel::cli {

std::unique_ptr<SitrepReader> SitrepReader::open(const std::string& source,
                                                 const std::string& format, std::ostream& err,
                                                 std::size_t block) {
    std::FILE* file = source == "-" ? stdin : std::fopen(source.c_str(), "rb");
    if (file == nullptr) {
        err << "cannot open '" << source << "'\n";
        return nullptr;
    }
    std::unique_ptr<SitrepReader> reader(new SitrepReader(file, source != "-", block));
    reader->csv_ = format == "csv";
    if (format.empty()) {
        if (source.ends_with(".csv")) {
            reader->csv_ = true;
        } else if (!source.ends_with(".jsonl") && !source.ends_with(".json")) {
            std::size_t first = std::string::npos;
            while ((first = reader->buffer_.find_first_not_of(" \t\r\n")) == std::string::npos &&
                   reader->fill()) {
            }
            reader->csv_ = first == std::string::npos || reader->buffer_[first] != '{';
        }
    }
    return reader;
}

SitrepReader::SitrepReader(std::FILE* file, bool owned, std::size_t block)
    : file_(file), owned_(owned), block_(std::max<std::size_t>(block, 1)) {}

SitrepReader::~SitrepReader() {
    if (owned_) {
        std::fclose(file_);
    }
}

bool SitrepReader::fill() {
    if (end_) {
        return false;
    }
    buffer_.erase(0, pos_);
    pos_ = 0;
    const std::size_t had = buffer_.size();
    buffer_.resize(had + block_);
    const std::size_t n = std::fread(buffer_.data() + had, 1, block_, file_);
    buffer_.resize(had + n);
    end_ = n == 0;
    return !end_;
}

std::optional<Input> SitrepReader::next() { return csv_ ? next_csv() : next_json(); }

std::optional<Input> SitrepReader::next_json() {
    for (;;) {
        const std::size_t newline = buffer_.find('\n', pos_);
        if (newline == std::string::npos && fill()) {
            continue;  // the line goes on in the next block
        }
        if (pos_ >= buffer_.size()) {
            return std::nullopt;
        }
        const std::size_t stop = newline == std::string::npos ? buffer_.size() : newline;
        const std::string_view line(buffer_.data() + pos_, stop - pos_);
        pos_ = std::min(stop + 1, buffer_.size());
        ++line_;
        if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
            return Input{line_, json_.decode(line), std::nullopt};
        }
    }
}

std::optional<Input> SitrepReader::next_csv() {
    while (row_ >= rows_.size()) {
        rows_.clear();
        row_ = 0;
        if (csv_finished_) {
            return std::nullopt;
        }
        if (pos_ < buffer_.size()) {
            csv_reader_.read(std::string_view(buffer_).substr(pos_), rows_);
            pos_ = buffer_.size();
        } else if (!fill()) {
            csv_reader_.finish(rows_);
            csv_finished_ = true;
        }
    }
    codec::CsvRow& row = rows_[row_++];
    return Input{row.line, std::move(row.sitrep), std::move(row.partial)};
}

std::optional<std::vector<Input>> read_sitreps(const std::string& source, const std::string& format,
                                               std::ostream& err) {
    const auto reader = SitrepReader::open(source, format, err);
    if (!reader) {
        return std::nullopt;
    }
    std::vector<Input> inputs;
    while (auto input = reader->next()) {
        inputs.push_back(std::move(*input));
    }
    return inputs;
}

void add_validation_errors(Input& input, const engine::Model& model) {
    codec::add_validation_errors(input.sitrep, input.partial, model);
}

std::vector<Input> with_validation_errors(std::vector<Input> inputs, const engine::Model& model) {
    for (Input& input : inputs) {
        add_validation_errors(input, model);
    }
    return inputs;
}

}  // namespace opel::cli

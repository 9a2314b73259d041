// Sitrep CSV (csv.h: sitreps_from_csv). Records are split by libcsv in strict mode
// (RFC 4180), fed one byte at a time so that every record, field and error has its line.
#include "adapters/codec/csv.h"

#include <csv.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>

namespace opel::codec {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

std::optional<double> parse_number(std::string_view s) {
    s = trim(s);
    if (!s.empty() && s.front() == '+') {
        s.remove_prefix(1);
    }
    double value = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    return value;
}

// One CSV record (its fields and the line it starts on), or why it could not be read.
struct Record {
    int line = 0;
    std::vector<std::string> fields;
    std::string error;  // non-empty: the record is malformed and its fields are not used
};

// Splits text into records with libcsv (strict: a quote inside an unquoted field, text after
// a closing quote and an unterminated quote are errors). After an error the parser resumes
// at the next line, so one bad quote costs its own record and never swallows the rows after
// it silently. The text may come in blocks cut anywhere: split() appends the records a block
// completes, finish() the last one.
class Splitter {
public:
    Splitter() { reset(); }
    ~Splitter() { csv_free(&parser_); }
    Splitter(const Splitter&) = delete;
    Splitter& operator=(const Splitter&) = delete;

    void split(std::string_view text, std::vector<Record>& out) {
        records_ = &out;
        std::size_t i = 0;
        if (skipping_) {  // the rest of a line with an error is not read
            const std::size_t next = text.find('\n');
            i = next == std::string_view::npos ? text.size() : next + 1;
            line_ += next == std::string_view::npos ? 0 : 1;
            skipping_ = next == std::string_view::npos;
        }
        for (; i < text.size(); ++i) {
            const char c = text[i];
            if (c != '\n' && c != '\r') {
                record_line_ = record_line_ == 0 ? line_ : record_line_;
                field_line_ = at_field_start_ ? line_ : field_line_;
                at_field_start_ = false;
            }
            if (csv_parse(&parser_, &c, 1, on_field, on_row, this) != 1) {
                fail("malformed quoting on line " + std::to_string(line_) +
                     ": a quote inside an unquoted field, or text after a closing quote (RFC "
                     "4180: put the whole field in quotes and double every quote inside it)");
                const std::size_t next = text.find('\n', i);  // resume on the next line
                if (next == std::string_view::npos) {
                    skipping_ = true;
                    break;
                }
                i = next;
                ++line_;
                continue;
            }
            line_ += c == '\n' ? 1 : 0;
        }
        ends_with_newline_ = text.empty() ? ends_with_newline_ : text.back() == '\n';
    }

    void finish(std::vector<Record>& out) {
        records_ = &out;
        if (csv_fini(&parser_, on_field, on_row, this) != 0) {
            fail("the quoted field starting on line " + std::to_string(field_line_) +
                 " is never closed: lines " + std::to_string(field_line_) + " to the end (" +
                 std::to_string(line_ - (ends_with_newline_ ? 1 : 0)) +
                 ") were not read as sitreps");
        }
    }

private:
    static void on_field(void* data, std::size_t size, void* self) {
        auto& me = *static_cast<Splitter*>(self);
        me.fields_.emplace_back(static_cast<const char*>(data), size);
        me.at_field_start_ = true;
    }
    static void on_row(int /*terminator*/, void* self) {
        auto& me = *static_cast<Splitter*>(self);
        me.records_->push_back({me.record_line_, std::move(me.fields_), {}});
        me.fields_.clear();
        me.record_line_ = 0;
        me.at_field_start_ = true;
    }
    void fail(std::string why) {
        records_->push_back({record_line_ != 0 ? record_line_ : line_, {}, std::move(why)});
        fields_.clear();
        record_line_ = 0;
        at_field_start_ = true;
        csv_free(&parser_);
        reset();
    }
    void reset() {
        OPEL_CHECK(csv_init(&parser_, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL) == 0,
                   "libcsv initialises");
    }

    csv_parser parser_{};
    std::vector<Record>* records_ = nullptr;  // where split() and finish() append
    std::vector<std::string> fields_;
    int line_ = 1;
    int record_line_ = 0;  // the line the record being read starts on; 0 before it starts
    int field_line_ = 1;   // the line the field being read starts on
    bool at_field_start_ = true;
    bool skipping_ = false;  // after an error, until the next line break
    bool ends_with_newline_ = false;
};

enum class Column {
    site_id,
    as_at,
    submission_id,
    declared_level,
    declared_reason,
    comment,
    measure
};

Column column_of(std::string_view name) {
    return name == "site_id"           ? Column::site_id
           : name == "as_at"           ? Column::as_at
           : name == "submission_id"   ? Column::submission_id
           : name == "declared_level"  ? Column::declared_level
           : name == "declared_reason" ? Column::declared_reason
           : name == "comment"         ? Column::comment
                                       : Column::measure;
}

// The header's column names, or every problem with it.
Result<std::vector<std::string>, std::vector<engine::FieldError>> header_names(
    const Record& header) {
    std::vector<engine::FieldError> errors;
    std::vector<std::string> names;
    if (!header.error.empty()) {
        errors.push_back({"header", "malformed", header.error});
    }
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        const std::string name(trim(header.fields[i]));
        if (name.empty()) {
            errors.push_back(
                {"header", "malformed", "column " + std::to_string(i + 1) + " has no name"});
        } else if (std::find(names.begin(), names.end(), name) != names.end()) {
            errors.push_back({"header", "duplicate_column", "column '" + name + "' appears twice"});
        }
        names.push_back(name);
    }
    for (const char* required : {"site_id", "as_at"}) {
        if (header.error.empty() &&
            std::find(names.begin(), names.end(), required) == names.end()) {
            errors.push_back({"header", "missing_column",
                              std::string("the header needs a '") + required + "' column"});
        }
    }
    if (!errors.empty()) {
        return unexpected(std::move(errors));
    }
    return names;
}

// Reads one cell into `s`; a problem is added to `errors` and leaves the cell out.
void read_cell(const std::string& name, const std::string& raw, engine::Sitrep& s,
               std::vector<engine::FieldError>& errors) {
    const std::string value(trim(raw));
    switch (column_of(name)) {
        case Column::site_id:
            s.site_id = value;
            return;
        case Column::as_at:
            if (!value.empty()) {
                s.as_at = parse_rfc3339(value);
                if (!s.as_at) {
                    errors.push_back(
                        {"as_at", "invalid_time",
                         "'" + value + "' is not an RFC 3339 time such as 2026-01-06T08:00:00Z"});
                }
            }
            return;
        case Column::submission_id:
            s.submission_id = value;
            return;
        case Column::declared_level:
            if (!value.empty()) {
                // What the wire can carry (uint32); the engine checks 1..4 and echoes it.
                const auto level = parse_number(value);
                if (!level || *level != std::floor(*level) || *level < 0 ||
                    *level > std::numeric_limits<std::uint32_t>::max()) {
                    errors.push_back({"declared_level", "invalid_level",
                                      "'" + value + "' is not an OPEL level 1..4"});
                } else {
                    s.declared_level = static_cast<std::int64_t>(*level);
                }
            }
            return;
        case Column::declared_reason:
            s.declared_reason = value;
            return;
        case Column::comment:
            s.comment = raw;
            return;
        case Column::measure:
            if (!value.empty()) {
                if (const auto number = parse_number(value)) {
                    s.measures.emplace(name, *number);
                } else {
                    errors.push_back(
                        {"measures." + name, "not_a_number", "'" + value + "' is not a number"});
                }
            }
            return;
    }
}

CsvRow read_row(const Record& rec, const std::vector<std::string>& names) {
    if (!rec.error.empty()) {
        return {rec.line, unexpected(std::vector<engine::FieldError>{{"", "malformed", rec.error}}),
                std::nullopt};
    }
    std::vector<engine::FieldError> errors;
    if (rec.fields.size() != names.size()) {
        errors.push_back({"", "malformed",
                          "line has " + std::to_string(rec.fields.size()) +
                              " fields; the header has " + std::to_string(names.size())});
        return {rec.line, unexpected(std::move(errors)), std::nullopt};
    }
    engine::Sitrep s;
    for (std::size_t i = 0; i < names.size(); ++i) {
        read_cell(names[i], rec.fields[i], s, errors);
    }
    if (errors.empty()) {
        return {rec.line, std::move(s), std::nullopt};
    }
    return {rec.line, unexpected(std::move(errors)), std::move(s)};
}

}  // namespace

// The reader's state: the splitter, the header once read, and the byte-order mark check.
class CsvSitrepReader::State {
public:
    void read(std::string_view block, std::vector<CsvRow>& rows) {
        if (!past_bom_) {  // Excel's "CSV UTF-8" starts with one: held until 3 bytes are in
            const std::size_t take = std::min(bom.size() - head_.size(), block.size());
            head_.append(block.substr(0, take));
            block.remove_prefix(take);
            if (head_.size() < bom.size()) {
                return;
            }
            past_bom_ = true;
            split(head_ == bom ? std::string_view{} : std::string_view(head_), rows);
        }
        split(block, rows);
    }

    void finish(std::vector<CsvRow>& rows) {
        if (!past_bom_) {
            past_bom_ = true;
            split(head_, rows);
        }
        splitter_.finish(records_);
        take(rows);
        if (!any_record_) {
            rows.push_back({1,
                            unexpected(std::vector<engine::FieldError>{
                                {"", "malformed", "empty CSV: a header line is required"}}),
                            std::nullopt});
        }
    }

private:
    static constexpr std::string_view bom = "\xEF\xBB\xBF";

    void split(std::string_view text, std::vector<CsvRow>& rows) {
        splitter_.split(text, records_);
        take(rows);
    }

    // The records split so far, as rows: the first is the header (a bad one is the only row).
    void take(std::vector<CsvRow>& rows) {
        for (const Record& record : records_) {
            if (!any_record_) {
                any_record_ = true;
                auto names = header_names(record);
                if (!names) {
                    rows.push_back(
                        {record.line, unexpected(std::move(names).error()), std::nullopt});
                    bad_header_ = true;
                } else {
                    names_ = std::move(*names);
                }
            } else if (!bad_header_) {
                rows.push_back(read_row(record, names_));
            }
        }
        records_.clear();
    }

    Splitter splitter_;
    std::vector<Record> records_;  // split, not yet taken; kept for its capacity
    std::vector<std::string> names_;
    std::string head_;  // the first bytes, until the byte-order mark check
    bool past_bom_ = false;
    bool any_record_ = false;
    bool bad_header_ = false;
};

CsvSitrepReader::CsvSitrepReader() : state_(std::make_unique<State>()) {}
CsvSitrepReader::~CsvSitrepReader() = default;

void CsvSitrepReader::read(std::string_view block, std::vector<CsvRow>& rows) {
    state_->read(block, rows);
}

void CsvSitrepReader::finish(std::vector<CsvRow>& rows) { state_->finish(rows); }

std::vector<CsvRow> sitreps_from_csv(std::string_view text) {
    CsvSitrepReader reader;
    std::vector<CsvRow> rows;
    reader.read(text, rows);
    reader.finish(rows);
    return rows;
}

std::string csv_cell(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        return std::string(text);
    }
    std::string out(text.size() * 2 + 2, '\0');
    out.resize(csv_write(out.data(), out.size(), text.data(), text.size()));
    return out;
}

void add_validation_errors(SitrepResult& sitrep, const std::optional<engine::Sitrep>& partial,
                           const engine::Model& model) {
    if (sitrep || !partial) {
        return;
    }
    std::vector<engine::FieldError>& errors = sitrep.error();
    const auto named = [&errors](const std::string& field) {
        return std::any_of(errors.begin(), errors.end(),
                           [&field](const engine::FieldError& e) { return e.field == field; });
    };
    for (engine::FieldError& e :
         engine::validate_sitrep(*partial, model, std::nullopt, Duration{0})) {
        if (!named(e.field)) {
            errors.push_back(std::move(e));
        }
    }
}

}  // namespace opel::codec

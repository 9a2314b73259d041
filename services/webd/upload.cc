#include "webd/upload.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

#include "adapters/codec/csv.h"
#include "adapters/codec/json.h"
#include "adapters/codec/messages.h"

namespace opel::webd {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::string_view trim(std::string_view text) {
    const std::size_t first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos) {
        return {};
    }
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

}  // namespace

Result<UploadFormat, std::string> upload_format(std::string_view content_type) {
    const std::string type = lower(trim(content_type.substr(0, content_type.find(';'))));
    const std::string_view taken =
        "text/csv, application/x-ndjson (JSON lines) or application/json (one sitrep)";
    if (type.empty()) {
        return unexpected("no Content-Type: send " + std::string(taken));
    }
    for (std::string_view rest = content_type; rest.find(';') != std::string_view::npos;) {
        rest.remove_prefix(rest.find(';') + 1);
        const std::string parameter = lower(trim(rest.substr(0, rest.find(';'))));
        if (parameter.rfind("charset=", 0) == 0 && parameter != "charset=utf-8" &&
            parameter != "charset=\"utf-8\"" && parameter != "charset=us-ascii") {
            return unexpected("Content-Type '" + std::string(content_type) +
                              "': only UTF-8 is read");
        }
    }
    if (type == "text/csv") {
        return UploadFormat::csv;
    }
    if (type == "application/x-ndjson" || type == "application/jsonl" ||
        type == "application/x-jsonlines") {
        return UploadFormat::jsonl;
    }
    if (type == "application/json") {
        return UploadFormat::json;
    }
    return unexpected("Content-Type '" + std::string(content_type) + "' is not read: send " +
                      std::string(taken));
}

Result<std::vector<UploadRow>, std::string> read_upload(UploadFormat format, std::string_view body,
                                                        const engine::Model& model,
                                                        std::size_t max_rows) {
    if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return unexpected(std::string("the body is empty: no sitreps to send"));
    }
    const auto too_many = [max_rows] {
        return unexpected("more than " + std::to_string(max_rows) +
                          " sitreps in one upload: split the file");
    };
    std::vector<UploadRow> rows;
    if (format == UploadFormat::json) {
        rows.push_back({1, codec::sitrep_from_json(body)});
        return rows;
    }
    if (format == UploadFormat::jsonl) {
        codec::SitrepJsonDecoder decoder;
        int line = 0;
        for (std::size_t at = 0; at < body.size();) {
            const std::size_t end = std::min(body.find('\n', at), body.size());
            const std::string_view text = body.substr(at, end - at);
            at = end + 1;
            ++line;
            if (text.find_first_not_of(" \t\r") == std::string_view::npos) {
                continue;
            }
            if (rows.size() == max_rows) {
                return too_many();
            }
            rows.push_back({line, decoder.decode(text)});
        }
        return rows;
    }
    std::vector<codec::CsvRow> csv = codec::sitreps_from_csv(body);
    // A header the reader cannot use is one row naming the header's problems.
    if (csv.size() == 1 && !csv.front().sitrep && csv.front().line == 1) {
        std::string problems;
        for (const engine::FieldError& e : csv.front().sitrep.error()) {
            problems += (problems.empty() ? "" : "; ") + e.field + ": " + e.message;
        }
        return unexpected("line 1: " + problems);
    }
    if (csv.size() > max_rows) {
        return too_many();
    }
    for (codec::CsvRow& row : csv) {
        codec::add_validation_errors(row.sitrep, row.partial, model);
        rows.push_back({row.line, std::move(row.sitrep)});
    }
    if (rows.empty()) {
        return unexpected(std::string("the CSV has a header and no rows: no sitreps to send"));
    }
    return rows;
}

codec::CommandReply not_sent_reply(const std::vector<engine::FieldError>& errors) {
    engine::SubmitOutcome rejected;
    rejected.status = engine::SubmitStatus::rejected;
    rejected.errors = errors;
    return codec::read_command_reply(codec::outcome_reply(rejected, {}, 0));
}

UploadAnswer upload_answer(const std::vector<UploadRow>& rows,
                           const std::vector<codec::CommandReply>& replies) {
    using Outcome = codec::CommandReply::Outcome;
    std::array<std::size_t, 3> by_outcome{};
    std::map<std::string, std::size_t> by_status;
    std::string results;
    for (std::size_t i = 0; i < rows.size() && i < replies.size(); ++i) {
        const codec::CommandReply& reply = replies[i];
        ++by_outcome.at(static_cast<std::size_t>(reply.outcome));
        ++by_status[reply.status.empty() ? "unreadable" : lower(reply.status)];
        results += std::string(results.empty() ? "" : ",") +
                   "{\"line\":" + std::to_string(rows[i].line) +
                   ",\"reply\":" + (reply.json.empty() ? "{}" : reply.json) + "}";
    }
    const std::size_t done = by_outcome.at(static_cast<std::size_t>(Outcome::done));
    const std::size_t refused = by_outcome.at(static_cast<std::size_t>(Outcome::refused));
    const std::size_t retry = by_outcome.at(static_cast<std::size_t>(Outcome::retry));
    UploadAnswer out;
    out.status = done == replies.size() ? 200U
                 : done > 0             ? 207U
                 : retry == 0           ? 400U
                 : refused == 0         ? 503U
                                        : 207U;
    std::string summary = "\"rows\":" + std::to_string(replies.size());
    for (const auto& [status, count] : by_status) {
        summary += ",\"" + status + "\":" + std::to_string(count);
    }
    out.json = "{\"status\":" + std::to_string(out.status) + ",\"summary\":{" + summary +
               "},\"results\":[" + results + "]}";
    return out;
}

std::string upload_error_json(unsigned status, std::string_view message) {
    return "{\"status\":" + std::to_string(status) + ",\"error\":" + codec::json_string(message) +
           "}";
}

}  // namespace opel::webd

// Sitreps uploaded over HTTP (POST /api/v1/sitreps): reading the body in its format, and the
// answer once every row has its reply. Pure: no sockets; the daemon sends the rows.
//
//   body ──read_upload──▶ rows (decoded sitreps, or every problem) ──▶ the daemon sends the
//   decoded ones to the escalator ──▶ replies ──upload_answer──▶ status + JSON
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/codec/command.h"
#include "adapters/codec/decoded.h"
#include "base/result.h"
#include "engine/model.h"

namespace opel::webd {

enum class UploadFormat { csv, jsonl, json };

// The format a Content-Type names: text/csv, application/x-ndjson (or application/jsonl,
// application/x-jsonlines), application/json (one sitrep). Parameters (";charset=utf-8") are
// ignored; charsets other than UTF-8 are refused. Errors: what was given and what is taken.
Result<UploadFormat, std::string> upload_format(std::string_view content_type);

// One row of an upload: its line (CSV: the record's first line; JSON lines: the line; JSON:
// 1) and the sitrep, or every problem with it (decoding and, for a row with unreadable cells,
// the engine's validation of the rest).
struct UploadRow {
    int line = 0;
    codec::SitrepResult sitrep;
};

// The rows of `body`. Errors (the upload as a whole): an empty body, a CSV without a usable
// header (its problems), more than `max_rows` rows.
Result<std::vector<UploadRow>, std::string> read_upload(UploadFormat format, std::string_view body,
                                                        const engine::Model& model,
                                                        std::size_t max_rows);

// The reply a row that was not sent gets: REJECTED with its errors, as the escalator would
// answer it.
codec::CommandReply not_sent_reply(const std::vector<engine::FieldError>& errors);

// The HTTP answer for an upload whose rows got `replies` (in row order): 200 when every row
// was ACCEPTED, DUPLICATE or LATE; 400 when none was and none may be retried; 503 when none
// was and none was refused (the escalator did not answer or was unavailable: retry the whole
// upload); 207 otherwise (see each row). The body:
//   {"status":207,"summary":{"rows":3,"accepted":1,...},"results":[{"line":2,"reply":{...}}]}
// each reply opel.v1.SubmitReply's JSON.
struct UploadAnswer {
    unsigned status = 200;
    std::string json;
};
UploadAnswer upload_answer(const std::vector<UploadRow>& rows,
                           const std::vector<codec::CommandReply>& replies);

// A problem with the upload as a whole, as the JSON body of its 4xx/5xx answer:
// {"status":415,"error":"..."}.
std::string upload_error_json(unsigned status, std::string_view message);

}  // namespace opel::webd

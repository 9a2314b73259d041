#include "reply.h"

#include <iostream>

#include "adapters/codec/client.h"
#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "opel/v1/reply.pb.h"
#include "report.h"

namespace opel::cli {
namespace {

std::string status_text(v1::SubmitStatus s) {
    switch (s) {
        case v1::SUBMIT_STATUS_ACCEPTED:
            return "ACCEPTED";
        case v1::SUBMIT_STATUS_DUPLICATE:
            return "DUPLICATE";
        case v1::SUBMIT_STATUS_LATE:
            return "LATE";
        case v1::SUBMIT_STATUS_REJECTED:
            return "REJECTED";
        case v1::SUBMIT_STATUS_UNAVAILABLE:
            return "UNAVAILABLE";
        default:
            return "UNKNOWN REPLY";
    }
}

// The reply as people read it: status, id, level, why and every error.
void print_reply(const v1::SubmitReply& reply, const std::string& where) {
    std::cout << where << pad(status_text(reply.status()), 12) << pad(reply.submission_id(), 46);
    if (reply.has_result()) {
        std::cout << level_text(codec::from_proto(reply.result().status())) << "  (sequence "
                  << reply.sequence() << ")";
    }
    if (reply.status() == v1::SUBMIT_STATUS_LATE) {
        std::cout << "older than the site's latest sitrep: kept as history only";
    }
    if (reply.status() == v1::SUBMIT_STATUS_DUPLICATE) {
        std::cout << "  first reply: " << status_text(reply.original_status());
    }
    if (!reply.message().empty() && reply.errors_size() == 0) {
        std::cout << "  " << reply.message();
    }
    std::cout << '\n';
    if (reply.has_result() && !reply.result().decided_by().empty()) {
        std::cout << "    why: " << reply.result().decided_by() << '\n';
    }
    if (reply.has_result()) {
        if (const std::string held = held_note(codec::from_proto(reply.result())); !held.empty()) {
            std::cout << "    " << held << '\n';
        }
    }
    std::vector<engine::FieldError> errors;
    for (const v1::SubmitError& e : reply.errors()) {
        errors.push_back({e.field(), e.code(), e.message()});
    }
    print_errors(std::cout, errors);
}

}  // namespace

bool exchange(net::RequestClient& client, const std::string& request, const Exchange& how) {
    auto answer = client.request(request, how.timeout, how.retries);
    if (!answer) {
        std::cerr << how.program << ": " << how.where << how.what << ": " << answer.error().message
                  << '\n';
        return false;
    }
    const auto read = codec::read_reply(*answer);
    if (!read) {
        std::cerr << how.program << ": " << how.where << read.error() << " from " << how.endpoint
                  << '\n';
        return false;
    }
    const v1::SubmitReply& reply = *read;
    if (how.json) {
        std::cout << codec::to_json(reply) << '\n';
    } else {
        print_reply(reply, how.where);
    }
    return reply.status() == v1::SUBMIT_STATUS_ACCEPTED ||
           reply.status() == v1::SUBMIT_STATUS_DUPLICATE ||
           reply.status() == v1::SUBMIT_STATUS_LATE;
}

}  // namespace opel::cli

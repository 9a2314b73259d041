// opel submit: send sitreps to opel-escalatord and print each reply.
#include <algorithm>
#include <iostream>
#include <zmq.hpp>

#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "adapters/net/client.h"
#include "cli.h"
#include "inputs.h"
#include "opel/v1/request.pb.h"
#include "report.h"

namespace opel::cli {
namespace {

constexpr const char* help =
    R"(usage: opel submit --site ID --as-at TIME --measure NAME=VALUE [...] [options]
       opel submit --file FILE|- [options]

Sends sitreps to opel-escalatord's submit endpoint and prints each reply:
ACCEPTED (with the computed site level and the sequence number), DUPLICATE (seen before:
the first reply again, nothing applied twice), LATE (older than the site's latest: kept as
history), REJECTED (every problem named) or UNAVAILABLE (temporary: retry).

One sitrep from flags:
  --site ID                 reporting site (ODS code, e.g. RWJ)
  --as-at TIME              time the figures describe, RFC 3339 (2026-01-06T08:00:00Z)
  --measure NAME=VALUE      a measure (repeat for each)
  --declared-level N        level the site declares (1-4), with --declared-reason TEXT
  --comment TEXT            free text
  --submission-id ID        idempotency key; default: site + as_at + measures, so an
                            identical resend is DUPLICATE and other figures for the same
                            site and time a correction (both kept). An explicit id reused
                            for other content is REJECTED (idempotency_conflict)
Many sitreps:
  --file FILE|-             JSON lines (opel.v1.Sitrep) or CSV `site_id,as_at,<measure>,...`
  --format jsonl|csv        input format (default: from the file name or first byte)
Options:
  --json                    print each reply as a JSON line (opel.v1.SubmitReply)
  --timeout-ms N            wait per attempt (default 5000)
  --retries N               further attempts on timeout, same submission_id (default 3)
  --submit-endpoint EP      default $OPEL_SUBMIT_ENDPOINT, else the configuration
  --config DIR|FILE         configuration to read the endpoint from

Exit 0 when every sitrep was ACCEPTED, DUPLICATE or LATE; 1 when any was rejected,
unavailable or unanswered; 2 for usage errors.
)";

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

// Builds the one sitrep described by flags, or returns the usage problem.
std::optional<std::string> sitrep_from_flags(const Args& args, engine::Sitrep& s) {
    s.site_id = args.value("site").value_or("");
    if (const auto t = args.value("as-at")) {
        s.as_at = parse_rfc3339(*t);
        if (!s.as_at) {
            return "--as-at '" + *t + "' is not an RFC 3339 time such as 2026-01-06T08:00:00Z";
        }
    }
    for (const std::string& m : args.values("measure")) {
        const auto eq = m.find('=');
        char* end = nullptr;
        const double value = eq == std::string::npos ? 0 : std::strtod(m.c_str() + eq + 1, &end);
        if (eq == std::string::npos || eq == 0 || end == m.c_str() + eq + 1 || *end != '\0') {
            return "--measure '" + m + "' must be NAME=NUMBER";
        }
        if (!s.measures.emplace(m.substr(0, eq), value).second) {
            return "--measure " + m.substr(0, eq) + " given twice";
        }
    }
    if (const auto level = args.value("declared-level")) {
        if (*level != "1" && *level != "2" && *level != "3" && *level != "4") {
            return "--declared-level must be an OPEL level 1-4, got '" + *level + "'";
        }
        s.declared_level = std::stoi(*level);
    }
    s.declared_reason = args.value("declared-reason").value_or("");
    s.comment = args.value("comment").value_or("");
    s.submission_id = args.value("submission-id").value_or("");
    return std::nullopt;
}

}  // namespace

int submit_main(const std::vector<std::string>& argv) {
    Args args;
    std::vector<std::string> value_flags = endpoint_flags;
    value_flags.insert(value_flags.end(),
                       {"site", "as-at", "measure", "declared-level", "declared-reason", "comment",
                        "submission-id", "file", "format", "timeout-ms", "retries"});
    if (const auto error = Args::parse(argv, value_flags, {"json", "help"}, args)) {
        std::cerr << "opel submit: " << *error << "\n\n" << help;
        return exit_usage;
    }
    if (args.has("help")) {
        std::cout << help;
        return exit_ok;
    }
    const bool from_file = args.has("file");
    const bool from_flags = args.has("site") || args.has("as-at") || args.has("measure");
    if (!args.positional().empty()) {
        std::cerr << "opel submit: unexpected argument '" << args.positional().front()
                  << "' (a file is given with --file)\n\n"
                  << help;
        return exit_usage;
    }
    if (from_file == from_flags) {
        std::cerr << "opel submit: give either --file or --site/--as-at/--measure\n\n" << help;
        return exit_usage;
    }
    const auto timeout = number_flag(args, "timeout-ms", 5000, std::cerr);
    const auto retries = number_flag(args, "retries", 3, std::cerr, 0);
    if (!timeout || !retries) {
        return exit_usage;
    }
    std::vector<Input> inputs;
    if (from_flags) {
        engine::Sitrep s;
        if (const auto problem = sitrep_from_flags(args, s)) {
            std::cerr << "opel submit: " << *problem << '\n';
            return exit_usage;
        }
        inputs.push_back({0, std::move(s), std::nullopt});
    } else {
        auto read = read_sitreps(*args.value("file"), args.value("format").value_or(""), std::cerr);
        if (!read) {
            return exit_failed;
        }
        inputs = std::move(*read);
        // Rows with unreadable cells are not sent; with the configuration at hand their
        // other problems are named too.
        const bool partial = std::any_of(inputs.begin(), inputs.end(),
                                         [](const Input& in) { return in.partial.has_value(); });
        auto loaded = partial ? config::load_config(config_path(args))
                              : unexpected(std::vector<config::ConfigError>{});
        if (loaded) {
            const engine::Model model(std::move(loaded->engine));
            add_validation_errors(inputs, model);
        }
    }
    const auto eps = endpoints(args, std::cerr);
    if (!eps) {
        return exit_failed;
    }
    zmq::context_t context;
    net::RequestClient client(context, eps->submit);
    const bool json = args.has("json");
    int failures = 0;
    for (const Input& input : inputs) {
        const std::string where = input.line > 0 ? "line " + std::to_string(input.line) + ": " : "";
        if (!input.sitrep) {
            ++failures;
            std::cout << where << "NOT SENT (" << input.sitrep.error().size() << " problem"
                      << (input.sitrep.error().size() == 1 ? "" : "s") << ")\n";
            print_errors(std::cout, input.sitrep.error());
            continue;
        }
        v1::SubmitRequest request;
        *request.mutable_sitrep() = codec::to_proto(*input.sitrep);
        auto answer =
            client.request(request.SerializeAsString(), std::chrono::milliseconds(*timeout),
                           static_cast<int>(*retries));
        if (!answer) {
            ++failures;
            std::cerr << "opel submit: " << where << input.sitrep->effective_submission_id() << ": "
                      << answer.error().message << '\n';
            continue;
        }
        v1::SubmitReply reply;
        if (!reply.ParseFromString(*answer)) {
            ++failures;
            std::cerr << "opel submit: " << where << "undecodable reply from " << eps->submit
                      << '\n';
            continue;
        }
        const bool ok = reply.status() == v1::SUBMIT_STATUS_ACCEPTED ||
                        reply.status() == v1::SUBMIT_STATUS_DUPLICATE ||
                        reply.status() == v1::SUBMIT_STATUS_LATE;
        failures += ok ? 0 : 1;
        if (json) {
            std::cout << codec::to_json(reply) << '\n';
            continue;
        }
        std::cout << where << pad(status_text(reply.status()), 12)
                  << pad(reply.submission_id(), 46);
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
            if (const std::string held = held_note(codec::from_proto(reply.result()));
                !held.empty()) {
                std::cout << "    " << held << '\n';
            }
        }
        std::vector<engine::FieldError> errors;
        for (const v1::SubmitError& e : reply.errors()) {
            errors.push_back({e.field(), e.code(), e.message()});
        }
        print_errors(std::cout, errors);
    }
    return failures > 0 ? exit_failed : exit_ok;
}

}  // namespace opel::cli

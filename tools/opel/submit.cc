// opel submit: send sitreps to opel-escalatord and print each reply.
#include <algorithm>
#include <iostream>
#include <zmq.hpp>

#include "adapters/codec/client.h"
#include "adapters/codec/command.h"
#include "adapters/codec/json.h"
#include "adapters/net/client.h"
#include "cli.h"
#include "inputs.h"
#include "reply.h"
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
  --curve-public-key FILE   with escalatord.curve: this client's key pair (opel keygen),
  --curve-secret-key FILE   default $OPEL_CURVE_PUBLIC_KEY / $OPEL_CURVE_SECRET_KEY
  --curve-server-key FILE   the escalator's public key (default: escalatord.curve's)
  --config DIR|FILE         configuration to read the endpoint from

Exit 0 when every sitrep was ACCEPTED, DUPLICATE or LATE; 1 when any was rejected,
unavailable or unanswered; 2 for usage errors.
)";

struct Flags {
    std::optional<std::string> config;
    options::Endpoints endpoints;
    std::optional<std::string> site, declared_reason, comment, submission_id, file, format;
    std::optional<TimePoint> as_at;
    std::vector<std::string> measures;  // NAME=VALUE, unchecked
    std::optional<long> declared_level;
    long timeout_ms = 5000;
    long retries = 3;
    bool json = false;
    std::optional<engine::Sitrep> sitrep;  // the one sitrep given by flags, else --file
};

// Binds every flag of the command to `f`.
void declare(options::CommandLine& cl, Flags& f) {
    cl.config(f.config);
    cl.endpoints(f.endpoints);
    cl.curve_keys(f.endpoints);
    cl.text("--site", f.site);
    cl.time("--as-at", f.as_at);
    cl.texts("--measure", f.measures);
    cl.whole("--declared-level", f.declared_level, {1, 4, ""});
    cl.text("--declared-reason", f.declared_reason);
    cl.text("--comment", f.comment);
    cl.text("--submission-id", f.submission_id);
    cl.text("--file", f.file);
    cl.choice("--format", f.format, {"jsonl", "csv"});
    cl.flag("--json", f.json);
}

// The one sitrep described by flags, or the usage problem with a --measure.
Result<engine::Sitrep, std::string> sitrep_from_flags(const Flags& f) {
    engine::Sitrep s;
    s.site_id = f.site.value_or("");
    s.as_at = f.as_at;
    for (const std::string& m : f.measures) {
        const auto eq = m.find('=');
        char* end = nullptr;
        const double value = eq == std::string::npos ? 0 : std::strtod(m.c_str() + eq + 1, &end);
        if (eq == std::string::npos || eq == 0 || end == m.c_str() + eq + 1 || *end != '\0') {
            return unexpected("--measure: '" + m + "' is not NAME=NUMBER");
        }
        if (!s.measures.emplace(m.substr(0, eq), value).second) {
            return unexpected("--measure: " + m.substr(0, eq) + " given twice");
        }
    }
    if (f.declared_level) {
        s.declared_level = static_cast<int>(*f.declared_level);
    }
    s.declared_reason = f.declared_reason.value_or("");
    s.comment = f.comment.value_or("");
    s.submission_id = f.submission_id.value_or("");
    return s;
}

Result<Flags, options::Stop> parse_flags(const std::vector<std::string>& argv) {
    Flags f;
    std::vector<std::string> positionals;
    std::optional<long> timeout, retries;
    options::CommandLine cl("opel submit", help);
    declare(cl, f);
    cl.whole("--timeout-ms", timeout, {1, 3600000, "milliseconds"});
    cl.whole("--retries", retries, {0, 100, ""});
    cl.positionals(positionals);
    if (auto stop = cl.parse(argv)) {
        return unexpected(std::move(*stop));
    }
    if (!positionals.empty()) {
        return unexpected(cl.usage_error("unexpected argument '" + positionals.front() +
                                         "' (a file is given with --file)"));
    }
    const bool from_flags = f.site || f.as_at || !f.measures.empty();
    if (f.file.has_value() == from_flags) {
        return unexpected(cl.usage_error("give either --file or --site/--as-at/--measure"));
    }
    if (from_flags) {
        auto sitrep = sitrep_from_flags(f);
        if (!sitrep) {
            return unexpected(cl.usage_error(sitrep.error()));
        }
        f.sitrep = std::move(sitrep).value();
    }
    f.timeout_ms = timeout.value_or(f.timeout_ms);
    f.retries = retries.value_or(f.retries);
    return f;
}

// The sitreps of --file. Rows with unreadable cells are not sent; with the configuration at
// hand their other problems are named too. nullopt when the file cannot be read (printed).
std::optional<std::vector<Input>> sitreps_from_file(const Flags& f) {
    auto inputs = read_sitreps(*f.file, f.format.value_or(""), std::cerr);
    if (!inputs) {
        return std::nullopt;
    }
    const bool partial = std::any_of(inputs->begin(), inputs->end(),
                                     [](const Input& in) { return in.partial.has_value(); });
    auto loaded = partial ? config::load_config(options::config_path(f.config))
                          : unexpected(std::vector<config::ConfigError>{});
    if (loaded) {
        const engine::Model model(std::move(loaded->engine));
        return with_validation_errors(std::move(*inputs), model);
    }
    return inputs;
}

// Sends one input and prints the outcome; true when it was accepted, a duplicate or late.
bool submit_one(net::RequestClient& client, const Input& input, const Flags& f,
                const std::string& endpoint) {
    const std::string where = input.line > 0 ? "line " + std::to_string(input.line) + ": " : "";
    if (!input.sitrep) {
        std::cout << where << "NOT SENT (" << input.sitrep.error().size() << " problem"
                  << (input.sitrep.error().size() == 1 ? "" : "s") << ")\n";
        print_errors(std::cout, input.sitrep.error());
        return false;
    }
    return exchange(client, codec::sitrep_request(*input.sitrep),
                    {"opel submit", where, input.sitrep->effective_submission_id(), endpoint,
                     std::chrono::milliseconds(f.timeout_ms), static_cast<int>(f.retries), f.json});
}

}  // namespace

int submit_main(const std::vector<std::string>& argv) {
    const auto flags = parse_flags(argv);
    if (!flags) {
        return options::report(flags.error(), std::cout, std::cerr);
    }
    const auto inputs = flags->sitrep
                            ? std::optional(std::vector<Input>{{0, *flags->sitrep, std::nullopt}})
                            : sitreps_from_file(*flags);
    if (!inputs) {
        return exit_failed;
    }
    const auto eps = endpoints(flags->endpoints, flags->config, std::cerr);
    if (!eps) {
        return exit_failed;
    }
    zmq::context_t context;
    net::RequestClient client(context, eps->submit, eps->curve);
    int failures = 0;
    for (const Input& input : *inputs) {
        failures += submit_one(client, input, *flags, eps->submit) ? 0 : 1;
    }
    return failures > 0 ? exit_failed : exit_ok;
}

}  // namespace opel::cli

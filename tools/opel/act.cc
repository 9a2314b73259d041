// opel ack and opel declare: what people do about an alert, through the submit socket.
#include <iostream>
#include <random>
#include <zmq.hpp>

#include "adapters/codec/command.h"
#include "cli.h"
#include "reply.h"

namespace opel::cli {
namespace {

constexpr const char* ack_help =
    R"(usage: opel ack TRANSITION_ID --by NAME [--note TEXT] [options]

Acknowledges an alert: says that NAME has seen the transition TRANSITION_ID (the alert's
"<node id>#<n>", e.g. RWJ#7, as `opel watch` and `opel history --kind events` print it) and
is acting on it. The acknowledgement is stored before the reply, published on
alert/<node path> for every subscriber (`opel watch` prints it), and shown by `opel status`
while the transition is the node's current one. A transition is acknowledged once: a repeat,
by anyone, is DUPLICATE and names who acknowledged it first. An id that names no node or a
transition that has not happened is REJECTED with the reason.

  TRANSITION_ID             the alert's transition id
  --by NAME                 who acknowledges, as the team knows them (default $OPEL_USER)
  --note TEXT               what is being done
Options:
  --json                    print the reply as a JSON line (opel.v1.SubmitReply)
  --timeout-ms N            wait per attempt (default 5000)
  --retries N               further attempts on timeout, same request (default 3)
  --submit-endpoint EP      default $OPEL_SUBMIT_ENDPOINT, else the configuration
  --curve-public-key FILE   with escalatord.curve: this client's key pair (opel keygen),
  --curve-secret-key FILE   default $OPEL_CURVE_PUBLIC_KEY / $OPEL_CURVE_SECRET_KEY
  --curve-server-key FILE   the escalator's public key (default: escalatord.curve's)
  --config DIR|FILE         configuration to read the endpoint from

Exit 0 when ACCEPTED or DUPLICATE; 1 when rejected or unanswered; 2 for usage errors.
)";

constexpr const char* declare_help =
    R"(usage: opel declare --site ID --level N --reason TEXT [--until TIME] [--by NAME] [options]
       opel declare --site ID --withdraw --reason TEXT [--by NAME] [options]

Declares a site's OPEL level by clinical judgement. The declared level is shown beside the
computed one (`opel status`), never instead of it, and does not change the roll-up; when they
differ a declared_mismatch alert is published. It stands until TIME, until another
declaration replaces it, or until it is withdrawn; a sitrep's own declared_level is shown
while it is the latest. Stored before the reply and published on alert/<site path>
(event `declared`, and `declaration_expired` when TIME passes).

  --site ID                 the site (ODS code, e.g. RWJ)
  --level N                 the declared level, 1-4
  --withdraw                withdraw the site's standing declaration instead
  --reason TEXT             why (required, also to withdraw)
  --until TIME              when the declaration lapses, RFC 3339 (2026-01-06T18:00:00Z)
  --by NAME                 who declares (default $OPEL_USER)
Options:
  --json                    print the reply as a JSON line (opel.v1.SubmitReply)
  --timeout-ms N            wait per attempt (default 5000)
  --retries N               further attempts on timeout, same request (default 3): a
                            retry carries the same declaration id, so it never declares twice
  --submit-endpoint EP      default $OPEL_SUBMIT_ENDPOINT, else the configuration
  --curve-public-key FILE   with escalatord.curve: this client's key pair (opel keygen),
  --curve-secret-key FILE   default $OPEL_CURVE_PUBLIC_KEY / $OPEL_CURVE_SECRET_KEY
  --curve-server-key FILE   the escalator's public key (default: escalatord.curve's)
  --config DIR|FILE         configuration to read the endpoint from

Exit 0 when ACCEPTED or DUPLICATE; 1 when rejected or unanswered; 2 for usage errors.
)";

// What both commands share: who, where, and how to wait.
struct Common {
    std::optional<std::string> config;
    options::Endpoints endpoints;
    std::optional<std::string> by;
    std::optional<long> timeout_ms;
    std::optional<long> retries;
    bool json = false;
};

void bind(options::CommandLine& cl, Common& c) {
    cl.config(c.config);
    cl.endpoints(c.endpoints);
    cl.curve_keys(c.endpoints);
    cl.text("--by", c.by, "OPEL_USER");
    cl.whole("--timeout-ms", c.timeout_ms, {1, 3600000, "milliseconds"});
    cl.whole("--retries", c.retries, {0, 100, ""});
    cl.flag("--json", c.json);
}

// Sends `request`, prints the reply; the exit code.
int send(const Common& c, const std::string& program, const std::string& what,
         const std::string& request) {
    const auto eps = endpoints(c.endpoints, c.config, std::cerr);
    if (!eps) {
        return exit_failed;
    }
    zmq::context_t context;
    net::RequestClient client(context, eps->submit, eps->curve);
    const bool ok = exchange(
        client, request,
        {program, "", what, eps->submit, std::chrono::milliseconds(c.timeout_ms.value_or(5000)),
         static_cast<int>(c.retries.value_or(3)), c.json});
    return ok ? exit_ok : exit_failed;
}

// A new declaration id: the same for every retry of one invocation, new for the next.
std::string new_declaration_id() {
    std::random_device random;
    std::string id = "cli-";
    for (int i = 0; i < 2; ++i) {
        const unsigned word = random();
        for (int shift = 28; shift >= 0; shift -= 4) {
            id.push_back("0123456789abcdef"[(word >> shift) & 0xfU]);
        }
    }
    return id;
}

}  // namespace

int ack_main(const std::vector<std::string>& argv) {
    Common c;
    std::optional<std::string> note;
    std::vector<std::string> positionals;
    options::CommandLine cl("opel ack", ack_help);
    bind(cl, c);
    cl.text("--note", note);
    cl.positionals(positionals);
    if (auto stop = cl.parse(argv)) {
        return options::report(*stop, std::cout, std::cerr);
    }
    if (positionals.size() != 1) {
        return options::report(
            cl.usage_error(positionals.empty() ? "give the TRANSITION_ID to acknowledge"
                                               : "give one TRANSITION_ID"),
            std::cout, std::cerr);
    }
    if (!c.by || c.by->empty()) {
        return options::report(cl.usage_error("--by NAME is required (or set OPEL_USER)"),
                               std::cout, std::cerr);
    }
    const engine::Acknowledgement ack{positionals.front(), *c.by, note.value_or("")};
    return send(c, "opel ack", ack.transition_id, codec::acknowledgement_request(ack));
}

int declare_main(const std::vector<std::string>& argv) {
    Common c;
    std::optional<std::string> site, reason;
    std::optional<long> level;
    std::optional<TimePoint> until;
    bool withdraw = false;
    options::CommandLine cl("opel declare", declare_help);
    bind(cl, c);
    cl.text("--site", site);
    cl.whole("--level", level, {1, 4, ""});
    cl.flag("--withdraw", withdraw);
    cl.text("--reason", reason);
    cl.time("--until", until);
    if (auto stop = cl.parse(argv)) {
        return options::report(*stop, std::cout, std::cerr);
    }
    std::string problem;
    if (!site) {
        problem = "--site ID is required";
    } else if (level.has_value() == withdraw) {
        problem = "give either --level N or --withdraw";
    } else if (withdraw && until) {
        problem = "--until goes with --level, not --withdraw";
    } else if (!reason || reason->empty()) {
        problem = "--reason TEXT is required";
    } else if (!c.by || c.by->empty()) {
        problem = "--by NAME is required (or set OPEL_USER)";
    }
    if (!problem.empty()) {
        return options::report(cl.usage_error(problem), std::cout, std::cerr);
    }
    const engine::Declaration d{*site, withdraw ? 0 : *level, *reason, *c.by, until};
    return send(c, "opel declare", "declaration for " + *site,
                codec::declaration_request(d, new_declaration_id()));
}

}  // namespace opel::cli

// opel status: the current levels of a subtree with each site's parameter breakdown.
#include <algorithm>
#include <iostream>
#include <zmq.hpp>

#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "adapters/feed/snapshot_client.h"
#include "cli.h"
#include "report.h"

namespace opel::cli {
namespace {

constexpr const char* help = R"(usage: opel status [PATH | --node PATH] [--brief] [--json] [options]

Shows the current level of every node in a subtree, from opel-escalatord's snapshot
endpoint, with each site's parameter breakdown (what decided its level).

  PATH, --node PATH         subtree: a full path (national/north-west/QOP) or any run of
                            path segments (QOP/stockport, RWJ); default everything
  --brief                   one line per node, no parameter breakdown
  --json                    the snapshot as one JSON object (opel.v1.Snapshot)
  --snapshot-endpoint EP    default $OPEL_SNAPSHOT_ENDPOINT, else the configuration
  --curve-public-key FILE   with escalatord.curve: this client's key pair (opel keygen),
  --curve-secret-key FILE   default $OPEL_CURVE_PUBLIC_KEY / $OPEL_CURVE_SECRET_KEY
  --curve-server-key FILE   the escalator's public key (default: escalatord.curve's)
  --config DIR|FILE         configuration to read the endpoint from
  --timeout-ms N            wait for the daemon (default 5000)

Exit 0 with the state; 1 when the daemon does not answer or the subtree is empty; 2 for
usage errors.
)";

struct Flags {
    std::optional<std::string> config;
    options::Endpoints endpoints;
    std::string node;  // "" everything
    long timeout_ms = 5000;
    bool brief = false;
    bool json = false;
};

Result<Flags, options::Stop> parse_flags(const std::vector<std::string>& argv) {
    Flags f;
    std::vector<std::string> positionals;
    std::optional<std::string> node;
    std::optional<long> timeout;
    options::CommandLine cl("opel status", help);
    cl.config(f.config);
    cl.endpoints(f.endpoints);
    cl.curve_keys(f.endpoints);
    cl.text("--node", node);
    cl.whole("--timeout-ms", timeout, {1, 3600000, "milliseconds"});
    cl.flag("--brief", f.brief);
    cl.flag("--json", f.json);
    cl.positionals(positionals);
    auto chosen = parse_with_node(cl, argv, positionals, node);
    if (!chosen) {
        return unexpected(std::move(chosen).error());
    }
    f.node = std::move(chosen).value();
    f.timeout_ms = timeout.value_or(f.timeout_ms);
    return f;
}

void print_status(const v1::Snapshot& snapshot, bool brief) {
    std::vector<engine::NodeResult> results;
    for (const v1::NodeResult& r : snapshot.results()) {
        results.push_back(codec::from_proto(r));
    }
    std::sort(results.begin(), results.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });
    std::cout << "status at sequence " << snapshot.sequence();
    if (!snapshot.config_hash().empty()) {
        std::cout << ", configuration " << snapshot.config_hash();
    }
    std::cout << ":\n";
    for (const engine::NodeResult& r : results) {
        const int depth = static_cast<int>(std::count(r.path.begin(), r.path.end(), '/'));
        print_row(std::cout, depth, "", r);
        if (r.kind == engine::NodeKind::site && !brief && !r.parameters.empty()) {
            print_site(std::cout, r);
        } else if (r.kind != engine::NodeKind::site && !brief) {
            std::cout << "    decided by: " << r.decided_by << '\n';
        }
    }
}

}  // namespace

int status_main(const std::vector<std::string>& argv) {
    const auto flags = parse_flags(argv);
    if (!flags) {
        return options::report(flags.error(), std::cout, std::cerr);
    }
    const auto eps = endpoints(flags->endpoints, flags->config, std::cerr);
    if (!eps) {
        return exit_failed;
    }
    zmq::context_t context;
    auto snapshot = feed::fetch_snapshot(context, eps->snapshot, flags->node,
                                         std::chrono::milliseconds(flags->timeout_ms), eps->curve);
    if (!snapshot) {
        std::cerr << "opel status: " << snapshot.error() << '\n';
        return exit_failed;
    }
    if (snapshot->results_size() == 0) {
        std::cerr << "opel status: no node matches '" << flags->node << "'\n";
        return exit_failed;
    }
    if (flags->json) {
        std::cout << codec::to_json(*snapshot) << '\n';
        return exit_ok;
    }
    print_status(*snapshot, flags->brief);
    return exit_ok;
}

}  // namespace opel::cli

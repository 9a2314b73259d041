// opel status: the current levels of a subtree with each site's parameter breakdown.
#include <algorithm>
#include <iostream>
#include <zmq.hpp>

#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "cli.h"
#include "report.h"
#include "snapshot_client.h"

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
  --config DIR|FILE         configuration to read the endpoint from
  --timeout-ms N            wait for the daemon (default 5000)

Exit 0 with the state; 1 when the daemon does not answer or the subtree is empty; 2 for
usage errors.
)";

}  // namespace

int status_main(const std::vector<std::string>& argv) {
    Args args;
    std::vector<std::string> value_flags = endpoint_flags;
    value_flags.insert(value_flags.end(), {"node", "timeout-ms"});
    if (const auto error = Args::parse(argv, value_flags, {"json", "brief", "help"}, args)) {
        std::cerr << "opel status: " << *error << "\n\n" << help;
        return exit_usage;
    }
    if (args.has("help")) {
        std::cout << help;
        return exit_ok;
    }
    const auto timeout = number_flag(args, "timeout-ms", 5000, std::cerr);
    const auto node = node_argument(args);
    if (!node) {
        std::cerr << "opel status: " << node.error() << '\n';
    }
    if (!timeout || !node) {
        return exit_usage;
    }
    const auto eps = endpoints(args, std::cerr);
    if (!eps) {
        return exit_failed;
    }
    zmq::context_t context;
    auto snapshot =
        fetch_snapshot(context, eps->snapshot, *node, std::chrono::milliseconds(*timeout));
    if (!snapshot) {
        std::cerr << "opel status: " << snapshot.error() << '\n';
        return exit_failed;
    }
    if (snapshot->results_size() == 0) {
        std::cerr << "opel status: no node matches '" << *node << "'\n";
        return exit_failed;
    }
    if (args.has("json")) {
        std::cout << codec::to_json(*snapshot) << '\n';
        return exit_ok;
    }
    std::vector<engine::NodeResult> results;
    for (const v1::NodeResult& r : snapshot->results()) {
        results.push_back(codec::from_proto(r));
    }
    std::sort(results.begin(), results.end(),
              [](const auto& a, const auto& b) { return a.path < b.path; });
    std::cout << "status at sequence " << snapshot->sequence() << ":\n";
    for (const engine::NodeResult& r : results) {
        const int depth = static_cast<int>(std::count(r.path.begin(), r.path.end(), '/'));
        print_row(std::cout, depth, "", r);
        if (r.kind == engine::NodeKind::site && !args.has("brief") && !r.parameters.empty()) {
            print_site(std::cout, r);
        } else if (r.kind != engine::NodeKind::site && !args.has("brief")) {
            std::cout << "    decided by: " << r.decided_by << '\n';
        }
    }
    return exit_ok;
}

}  // namespace opel::cli

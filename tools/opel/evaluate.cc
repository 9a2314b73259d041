// opel evaluate: run sitreps through the engine offline (stream time), the card author's
// workbench. The same engine library as opel-escalatord, so results cannot differ.
#include <algorithm>
#include <iostream>

#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "cli.h"
#include "engine/engine.h"
#include "engine/text.h"
#include "inputs.h"
#include "report.h"

namespace opel::cli {
namespace {

constexpr const char* help =
    R"(usage: opel evaluate [--config DIR|FILE] [--json] [--format jsonl|csv] [FILE|-]

Reads sitreps from FILE (or standard input with - or no FILE) and runs them, in order,
through the OPEL engine with no daemon. Time is stream time: the largest accepted as_at so
far; sites whose reporting deadline passes go STALE as the stream moves on.

Input: JSON lines, one opel.v1.Sitrep per line in the protobuf JSON mapping, e.g.
  {"site_id":"RWJ","as_at":"2026-01-06T08:00:00Z","measures":{"ga_beds_occupied":612}}
or CSV with a header `site_id,as_at,<measure>,...` (optional columns submission_id,
declared_level, declared_reason, comment; an empty cell = measure not reported).
The format is taken from --format, else a .csv/.jsonl/.json file name, else the first byte.

Output: a readable report with each site's parameter breakdown, the node roll-up, every
alert with its actions, and the final state of the tree; with --json, JSON lines:
  {"line":N,"reply":{...}}   the submission's outcome (errors for rejected sitreps)
  {"result":{...}}           every new site and node result (opel.v1.NodeResult)
  {"event":{...}}            every event (opel.v1.Event)

Invalid sitreps are reported with all their errors and skipped; exit 1 if there were any.
)";

void print_tree(std::ostream& out, const engine::Engine& engine) {
    const engine::Model& model = engine.model();
    std::vector<std::pair<engine::NodeIndex, int>> stack{{model.root(), 0}};
    while (!stack.empty()) {
        const auto [index, depth] = stack.back();
        stack.pop_back();
        const engine::ModelNode& n = model.node(index);
        print_row(out, depth, n.config.name, engine.result(index));
        for (std::size_t k = n.children.size(); k-- > 0;) {  // reversed: first child on top
            stack.emplace_back(n.children[k], depth + 1);
        }
    }
}

}  // namespace

int evaluate_main(const std::vector<std::string>& argv) {
    Args args;
    if (const auto error = Args::parse(argv, {"config", "format"}, {"json", "help"}, args)) {
        std::cerr << "opel evaluate: " << *error << "\n\n" << help;
        return exit_usage;
    }
    if (args.has("help")) {
        std::cout << help;
        return exit_ok;
    }
    if (args.positional().size() > 1) {
        std::cerr << "opel evaluate: give at most one input file\n\n" << help;
        return exit_usage;
    }
    const std::string source = args.positional().empty() ? "-" : args.positional()[0];
    const std::string format = args.value("format").value_or("");
    if (!format.empty() && format != "csv" && format != "jsonl") {
        std::cerr << "opel evaluate: --format must be jsonl or csv, got '" << format << "'\n";
        return exit_usage;
    }
    auto inputs = read_sitreps(source, format, std::cerr);
    if (!inputs) {
        return exit_failed;
    }

    auto loaded = load_config_or_report(config_path(args), std::cerr);
    if (!loaded) {
        return exit_failed;
    }
    engine::Engine engine(std::move(loaded->engine));
    add_validation_errors(*inputs, engine.model());
    const bool json = args.has("json");
    std::ostream& out = std::cout;
    int invalid = 0;
    int accepted = 0;
    int alerts = 0;

    for (Input& input : *inputs) {
        engine::SubmitOutcome outcome;
        std::string site_id;
        if (!input.sitrep) {
            outcome.status = engine::SubmitStatus::rejected;
            outcome.errors = input.sitrep.error();
        } else {
            site_id = input.sitrep->site_id;
            outcome = engine.submit(*input.sitrep, std::nullopt);
        }
        if (outcome.status == engine::SubmitStatus::rejected) {
            ++invalid;
        } else if (outcome.status == engine::SubmitStatus::accepted) {
            ++accepted;
        }
        if (json) {
            v1::SubmitReply reply = codec::to_reply(outcome, site_id, 0);
            reply.clear_result();
            out << "{\"line\":" << input.line << ",\"reply\":" << codec::to_json(reply) << "}\n";
            for (const engine::NodeResult& r : outcome.results) {
                out << "{\"result\":" << codec::to_json(codec::to_proto(r)) << "}\n";
            }
            for (const engine::Event& e : outcome.events) {
                out << "{\"event\":" << codec::to_json(codec::to_proto(e)) << "}\n";
            }
            continue;
        }
        out << "line " << input.line << "  " << pad(site_id.empty() ? "?" : site_id, 10);
        if (input.sitrep && input.sitrep->as_at) {
            out << format_london(*input.sitrep->as_at) << "  ";
        }
        out << engine::to_string(outcome.status);
        if (outcome.status == engine::SubmitStatus::rejected) {
            out << " (" << outcome.errors.size() << " problem"
                << (outcome.errors.size() == 1 ? "" : "s") << ")\n";
            print_errors(out, outcome.errors);
        } else if (outcome.status == engine::SubmitStatus::accepted) {
            const auto site =
                std::find_if(outcome.results.begin(), outcome.results.end(),
                             [&](const engine::NodeResult& r) { return r.node_id == site_id; });
            out << "  " << level_text(site->status) << '\n';
            if (outcome.corrects) {
                out << "    correction of the " << format_london(*outcome.corrects)
                    << " sitrep: these figures replace it (both are kept in history)\n";
            }
            print_site(out, *site);
            out << "    roll-up:";
            for (const engine::NodeResult& r : outcome.results) {
                if (r.kind != engine::NodeKind::site) {
                    out << "  " << r.node_id << " " << level_text(r.status);
                }
            }
            out << '\n';
        } else {
            out << (outcome.status == engine::SubmitStatus::late
                        ? " (older than the site's latest sitrep: kept as history only)"
                        : " (seen before: same site, time and figures, or the same "
                          "submission_id; no second effect)")
                << '\n';
        }
        for (const engine::Event& e : outcome.events) {
            print_event(out, e);
            ++alerts;
        }
    }
    if (!json) {
        out << "\nfinal state";
        if (engine.now()) {
            out << " at " << format_london(*engine.now());
        }
        out << ":\n";
        print_tree(out, engine);
        out << '\n'
            << accepted << " accepted, " << invalid << " invalid, " << alerts << " alerts\n";
    }
    return invalid > 0 ? exit_failed : exit_ok;
}

}  // namespace opel::cli

// opel evaluate: run sitreps through the engine offline (stream time), the card author's
// workbench. The same engine library as opel-escalatord, so results cannot differ.
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli.h"
#include "common/codec/codec.h"
#include "engine/engine.h"
#include "engine/text.h"

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

struct Input {
    int line = 0;
    codec::SitrepResult sitrep;
};

std::vector<Input> read_inputs(const std::string& text, bool csv) {
    std::vector<Input> inputs;
    if (csv) {
        for (codec::CsvRow& row : codec::sitreps_from_csv(text)) {
            inputs.push_back({row.line, std::move(row.sitrep)});
        }
        return inputs;
    }
    std::istringstream in(text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
        }
        inputs.push_back({number, codec::sitrep_from_json(line)});
    }
    return inputs;
}

// Pads to `width` columns, or cuts with "~" so the next column always has a space before it.
std::string pad(std::string s, std::size_t width) {
    if (s.size() >= width) {
        s = s.substr(0, width - 2) + "~ ";
    } else {
        s.append(width - s.size(), ' ');
    }
    return s;
}

std::string level_text(engine::Status s) { return std::string(engine::to_string(s)); }

void print_errors(std::ostream& out, const std::vector<engine::FieldError>& errors) {
    for (const engine::FieldError& e : errors) {
        out << "    " << (e.field.empty() ? "(sitrep)" : e.field) << ": " << e.code << ": "
            << e.message << '\n';
    }
}

void print_site(std::ostream& out, const engine::NodeResult& r) {
    out << "    decided by: " << r.decided_by << '\n';
    if (r.declared_level != 0) {
        out << "    declared:   OPEL " << r.declared_level << " (" << r.declared_reason << ")\n";
    }
    out << "    " << pad("parameter", 46) << pad("value", 22) << "score  weight\n";
    for (const engine::ParameterResult& p : r.parameters) {
        std::string value = p.value ? engine::format_number(*p.value) + " " + p.unit
                                    : (p.worst_policy ? "missing" : "-");
        if (p.carried_forward) {
            value += " (carried)";
        }
        out << "    " << pad(p.name.empty() ? p.id : p.name, 46) << pad(value, 22)
            << pad(p.score == 0 ? "-" : std::to_string(p.score), 7) << p.weight << '\n';
    }
    out << "    " << pad("total", 46) << pad(engine::format_number(r.total), 22) << "(normalised "
        << engine::format_number(r.normalised) << "/100)\n";
}

void print_event(std::ostream& out, const engine::Event& e) {
    if (e.kind == engine::EventKind::declared_mismatch) {
        out << "  ! MISMATCH " << e.node_id << ": declared OPEL " << e.declared_level
            << " but computed " << level_text(e.computed) << " - " << e.declared_reason << '\n';
        return;
    }
    out << "  ! " << pad(std::string(engine::to_string(e.kind)), 13) << pad(e.transition_id, 20)
        << e.path << ": " << level_text(e.from) << " -> " << level_text(e.to) << '\n';
    if (!e.stand_down_note.empty()) {
        out << "      stand down: " << e.stand_down_note << '\n';
    }
    // The alert carries every action (lower levels too where the card says so); the report
    // lists the new level's own and counts the rest.
    std::size_t lower = 0;
    for (const engine::ActionItem& a : e.actions) {
        if (a.level == engine::level_of(e.to)) {
            out << "      " << a.role << ": " << a.action << '\n';
        } else {
            ++lower;
        }
    }
    if (lower > 0) {
        out << "      (and " << lower << " action" << (lower == 1 ? "" : "s")
            << " carried over from lower levels)\n";
    }
}

void print_tree(std::ostream& out, const engine::Engine& engine) {
    const engine::Model& model = engine.model();
    std::vector<std::pair<engine::NodeIndex, int>> stack{{model.root(), 0}};
    while (!stack.empty()) {
        const auto [index, depth] = stack.back();
        stack.pop_back();
        const engine::ModelNode& n = model.node(index);
        const engine::NodeResult& r = engine.result(index);
        std::string label(static_cast<std::size_t>(depth) * 2, ' ');
        label += n.config.id;
        if (!n.config.name.empty()) {
            label += " (" + n.config.name + ")";
        }
        out << "  " << pad(label, 52) << pad(level_text(r.status), 9);
        if (n.config.kind != engine::NodeKind::site && engine::is_level(r.status)) {
            out << "score " << engine::format_number(r.normalised) << ", coverage "
                << engine::format_number(r.coverage_percent) << "%";
            for (const engine::PillarResult& p : r.pillars) {
                out << "; " << engine::to_string(p.provider_type) << " " << level_text(p.status);
            }
        } else if (n.config.kind != engine::NodeKind::site) {
            out << "coverage " << engine::format_number(r.coverage_percent) << "%";
        } else if (r.as_at) {
            out << "as at " << format_london(*r.as_at);
        }
        out << '\n';
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
    std::string format = args.value("format").value_or("");
    if (!format.empty() && format != "csv" && format != "jsonl") {
        std::cerr << "opel evaluate: --format must be jsonl or csv, got '" << format << "'\n";
        return exit_usage;
    }
    std::string text;
    if (source == "-") {
        std::ostringstream buffer;
        buffer << std::cin.rdbuf();
        text = buffer.str();
    } else {
        std::ifstream in(source, std::ios::binary);
        if (!in) {
            std::cerr << "opel evaluate: cannot open '" << source << "'\n";
            return exit_failed;
        }
        std::ostringstream buffer;
        buffer << in.rdbuf();
        text = buffer.str();
    }
    if (format.empty()) {
        if (source.ends_with(".csv")) {
            format = "csv";
        } else if (source.ends_with(".jsonl") || source.ends_with(".json")) {
            format = "jsonl";
        } else {
            const auto first = text.find_first_not_of(" \t\r\n");
            format = first != std::string::npos && text[first] == '{' ? "jsonl" : "csv";
        }
    }

    auto loaded = load_config_or_report(config_path(args), std::cerr);
    if (!loaded) {
        return exit_failed;
    }
    engine::Engine engine(std::move(loaded->engine));
    const bool json = args.has("json");
    std::ostream& out = std::cout;
    int invalid = 0;
    int accepted = 0;
    int alerts = 0;

    for (Input& input : read_inputs(text, format == "csv")) {
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
                        : " (same submission_id seen before: no second effect)")
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

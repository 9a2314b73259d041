// opel evaluate: run sitreps through the engine offline (stream time), the card author's
// workbench. The same engine library as opel-escalatord, so results cannot differ.
// Streams: a sitrep is read, evaluated, printed and forgotten before the next is read, so
// memory stays flat however long the input (the engine keeps node state only; the keys seen
// for DUPLICATE detection are SeenSubmissions' few bytes each).
#include <algorithm>
#include <array>
#include <cstdio>
#include <iostream>

#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "cli.h"
#include "engine/engine.h"
#include "engine/text.h"
#include "inputs.h"
#include "report.h"
#include "seen_submissions.h"

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
Sitreps are read, evaluated and printed one at a time: memory grows only by the few dozen
bytes per sitrep that recognising a resend (DUPLICATE) needs.
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

struct Flags {
    std::optional<std::string> config;
    std::optional<std::string> format;
    bool json = false;
    std::string source = "-";  // the input file; "-" standard input
};

Result<Flags, options::Stop> parse_flags(const std::vector<std::string>& argv) {
    Flags f;
    std::vector<std::string> positionals;
    options::CommandLine cl("opel evaluate", help);
    cl.config(f.config);
    cl.choice("--format", f.format, {"jsonl", "csv"});
    cl.flag("--json", f.json);
    cl.positionals(positionals);
    if (auto stop = cl.parse(argv)) {
        return unexpected(std::move(*stop));
    }
    if (positionals.size() > 1) {
        return unexpected(cl.usage_error("give at most one input file"));
    }
    if (!positionals.empty()) {
        f.source = positionals[0];
    }
    return f;
}

// One input's outcome and the site it is about ("" when unreadable).
struct Evaluated {
    engine::SubmitOutcome outcome;
    std::string site_id;
};

Evaluated evaluate(engine::Engine& engine, SeenSubmissions& seen, Input& input) {
    Evaluated e;
    if (!input.sitrep) {
        e.outcome.status = engine::SubmitStatus::rejected;
        e.outcome.errors = std::move(input.sitrep.error());
        return e;
    }
    const engine::Sitrep& sitrep = *input.sitrep;
    e.site_id = sitrep.site_id;
    const std::string id = sitrep.effective_submission_id();
    if (auto earlier = seen.check(sitrep, id, engine.model())) {
        e.outcome = std::move(*earlier);
        return e;
    }
    e.outcome = engine.submit(sitrep, std::nullopt);
    seen.remember(sitrep, id, e.outcome, engine.model());
    return e;
}

// Standard output through one 64 KB buffer, written by fwrite when full and at sync():
// std::cout, kept in step with C stdio, costs a locked call for every insertion.
class BufferedStdout : public std::streambuf {
public:
    BufferedStdout() { reset(); }
    BufferedStdout(const BufferedStdout&) = delete;
    BufferedStdout& operator=(const BufferedStdout&) = delete;
    ~BufferedStdout() override { BufferedStdout::sync(); }

protected:
    int_type overflow(int_type c) override {
        if (sync() != 0) {
            return traits_type::eof();
        }
        if (!traits_type::eq_int_type(c, traits_type::eof())) {
            *pptr() = traits_type::to_char_type(c);
            pbump(1);
        }
        return traits_type::not_eof(c);
    }
    int sync() override {
        const auto n = static_cast<std::size_t>(pptr() - pbase());
        const bool written = std::fwrite(pbase(), 1, n, stdout) == n && std::fflush(stdout) == 0;
        reset();
        return written ? 0 : -1;
    }

private:
    void reset() { setp(buffer_.data(), buffer_.data() + buffer_.size()); }
    std::array<char, std::size_t{64} * 1024> buffer_{};
};

void print_json(std::ostream& out, const Input& input, const Evaluated& e) {
    v1::SubmitReply reply = codec::to_reply(e.outcome, e.site_id, 0);
    reply.clear_result();
    out << "{\"line\":" << input.line << ",\"reply\":" << codec::to_json(reply) << "}\n";
    for (const engine::NodeResult& r : e.outcome.results) {
        out << "{\"result\":" << codec::to_json(codec::to_proto(r)) << "}\n";
    }
    for (const engine::Event& ev : e.outcome.events) {
        out << "{\"event\":" << codec::to_json(codec::to_proto(ev)) << "}\n";
    }
}

// The site's level and breakdown, a correction note and the roll-up of an accepted sitrep.
void print_accepted(std::ostream& out, const Evaluated& e) {
    const engine::SubmitOutcome& outcome = e.outcome;
    // The last result of the site is its sitrep's: deadlines that fired first (the site going
    // STALE, its sustained pressure) come before it.
    const auto site =
        std::find_if(outcome.results.rbegin(), outcome.results.rend(),
                     [&](const engine::NodeResult& r) { return r.node_id == e.site_id; });
    out << "  " << level_text(site->status) << '\n';
    if (outcome.corrects) {
        out << "    correction of the " << format_london(*outcome.corrects)
            << " sitrep: these figures replace it (both are kept in history)\n";
    }
    print_site(out, *site);
    out << "    roll-up:";
    for (auto r = site.base(); r != outcome.results.end(); ++r) {  // the site's ancestors
        if (r->kind != engine::NodeKind::site) {
            out << "  " << r->node_id << " " << level_text(r->status);
        }
    }
    out << '\n';
}

void print_text(std::ostream& out, const Input& input, const Evaluated& e) {
    const engine::SubmitOutcome& outcome = e.outcome;
    out << "line " << input.line << "  " << pad(e.site_id.empty() ? "?" : e.site_id, 10);
    if (input.sitrep && input.sitrep->as_at) {
        out << format_london(*input.sitrep->as_at) << "  ";
    }
    out << engine::to_string(outcome.status);
    if (outcome.status == engine::SubmitStatus::rejected) {
        out << " (" << outcome.errors.size() << " problem"
            << (outcome.errors.size() == 1 ? "" : "s") << ")\n";
        print_errors(out, outcome.errors);
    } else if (outcome.status == engine::SubmitStatus::accepted) {
        print_accepted(out, e);
    } else {
        out << (outcome.status == engine::SubmitStatus::late
                    ? " (older than the site's latest sitrep: kept as history only)"
                    : " (seen before: same site, time and figures, or the same "
                      "submission_id; no second effect)")
            << '\n';
    }
    for (const engine::Event& ev : outcome.events) {
        print_event(out, ev);
    }
}

struct Tally {
    int accepted = 0;
    int invalid = 0;
    int alerts = 0;
};

Tally counted(Tally t, const engine::SubmitOutcome& outcome) {
    t.invalid += outcome.status == engine::SubmitStatus::rejected ? 1 : 0;
    t.accepted += outcome.status == engine::SubmitStatus::accepted ? 1 : 0;
    t.alerts += static_cast<int>(outcome.events.size());
    return t;
}

void print_final(std::ostream& out, const engine::Engine& engine, const Tally& t) {
    out << "\nfinal state";
    if (engine.now()) {
        out << " at " << format_london(*engine.now());
    }
    out << ":\n";
    print_tree(out, engine);
    out << '\n'
        << t.accepted << " accepted, " << t.invalid << " invalid, " << t.alerts << " alerts\n";
}

}  // namespace

int evaluate_main(const std::vector<std::string>& argv) {
    const auto flags = parse_flags(argv);
    if (!flags) {
        return options::report(flags.error(), std::cout, std::cerr);
    }
    const auto reader = SitrepReader::open(flags->source, flags->format.value_or(""), std::cerr);
    if (!reader) {
        return exit_failed;
    }
    auto loaded = load_config_or_report(options::config_path(flags->config), std::cerr);
    if (!loaded) {
        return exit_failed;
    }
    // The keys seen are SeenSubmissions': the engine's own memory of them grows by a copy of
    // every sitrep.
    engine::Engine engine(std::move(loaded->engine),
                          engine::EngineOptions{.track_submissions = false});
    SeenSubmissions seen;
    BufferedStdout buffer;
    std::ostream out(&buffer);
    Tally tally;
    while (auto input = reader->next()) {
        add_validation_errors(*input, engine.model());
        const Evaluated e = evaluate(engine, seen, *input);
        tally = counted(tally, e.outcome);
        if (flags->json) {
            print_json(out, *input, e);
        } else {
            print_text(out, *input, e);
        }
    }
    if (!flags->json) {
        print_final(out, engine, tally);
    }
    out.flush();
    return tally.invalid > 0 ? exit_failed : exit_ok;
}

}  // namespace opel::cli

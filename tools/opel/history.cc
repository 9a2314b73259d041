// opel history: what the daemon stored for a subtree in a time range (sitreps, results or
// events), for people (Europe/London times) or a spreadsheet (CSV, RFC 3339 UTC columns).
#include <iostream>
#include <zmq.hpp>

#include "adapters/codec/csv.h"
#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "adapters/feed/query_client.h"
#include "cli.h"
#include "engine/text.h"
#include "report.h"

namespace opel::cli {
namespace {

constexpr const char* help =
    R"(usage: opel history [PATH | --node PATH] [--kind results|events|sitreps] [--from T] [--to T]
                    [--csv | --json] [options]

What opel-escalatord stored for a subtree: the node results it published (default), the
alerts (events), or the sitreps it accepted, oldest first, read from its query endpoint
page by page (the daemon keeps ingesting meanwhile).

  PATH, --node PATH         a node id (RWJ) or a path (national/north-west/QOP/stockport, or
                            any run of its segments); default everything
  --kind KIND               results (default), events, or sitreps
  --from T, --to T          time range, inclusive, RFC 3339 (2026-01-06T08:00:00Z); a
                            sitrep's as_at, a result's or an alert's time
  --csv                     CSV with a header; times are RFC 3339 UTC (columns *_utc); for
                            sitreps one column per measure of the catalogue
  --json                    JSON lines: opel.v1.Publication (results, events) or
                            opel.v1.StoredSitrep (sitreps)
  --query-endpoint EP       default $OPEL_QUERY_ENDPOINT, else the configuration
  --curve-public-key FILE   with escalatord.curve: this client's key pair (opel keygen),
  --curve-secret-key FILE   default $OPEL_CURVE_PUBLIC_KEY / $OPEL_CURVE_SECRET_KEY
  --curve-server-key FILE   the escalator's public key (default: escalatord.curve's)
  --config DIR|FILE         configuration (endpoint; the measure columns of --csv sitreps)
  --timeout-ms N            wait for each page (default 5000)

Without --csv/--json times are shown in Europe/London (GMT/BST).
Exit 0 (also when nothing matched); 1 when the daemon does not answer or refuses the query
(the reason is printed); 2 for usage errors.
)";

struct Flags {
    std::optional<std::string> config;
    options::Endpoints endpoints;
    std::string node;
    v1::HistoryKind kind = v1::HISTORY_KIND_RESULTS;
    std::optional<TimePoint> from, to;
    bool csv = false;
    bool json = false;
    long timeout_ms = 5000;
};

Result<Flags, options::Stop> parse_flags(const std::vector<std::string>& argv) {
    Flags f;
    std::vector<std::string> positionals;
    std::optional<std::string> node, kind;
    std::optional<long> timeout;
    options::CommandLine cl("opel history", help);
    cl.config(f.config);
    cl.endpoints(f.endpoints);
    cl.curve_keys(f.endpoints);
    cl.text("--node", node);
    cl.choice("--kind", kind, {"results", "events", "sitreps"});
    cl.time("--from", f.from);
    cl.time("--to", f.to);
    cl.flag("--csv", f.csv);
    cl.flag("--json", f.json);
    cl.whole("--timeout-ms", timeout, {1, 3600000, "milliseconds"});
    cl.positionals(positionals);
    auto chosen = parse_with_node(cl, argv, positionals, node);
    if (!chosen) {
        return unexpected(std::move(chosen).error());
    }
    if (f.csv && f.json) {
        return unexpected(cl.usage_error("--csv and --json: choose one"));
    }
    f.node = std::move(chosen).value();
    f.kind = kind == "events"    ? v1::HISTORY_KIND_EVENTS
             : kind == "sitreps" ? v1::HISTORY_KIND_SITREPS
                                 : v1::HISTORY_KIND_RESULTS;
    f.timeout_ms = timeout.value_or(f.timeout_ms);
    return f;
}

std::string utc(const google::protobuf::Timestamp& t) {
    return format_utc(TimePoint{Duration{t.seconds()}});
}

std::string london(const google::protobuf::Timestamp& t) {
    return format_london(TimePoint{Duration{t.seconds()}});
}

// One output row per stored row, in the chosen form.
class Printer {
public:
    Printer(const Flags& flags, std::vector<std::string> measures)
        : flags_(flags), measures_(std::move(measures)) {}

    void header() const {
        if (!flags_.csv) {
            return;
        }
        if (flags_.kind == v1::HISTORY_KIND_RESULTS) {
            std::cout << "sequence,as_at_utc,node_id,path,status,computed,normalised_score,"
                         "coverage_percent,decided_by\n";
        } else if (flags_.kind == v1::HISTORY_KIND_EVENTS) {
            std::cout << "sequence,at_utc,kind,node_id,path,transition_id,from,to,why\n";
        } else {
            std::cout << "site_id,as_at_utc,received_at_utc,status,submission_id";
            for (const std::string& m : measures_) {
                std::cout << ',' << codec::csv_cell(m);
            }
            std::cout << ",declared_level,declared_reason,comment\n";
        }
    }

    void page(const v1::QueryReply& reply) const {
        for (const v1::Publication& p : reply.publications()) {
            if (flags_.json) {
                std::cout << codec::to_json(p) << '\n';
            } else if (p.has_status()) {
                result(p.sequence(), p.status());
            } else if (p.has_alert()) {
                event(p.sequence(), p.alert());
            }
        }
        for (const v1::StoredSitrep& s : reply.sitreps()) {
            if (flags_.json) {
                std::cout << codec::to_json(s) << '\n';
            } else {
                sitrep(s);
            }
        }
    }

private:
    void result(std::uint64_t sequence, const v1::NodeResult& proto) const {
        const engine::NodeResult r = codec::from_proto(proto);
        if (!flags_.csv) {
            std::cout << pad(london(proto.as_at()), 22) << pad(r.node_id, 12)
                      << pad(level_text(r.status), 9) << r.decided_by << '\n';
            return;
        }
        std::cout << sequence << ',' << utc(proto.as_at()) << ',' << codec::csv_cell(r.node_id)
                  << ',' << codec::csv_cell(r.path) << ',' << level_text(r.status) << ','
                  << level_text(r.computed) << ',' << engine::format_exact(r.normalised) << ','
                  << engine::format_exact(r.coverage_percent) << ','
                  << codec::csv_cell(r.decided_by) << '\n';
    }

    void event(std::uint64_t sequence, const v1::Event& proto) const {
        const engine::Event e = codec::from_proto(proto);
        if (!flags_.csv) {
            std::cout << pad(london(proto.at()), 22);
            print_event(std::cout, e);
            return;
        }
        std::cout << sequence << ',' << utc(proto.at()) << ',' << engine::to_string(e.kind) << ','
                  << codec::csv_cell(e.node_id) << ',' << codec::csv_cell(e.path) << ','
                  << codec::csv_cell(e.transition_id) << ',' << level_text(e.from) << ','
                  << level_text(e.to) << ',' << codec::csv_cell(e.result.decided_by) << '\n';
    }

    void sitrep(const v1::StoredSitrep& s) const {
        const v1::Sitrep& w = s.sitrep();
        if (!flags_.csv) {
            std::cout << pad(london(w.as_at()), 22) << pad(w.site_id(), 12) << pad(s.status(), 10);
            for (const auto& [name, value] : w.measures()) {
                std::cout << ' ' << name << '=' << engine::format_exact(value);
            }
            std::cout << '\n';
            return;
        }
        std::cout << codec::csv_cell(w.site_id()) << ',' << utc(w.as_at()) << ','
                  << utc(s.received_at()) << ',' << s.status() << ','
                  << codec::csv_cell(w.submission_id());
        for (const std::string& m : measures_) {
            const auto found = w.measures().find(m);
            std::cout << ','
                      << (found == w.measures().end() ? "" : engine::format_exact(found->second));
        }
        std::cout << ',' << (w.has_declared_level() ? std::to_string(w.declared_level()) : "")
                  << ',' << codec::csv_cell(w.declared_reason()) << ','
                  << codec::csv_cell(w.comment()) << '\n';
    }

    const Flags& flags_;
    std::vector<std::string> measures_;
};

v1::QueryRequest request_of(const Flags& f) {
    v1::QueryRequest request;
    v1::HistoryQuery& h = *request.mutable_history();
    h.set_kind(f.kind);
    h.set_node(f.node);
    if (f.from) {
        h.mutable_from()->set_seconds(f.from->time_since_epoch().count());
    }
    if (f.to) {
        h.mutable_to()->set_seconds(f.to->time_since_epoch().count());
    }
    return request;
}

}  // namespace

int history_main(const std::vector<std::string>& argv) {
    const auto flags = parse_flags(argv);
    if (!flags) {
        return options::report(flags.error(), std::cout, std::cerr);
    }
    std::vector<std::string> measures;
    if (flags->csv && flags->kind == v1::HISTORY_KIND_SITREPS) {
        const auto loaded = load_config_or_report(options::config_path(flags->config), std::cerr);
        if (!loaded) {
            return exit_failed;
        }
        for (const engine::MeasureDef& m : loaded->engine.measures) {
            measures.push_back(m.name);
        }
    }
    const auto eps = endpoints(flags->endpoints, flags->config, std::cerr);
    if (!eps) {
        return exit_failed;
    }
    zmq::context_t context;
    const Printer printer(*flags, std::move(measures));
    printer.header();
    const auto done = feed::query_pages(
        context, eps->query, request_of(*flags), std::chrono::milliseconds(flags->timeout_ms),
        [&](const v1::QueryReply& reply) {
            printer.page(reply);
            return true;
        },
        eps->curve);
    std::cout.flush();
    if (!done) {
        std::cerr << "opel history: " << done.error() << '\n';
        return exit_failed;
    }
    return exit_ok;
}

}  // namespace opel::cli

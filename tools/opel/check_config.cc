// opel check-config: validate the configuration and summarise it on one screen, or as one
// JSON object for scripts (--json).
#include <filesystem>
#include <iostream>
#include <map>

#include "adapters/net/curve.h"
#include "cli.h"
#include "engine/model.h"
#include "engine/text.h"

namespace opel::cli {
namespace {

constexpr const char* help = R"(usage: opel check-config [--config DIR|FILE] [--json]

Validates the configuration: syntax, unknown fields, required values, thresholds ordered for
their direction, bands ordered, weights positive, every measure a card uses in the catalogue,
every site reaching a card, no duplicate ids, no cycles in the tree; and, when the root file
has a `notifyd` section, opel-notifyd's routing file: every group a route or escalation step
names exists, every subtree names a node, addresses and webhook URLs are well formed,
silences have a reason, an author and an end; and when webd names a users file,
opel-webd's users and upload tokens: roles set, hashes in their form, every site a site.

  --config DIR|FILE  configuration directory (reads DIR/opel.textproto) or root file;
                     default $OPEL_CONFIG, else the shipped config/
  --json             one JSON object on standard output instead of text:
                       {"ok":true|false,
                        "problems":[{"file":F,"line":N,"field":F,"message":M},...],
                        "skipped":[M,...],
                        "summary":{"root_file":F,"problems":N, and when ok
                                   "measures":N,"cards":[{"id":ID,"parameters":N,
                                   "sites":N},...],"nodes":N,"sites":N,"root":PATH,
                                   "notifyd":{"groups":N,"receivers":N,"routes":N,
                                   "silences":N} or null,
                                   "webd_users":{"users":N,"tokens":N} or null}}
                     line 0 = the whole file; field "" = a syntax error; "skipped"
                     lists checks not run because the parts they read have problems

Every check whose inputs loaded runs, so one run reports every problem. A check that reads a
part with a problem (a card file that did not parse, a parameter with no thresholds) is not
run and is listed as "skipped: ...". A misspelt field name gets a "did you mean" suggestion.

With escalatord.curve it also reads the CURVE key files the daemons read at start: the
escalator's pair (the public key must be the secret key's), every client key on its list,
and notifyd's and webd's own pairs.

Prints a summary and exits 0 when valid; prints every problem as
file:line: field: message and exits 1 when not.
)";

void print_json_problems(std::ostream& out, const std::string& root_file,
                         const std::vector<config::ConfigError>& errors) {
    out << R"({"ok":false,"problems":[)";
    std::size_t problems = 0;
    for (const config::ConfigError& e : errors) {
        if (!e.skipped) {
            out << (problems++ == 0 ? "" : ",") << R"({"file":)" << json_string(e.file)
                << R"(,"line":)" << e.line << R"(,"field":)" << json_string(e.field)
                << R"(,"message":)" << json_string(e.message) << '}';
        }
    }
    out << R"(],"skipped":[)";
    std::size_t skipped = 0;
    for (const config::ConfigError& e : errors) {
        if (e.skipped) {
            out << (skipped++ == 0 ? "" : ",") << json_string(e.message);
        }
    }
    out << R"(],"summary":{"root_file":)" << json_string(root_file) << R"(,"problems":)" << problems
        << "}}\n";
}

std::map<std::string, int> sites_per_card(const engine::Model& model) {
    std::map<std::string, int> out;
    for (engine::NodeIndex i = 0; i < model.node_count(); ++i) {
        const engine::ModelNode& n = model.node(i);
        if (n.config.kind == engine::NodeKind::site) {
            ++out[n.card->id];
        }
    }
    return out;
}

// "N groups (M receivers), K routes, S silences".
struct NotifydCounts {
    std::size_t groups = 0, receivers = 0, routes = 0, silences = 0;
    explicit NotifydCounts(const config::NotifydSettings& s)
        : groups(s.routing.groups.size()),
          routes(s.routing.routes.size()),
          silences(s.routing.silences.size()) {
        for (const config::Group& g : s.routing.groups) {
            receivers += g.receivers.size();
        }
    }
};

void print_json_summary(std::ostream& out, const std::string& root_file, const engine::Model& model,
                        const std::optional<config::NotifydSettings>& notifyd,
                        const std::optional<config::WebAccess>& users) {
    std::map<std::string, int> sites = sites_per_card(model);
    int site_count = 0;
    out << R"({"ok":true,"problems":[],"skipped":[],"summary":{"root_file":)"
        << json_string(root_file) << R"(,"problems":0,"measures":)" << model.measures().size()
        << R"(,"cards":[)";
    for (std::size_t i = 0; i < model.cards().size(); ++i) {
        const engine::ActionCard& c = model.cards()[i];
        site_count += sites[c.id];
        out << (i == 0 ? "" : ",") << R"({"id":)" << json_string(c.id) << R"(,"parameters":)"
            << c.parameters.size() << R"(,"sites":)" << sites[c.id] << '}';
    }
    out << R"(],"system_cards":[)";
    for (std::size_t i = 0; i < model.system_cards().size(); ++i) {
        out << (i == 0 ? "" : ",") << json_string(model.system_cards()[i].id);
    }
    out << R"(],"nodes":)" << model.node_count() << R"(,"sites":)" << site_count << R"(,"root":)"
        << json_string(model.node(model.root()).path) << R"(,"notifyd":)";
    if (notifyd) {
        const NotifydCounts n(*notifyd);
        out << R"({"groups":)" << n.groups << R"(,"receivers":)" << n.receivers << R"(,"routes":)"
            << n.routes << R"(,"silences":)" << n.silences << '}';
    } else {
        out << "null";
    }
    out << R"(,"webd_users":)";
    if (users) {
        out << R"({"users":)" << users->users.size() << R"(,"tokens":)" << users->tokens.size()
            << '}';
    } else {
        out << "null";
    }
    out << "}}\n";
}

void print_text_summary(std::ostream& out, const config::LoadedConfig& loaded,
                        const engine::Model& model,
                        const std::optional<config::NotifydSettings>& notifyd,
                        const std::optional<config::WebAccess>& users) {
    std::map<engine::NodeKind, int> kinds;
    for (engine::NodeIndex i = 0; i < model.node_count(); ++i) {
        ++kinds[model.node(i).config.kind];
    }
    std::map<std::string, int> sites = sites_per_card(model);
    out << "configuration OK: " << loaded.root_file.string() << '\n';
    out << "  measures   " << model.measures().size() << '\n';
    out << "  cards      " << model.cards().size() << '\n';
    for (const engine::ActionCard& c : model.cards()) {
        const auto& b = c.bands.cutoffs;
        out << "    " << c.id << ": " << c.parameters.size() << " parameters, total "
            << engine::format_number(c.min_total()) << ".." << engine::format_number(c.max_total())
            << ", bands " << engine::format_number(b[0]) << "/" << engine::format_number(b[1])
            << "/" << engine::format_number(b[2]) << ", reporting every "
            << c.reporting_interval.count() / 60 << " min (+" << c.grace.count() / 60
            << " grace), scores " << sites[c.id] << " site" << (sites[c.id] == 1 ? "" : "s")
            << '\n';
    }
    out << "  system cards " << model.system_cards().size() << '\n';
    std::vector<std::string> without;
    for (engine::NodeIndex i = 0; i < model.node_count(); ++i) {
        const engine::ModelNode& n = model.node(i);
        if (n.config.kind != engine::NodeKind::site && n.system_card == nullptr) {
            without.push_back(n.config.id);
        }
    }
    for (const engine::SystemCard& c : model.system_cards()) {
        int nodes = 0;
        for (engine::NodeIndex i = 0; i < model.node_count(); ++i) {
            nodes += model.node(i).system_card == &c ? 1 : 0;
        }
        out << "    " << c.id << ": quoted by " << nodes << " system node"
            << (nodes == 1 ? "" : "s") << '\n';
    }
    if (!without.empty()) {
        out << "    no system card (their alerts say so):";
        for (const std::string& id : without) {
            out << ' ' << id;
        }
        out << '\n';
    }
    const auto sustained = model.sustained_pressure();
    out << "  sustained  "
        << (sustained
                ? "OPEL 3+ for " +
                      std::to_string(
                          std::chrono::duration_cast<std::chrono::minutes>(*sustained).count()) +
                      " min is reported once"
                : std::string("not reported (sustained_pressure_minutes absent)"))
        << '\n';
    out << "  nodes      " << model.node_count() << ": " << kinds[engine::NodeKind::national]
        << " national, " << kinds[engine::NodeKind::region] << " region, "
        << kinds[engine::NodeKind::ics] << " ICS, " << kinds[engine::NodeKind::locality]
        << " localities, " << kinds[engine::NodeKind::site] << " sites\n";
    out << "  root       " << model.node(model.root()).path << '\n';
    const config::EscalatordSettings& s = loaded.escalatord;
    out << "  escalatord submit " << s.submit_endpoint << ", publish " << s.publish_endpoint
        << ", snapshot " << s.snapshot_endpoint << ", database " << s.database_path << '\n';
    if (notifyd) {
        const NotifydCounts n(*notifyd);
        out << "  notifyd    " << n.groups << " recipient groups (" << n.receivers
            << " receivers), " << n.routes << " routes, " << n.silences << " silences; outbox "
            << notifyd->database_path << '\n';
    } else {
        out << "  notifyd    not configured (no notifyd section)\n";
    }
    if (users) {
        out << "  webd       " << users->users.size() << " users, " << users->tokens.size()
            << " upload tokens (" << loaded.webd.users_file << ")"
            << (loaded.webd.tls_certificate.empty() ? "" : "; TLS") << '\n';
    } else {
        out << "  webd       no users file: no logins, loopback only\n";
    }
    if (s.curve) {
        out << "  curve      " << s.curve->clients.size()
            << " client keys may connect; the escalator's key pair read\n";
    } else {
        out << "  curve      off: the escalator's endpoints stay on loopback\n";
    }
}

// The CURVE key files the daemons will read at start (check-config is each unit's
// ExecStartPre): the escalator's pair, every client key on its list, and notifyd's and
// webd's own pairs. Problems name the file or the client.
std::vector<config::ConfigError> key_problems(
    const config::LoadedConfig& loaded, const std::optional<config::NotifydSettings>& notifyd) {
    std::vector<config::ConfigError> out;
    const auto add = [&](const std::string& field, std::string message) {
        config::ConfigError e;
        e.file = loaded.root_file.string();
        e.field = field;
        e.message = std::move(message);
        out.push_back(std::move(e));
    };
    const auto& curve = loaded.escalatord.curve;
    if (curve) {
        if (auto secret = net::read_server_key(curve->secret_key_file, curve->public_key_file);
            !secret) {
            add("escalatord.curve", secret.error());
        }
        for (std::size_t i = 0; i < curve->clients.size(); ++i) {
            if (auto key = net::decode_key(curve->clients[i].public_key); !key) {
                add("escalatord.curve.clients[" + std::to_string(i) + "].public_key", key.error());
            }
        }
    }
    const std::pair<const char*, const config::CurveClientFiles*> clients[] = {
        {"webd.curve", &loaded.webd.curve}, {"notifyd.curve", notifyd ? &notifyd->curve : nullptr}};
    for (const auto& [field, files] : clients) {
        if (files == nullptr || files->public_key_file.empty()) {
            continue;
        }
        if (!curve) {
            add(field, "keys for the escalator's sockets, but escalatord.curve is not set");
            continue;
        }
        if (auto keys = net::read_client_keys(curve->public_key_file, files->public_key_file,
                                              files->secret_key_file);
            !keys) {
            add(field, keys.error());
        }
    }
    return out;
}

// opel-webd's users file when the configuration names one: none without one.
Result<std::optional<config::WebAccess>, std::vector<config::ConfigError>> load_users(
    const config::LoadedConfig& loaded, const engine::Model& model) {
    if (loaded.webd.users_file.empty()) {
        return std::optional<config::WebAccess>();
    }
    auto users = config::load_web_access(loaded.webd.users_file, model);
    if (!users) {
        return unexpected(std::move(users).error());
    }
    return std::optional<config::WebAccess>(std::move(*users));
}

}  // namespace

int check_config_main(const std::vector<std::string>& argv) {
    std::optional<std::string> config;
    bool json = false;
    options::CommandLine cl("opel check-config", help);
    cl.config(config);
    cl.flag("--json", json);
    if (const auto stop = cl.parse(argv)) {
        return options::report(*stop, std::cout, std::cerr);
    }
    const std::filesystem::path path = options::config_path(config);
    if (!json) {
        auto loaded = load_config_or_report(path, std::cerr);
        if (!loaded) {
            return exit_failed;
        }
        auto notifyd = config::load_notifyd_config(*loaded);
        if (!notifyd) {
            report_problems(notifyd.error(), std::cerr);
            return exit_failed;
        }
        if (auto keys = key_problems(*loaded, *notifyd); !keys.empty()) {
            report_problems(keys, std::cerr);
            return exit_failed;
        }
        const engine::Model model(std::move(loaded->engine));  // the rest of *loaded stays
        auto users = load_users(*loaded, model);
        if (!users) {
            report_problems(users.error(), std::cerr);
            return exit_failed;
        }
        print_text_summary(std::cout, *loaded, model, *notifyd, *users);
        return exit_ok;
    }
    auto loaded = config::load_config(path);
    if (!loaded) {
        const auto root = std::filesystem::is_directory(path) ? path / "opel.textproto" : path;
        print_json_problems(std::cout, root.string(), loaded.error());
        return exit_failed;
    }
    auto notifyd = config::load_notifyd_config(*loaded);
    if (!notifyd) {
        print_json_problems(std::cout, loaded->root_file.string(), notifyd.error());
        return exit_failed;
    }
    if (auto keys = key_problems(*loaded, *notifyd); !keys.empty()) {
        print_json_problems(std::cout, loaded->root_file.string(), keys);
        return exit_failed;
    }
    const engine::Model model(std::move(loaded->engine));
    auto users = load_users(*loaded, model);
    if (!users) {
        print_json_problems(std::cout, loaded->root_file.string(), users.error());
        return exit_failed;
    }
    print_json_summary(std::cout, loaded->root_file.string(), model, *notifyd, *users);
    return exit_ok;
}

}  // namespace opel::cli

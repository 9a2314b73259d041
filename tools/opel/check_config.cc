// opel check-config: validate the configuration and summarise it on one screen.
#include <iostream>
#include <map>

#include "cli.h"
#include "engine/model.h"
#include "engine/text.h"

namespace opel::cli {
namespace {

constexpr const char* help = R"(usage: opel check-config [--config DIR|FILE]

Validates the configuration: syntax, unknown fields, required values, thresholds ordered for
their direction, bands ordered, weights positive, every measure a card uses in the catalogue,
every site reaching a card, no duplicate ids, no cycles in the tree.

  --config DIR|FILE  configuration directory (reads DIR/opel.textproto) or root file;
                     default $OPEL_CONFIG, else the shipped config/

Prints a summary and exits 0 when valid; prints every problem as
file:line: field: message and exits 1 when not.
)";

}  // namespace

int check_config_main(const std::vector<std::string>& argv) {
    Args args;
    if (const auto error = Args::parse(argv, {"config"}, {"help"}, args)) {
        std::cerr << "opel check-config: " << *error << "\n\n" << help;
        return exit_usage;
    }
    if (args.has("help")) {
        std::cout << help;
        return exit_ok;
    }
    if (!args.positional().empty()) {
        std::cerr << "opel check-config: unexpected argument '" << args.positional()[0] << "'\n\n"
                  << help;
        return exit_usage;
    }
    auto loaded = load_config_or_report(config_path(args), std::cerr);
    if (!loaded) {
        return exit_failed;
    }
    const config::EscalatordSettings settings = loaded->escalatord;
    const std::string root = loaded->root_file.string();
    const engine::Model model(std::move(loaded->engine));

    std::map<engine::NodeKind, int> kinds;
    std::map<std::string, int> sites_per_card;
    for (engine::NodeIndex i = 0; i < model.node_count(); ++i) {
        const engine::ModelNode& n = model.node(i);
        ++kinds[n.config.kind];
        if (n.config.kind == engine::NodeKind::site) {
            ++sites_per_card[n.card->id];
        }
    }
    std::cout << "configuration OK: " << root << '\n';
    std::cout << "  measures   " << model.measures().size() << '\n';
    std::cout << "  cards      " << model.cards().size() << '\n';
    for (const engine::ActionCard& c : model.cards()) {
        const auto& b = c.bands.cutoffs;
        std::cout << "    " << c.id << ": " << c.parameters.size() << " parameters, total "
                  << engine::format_number(c.min_total()) << ".."
                  << engine::format_number(c.max_total()) << ", bands "
                  << engine::format_number(b[0]) << "/" << engine::format_number(b[1]) << "/"
                  << engine::format_number(b[2]) << ", reporting every "
                  << c.reporting_interval.count() / 60 << " min (+" << c.grace.count() / 60
                  << " grace), scores " << sites_per_card[c.id] << " site"
                  << (sites_per_card[c.id] == 1 ? "" : "s") << '\n';
    }
    std::cout << "  nodes      " << model.node_count() << ": " << kinds[engine::NodeKind::national]
              << " national, " << kinds[engine::NodeKind::region] << " region, "
              << kinds[engine::NodeKind::ics] << " ICS, " << kinds[engine::NodeKind::locality]
              << " localities, " << kinds[engine::NodeKind::site] << " sites\n";
    std::cout << "  root       " << model.node(model.root()).path << '\n';
    std::cout << "  escalatord submit " << settings.submit_endpoint << ", publish "
              << settings.publish_endpoint << ", snapshot " << settings.snapshot_endpoint
              << ", database " << settings.database_path << '\n';
    return exit_ok;
}

}  // namespace opel::cli

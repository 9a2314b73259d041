#include "cli.h"

#include <cstdio>

namespace opel::cli {
namespace {

Result<std::string, std::string> node_argument(const std::vector<std::string>& positionals,
                                               const std::optional<std::string>& node) {
    if (positionals.size() > 1) {
        return unexpected("give one node, got '" + positionals[0] + "' and '" + positionals[1] +
                          "'");
    }
    if (positionals.empty()) {
        return node.value_or("");
    }
    if (node) {
        return unexpected("give the node either as an argument ('" + positionals[0] +
                          "') or with --node ('" + *node + "'), not both");
    }
    return positionals[0];
}

}  // namespace

Result<std::string, options::Stop> parse_with_node(options::CommandLine& cl,
                                                   const std::vector<std::string>& argv,
                                                   const std::vector<std::string>& positionals,
                                                   const std::optional<std::string>& node) {
    if (auto stop = cl.parse(argv)) {
        return unexpected(std::move(*stop));
    }
    auto chosen = node_argument(positionals, node);
    if (!chosen) {
        return unexpected(cl.usage_error(chosen.error()));
    }
    return std::move(chosen).value();
}

std::optional<Endpoints> endpoints(const options::Endpoints& given,
                                   const std::optional<std::string>& config, std::ostream& err) {
    config::EscalatordSettings settings;
    const bool given_keys = given.curve_public_key || given.curve_secret_key;
    if (!given.complete() || (given_keys && !given.curve_server_key)) {
        auto loaded = load_config_or_report(options::config_path(config), err);
        if (!loaded) {
            return std::nullopt;
        }
        settings = loaded->escalatord;
    }
    settings = options::with_endpoints(std::move(settings), given);
    auto keys = options::client_keys(given, {}, settings);
    if (!keys) {
        err << keys.error() << '\n';
        return std::nullopt;
    }
    return Endpoints{settings.submit_endpoint, settings.publish_endpoint,
                     settings.snapshot_endpoint, settings.query_endpoint, std::move(*keys)};
}

std::optional<config::LoadedConfig> load_config_or_report(const std::string& path,
                                                          std::ostream& err) {
    auto loaded = config::load_config(path);
    if (!loaded) {
        report_problems(loaded.error(), err);
        return std::nullopt;
    }
    return std::move(loaded).value();
}

std::string json_string(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(c));
            out += escaped;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

void report_problems(const std::vector<config::ConfigError>& errors, std::ostream& err) {
    std::size_t problems = 0;
    for (const config::ConfigError& e : errors) {
        err << e.to_string() << '\n';
        problems += e.skipped ? 0 : 1;
    }
    err << problems << " problem" << (problems == 1 ? "" : "s") << " in the configuration\n";
}

}  // namespace opel::cli

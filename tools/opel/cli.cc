#include "cli.h"

#include <algorithm>
#include <cstdlib>

namespace opel::cli {

std::optional<std::string> Args::parse(const std::vector<std::string>& argv,
                                       const std::vector<std::string>& value_flags,
                                       const std::vector<std::string>& bool_flags, Args& out) {
    const auto contains = [](const std::vector<std::string>& v, const std::string& s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    };
    for (std::size_t i = 0; i < argv.size(); ++i) {
        const std::string& arg = argv[i];
        if (arg == "-h") {
            out.values_.emplace("help", "");
            continue;
        }
        if (arg.size() >= 2 && arg[0] == '-' && arg[1] != '-') {
            return "unknown option " + arg;
        }
        if (arg.size() < 3 || arg.rfind("--", 0) != 0) {
            out.positional_.push_back(arg);
            continue;
        }
        std::string name = arg.substr(2);
        std::optional<std::string> inline_value;
        if (const auto eq = name.find('='); eq != std::string::npos) {
            inline_value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (contains(bool_flags, name) || name == "help") {
            if (inline_value) {
                return "--" + name + " takes no value";
            }
            out.values_.emplace(name, "");
        } else if (contains(value_flags, name)) {
            if (inline_value) {
                out.values_.emplace(name, *inline_value);
            } else if (i + 1 < argv.size()) {
                out.values_.emplace(name, argv[++i]);
            } else {
                return "--" + name + " needs a value";
            }
        } else {
            return "unknown option --" + name;
        }
    }
    return std::nullopt;
}

std::optional<std::string> Args::value(const std::string& flag) const {
    const auto it = values_.find(flag);
    if (it == values_.end()) {
        return std::nullopt;
    }
    return it->second;
}

std::vector<std::string> Args::values(const std::string& flag) const {
    std::vector<std::string> out;
    const auto [begin, end] = values_.equal_range(flag);
    for (auto it = begin; it != end; ++it) {
        out.push_back(it->second);
    }
    return out;
}

Result<std::string, std::string> node_argument(const Args& args) {
    const std::vector<std::string>& positional = args.positional();
    if (positional.size() > 1) {
        return unexpected("give one node, got '" + positional[0] + "' and '" + positional[1] + "'");
    }
    if (positional.empty()) {
        return args.value("node").value_or("");
    }
    if (args.has("node")) {
        return unexpected("give the node either as an argument ('" + positional[0] +
                          "') or with --node ('" + *args.value("node") + "'), not both");
    }
    return positional[0];
}

std::string config_path(const Args& args) {
    if (const auto flag = args.value("config")) {
        return *flag;
    }
    if (const char* env = std::getenv("OPEL_CONFIG"); env != nullptr && *env != '\0') {
        return env;
    }
    return OPEL_DEFAULT_CONFIG;
}

std::optional<Endpoints> endpoints(const Args& args, std::ostream& err) {
    const struct {
        const char* flag;
        const char* env;
        std::string Endpoints::*field;
    } sources[] = {{"submit-endpoint", "OPEL_SUBMIT_ENDPOINT", &Endpoints::submit},
                   {"publish-endpoint", "OPEL_PUBLISH_ENDPOINT", &Endpoints::publish},
                   {"snapshot-endpoint", "OPEL_SNAPSHOT_ENDPOINT", &Endpoints::snapshot}};
    Endpoints out;
    bool all = true;
    for (const auto& s : sources) {
        if (const auto flag = args.value(s.flag)) {
            out.*s.field = *flag;
        } else if (const char* env = std::getenv(s.env); env != nullptr && *env != '\0') {
            out.*s.field = env;
        } else {
            all = false;
        }
    }
    if (all) {
        return out;
    }
    auto loaded = load_config_or_report(config_path(args), err);
    if (!loaded) {
        return std::nullopt;
    }
    const config::EscalatordSettings& settings = loaded->escalatord;
    for (const auto& s : sources) {
        if ((out.*s.field).empty()) {
            out.*s.field = s.field == &Endpoints::submit    ? settings.submit_endpoint
                           : s.field == &Endpoints::publish ? settings.publish_endpoint
                                                            : settings.snapshot_endpoint;
        }
    }
    return out;
}

std::optional<long> number_flag(const Args& args, const std::string& flag, long fallback,
                                std::ostream& err, long minimum) {
    const auto text = args.value(flag);
    if (!text) {
        return fallback;
    }
    char* end = nullptr;
    const long value = std::strtol(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || value < minimum) {
        err << "--" << flag << " must be a whole number of at least " << minimum << ", got '"
            << *text << "'\n";
        return std::nullopt;
    }
    return value;
}

std::optional<config::LoadedConfig> load_config_or_report(const std::string& path,
                                                          std::ostream& err) {
    auto loaded = config::load_config(path);
    if (!loaded) {
        std::size_t problems = 0;
        for (const config::ConfigError& e : loaded.error()) {
            err << e.to_string() << '\n';
            problems += e.skipped ? 0 : 1;
        }
        err << problems << " problem" << (problems == 1 ? "" : "s") << " in the configuration\n";
        return std::nullopt;
    }
    return std::move(loaded).value();
}

}  // namespace opel::cli

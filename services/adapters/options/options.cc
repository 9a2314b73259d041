#include "adapters/options/options.h"

#include <CLI/CLI.hpp>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <sstream>

namespace opel::options {
namespace {

std::string quoted(const std::string& text) { return "'" + text + "'"; }

// 1, 0.5, 100000: as short as the number allows.
std::string shortest(double x) {
    std::ostringstream out;
    out << x;
    return out.str();
}

// "a, b or c".
std::string either(const std::vector<std::string>& choices) {
    std::string out;
    for (std::size_t i = 0; i < choices.size(); ++i) {
        out += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
    }
    return out;
}

// Adds --name taking one value, checked and converted by `parse` before `store` sees it; a
// failed check is a usage error naming the flag. Given twice, the last one counts (wrappers
// append flags to a command line).
template <typename Parse, typename Store>
CLI::Option* add_checked(CLI::App& app, const std::string& name, Parse parse, Store store) {
    const auto run = [name, parse, store](const CLI::results_t& results) {
        auto value = parse(results.front());
        if (!value) {
            throw CLI::ValidationError(name, value.error());
        }
        store(std::move(value).value());
        return true;
    };
    CLI::Option* option = app.add_option(name, run);
    option->type_size(1);
    option->expected(1);
    option->type_name("VALUE");
    option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // a later flag overrides
    return option;
}

// The message for arguments nobody took: an unknown option, else an unexpected argument.
std::string extras_message(const std::vector<std::string>& extras) {
    const std::string& first = extras.front();
    if (first.size() > 1 && first[0] == '-') {
        return "unknown option " + first.substr(0, first.find('='));
    }
    return "unexpected argument " + quoted(first);
}

}  // namespace

int report(const Stop& stop, std::ostream& out, std::ostream& err) {
    (stop.exit_code == exit_ok ? out : err) << stop.text;
    return stop.exit_code;
}

std::string version() { return std::string("opel ") + OPEL_VERSION; }

bool installed() {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    return !ec && self.parent_path() == std::filesystem::path(OPEL_INSTALLED_BINDIR);
}

std::string config_path(const std::optional<std::string>& flag) {
    if (flag) {
        return *flag;
    }
    if (const char* env = std::getenv("OPEL_CONFIG"); env != nullptr && *env != '\0') {
        return env;
    }
    return installed() ? OPEL_INSTALLED_CONFIG : OPEL_DEFAULT_CONFIG;
}

Result<long, std::string> parse_whole(const std::string& text, const WholeRange& range) {
    char* end = nullptr;
    errno = 0;
    const long value = std::strtol(text.c_str(), &end, 10);
    const bool blank_first =
        !text.empty() && std::isspace(static_cast<unsigned char>(text[0])) != 0;
    if (text.empty() || blank_first || *end != '\0' || errno != 0 || value < range.min ||
        value > range.max) {
        return unexpected(quoted(text) + " is not a whole number" +
                          (range.unit.empty() ? "" : " of " + range.unit) + " from " +
                          std::to_string(range.min) + " to " + std::to_string(range.max));
    }
    return value;
}

Result<double, std::string> parse_number(const std::string& text, double min, double max) {
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])) != 0 || *end != '\0' ||
        !std::isfinite(value) || value < min || value > max) {
        return unexpected(quoted(text) + " is not a number from " + shortest(min) + " to " +
                          shortest(max));
    }
    return value;
}

Result<TimePoint, std::string> parse_time(const std::string& text) {
    if (const auto t = parse_rfc3339(text)) {
        return *t;
    }
    return unexpected(quoted(text) + " is not an RFC 3339 time such as 2026-01-06T08:00:00Z");
}

Result<std::string, std::string> parse_choice(const std::string& text,
                                              const std::vector<std::string>& choices) {
    for (const std::string& c : choices) {
        if (text == c) {
            return text;
        }
    }
    return unexpected(quoted(text) + " is not " + either(choices));
}

config::EscalatordSettings with_endpoints(config::EscalatordSettings settings,
                                          const Endpoints& endpoints) {
    settings.submit_endpoint = endpoints.submit.value_or(settings.submit_endpoint);
    settings.publish_endpoint = endpoints.publish.value_or(settings.publish_endpoint);
    settings.snapshot_endpoint = endpoints.snapshot.value_or(settings.snapshot_endpoint);
    settings.query_endpoint = endpoints.query.value_or(settings.query_endpoint);
    return settings;
}

CommandLine::CommandLine(std::string program, std::string help)
    : program_(std::move(program)), help_(std::move(help)), app_(std::make_unique<CLI::App>()) {
    app_->allow_extras();
    app_->set_help_flag();
    // Help and version win over every other problem on the line, wherever they stand.
    app_->add_flag_callback("-h,--help", [] { throw CLI::CallForHelp(); })->trigger_on_parse();
    app_->set_version_flag("--version", version())->trigger_on_parse();
}

CommandLine::~CommandLine() = default;

void CommandLine::flag(const std::string& name, bool& target) { app_->add_flag(name, target); }

void CommandLine::text(const std::string& name, std::optional<std::string>& target,
                       const std::string& env) {
    CLI::Option* option = add_checked(
        *app_, name, [](const std::string& t) { return Result<std::string, std::string>(t); },
        [&target](std::string v) { target = std::move(v); });
    if (!env.empty()) {
        option->envname(env);
    }
}

void CommandLine::texts(const std::string& name, std::vector<std::string>& target) {
    app_->add_option(name, target)->type_name("VALUE")->allow_extra_args(false);
}

void CommandLine::whole(const std::string& name, std::optional<long>& target,
                        const WholeRange& range) {
    add_checked(
        *app_, name, [range](const std::string& t) { return parse_whole(t, range); },
        [&target](long v) { target = v; });
}

void CommandLine::number(const std::string& name, std::optional<double>& target, double min,
                         double max) {
    add_checked(
        *app_, name, [min, max](const std::string& t) { return parse_number(t, min, max); },
        [&target](double v) { target = v; });
}

void CommandLine::time(const std::string& name, std::optional<TimePoint>& target) {
    add_checked(
        *app_, name, [](const std::string& t) { return parse_time(t); },
        [&target](TimePoint v) { target = v; });
}

void CommandLine::choice(const std::string& name, std::optional<std::string>& target,
                         std::vector<std::string> choices) {
    add_checked(
        *app_, name,
        [choices = std::move(choices)](const std::string& t) { return parse_choice(t, choices); },
        [&target](std::string v) { target = std::move(v); });
}

void CommandLine::positionals(std::vector<std::string>& target) {
    app_->add_option("arguments", target);
}

void CommandLine::config(std::optional<std::string>& target) {
    text("--config", target, "OPEL_CONFIG");
}

Result<std::optional<net::ClientKeys>, std::string> client_keys(
    const Endpoints& given, const config::CurveClientFiles& configured,
    const config::EscalatordSettings& escalator) {
    const bool flags = given.curve_public_key || given.curve_secret_key;
    if (flags && (!given.curve_public_key || !given.curve_secret_key)) {
        return unexpected(std::string(
            "--curve-public-key and --curve-secret-key go together (a pair from `opel keygen`)"));
    }
    const std::string public_file = flags ? *given.curve_public_key : configured.public_key_file;
    const std::string secret_file = flags ? *given.curve_secret_key : configured.secret_key_file;
    if (public_file.empty()) {
        if (escalator.curve) {
            return unexpected(std::string(
                "the escalator uses CURVE (escalatord.curve): give this client's key pair with "
                "--curve-public-key FILE and --curve-secret-key FILE (or OPEL_CURVE_PUBLIC_KEY "
                "and OPEL_CURVE_SECRET_KEY, or the daemon's own curve section): a pair from "
                "`opel keygen` whose public key is on the escalator's allow-list"));
        }
        return std::optional<net::ClientKeys>{};
    }
    const std::string server = given.curve_server_key.value_or(
        escalator.curve ? escalator.curve->public_key_file : std::string());
    if (server.empty()) {
        return unexpected(std::string(
            "CURVE keys were given but not the escalator's public key: give --curve-server-key "
            "FILE (or OPEL_CURVE_SERVER_KEY), or set escalatord.curve.public_key_file"));
    }
    auto keys = net::read_client_keys(server, public_file, secret_file);
    if (!keys) {
        return unexpected(std::move(keys).error());
    }
    return std::optional<net::ClientKeys>(std::move(*keys));
}

void CommandLine::endpoints(Endpoints& target) {
    text("--submit-endpoint", target.submit, "OPEL_SUBMIT_ENDPOINT");
    text("--publish-endpoint", target.publish, "OPEL_PUBLISH_ENDPOINT");
    text("--snapshot-endpoint", target.snapshot, "OPEL_SNAPSHOT_ENDPOINT");
    text("--query-endpoint", target.query, "OPEL_QUERY_ENDPOINT");
}

void CommandLine::curve_keys(Endpoints& target) {
    text("--curve-public-key", target.curve_public_key, "OPEL_CURVE_PUBLIC_KEY");
    text("--curve-secret-key", target.curve_secret_key, "OPEL_CURVE_SECRET_KEY");
    text("--curve-server-key", target.curve_server_key, "OPEL_CURVE_SERVER_KEY");
}

std::optional<Stop> CommandLine::parse(const std::vector<std::string>& args) {
    // CLI11 takes the arguments last first.
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app_->parse(reversed);
    } catch (const CLI::CallForHelp&) {
        return Stop{exit_ok, help_};
    } catch (const CLI::CallForVersion& e) {
        return Stop{exit_ok, std::string(e.what()) + "\n"};
    } catch (const CLI::ArgumentMismatch& e) {
        // CLI11 says "--site: 1 required VALUE missing".
        const std::string what = e.what();
        const auto colon = what.find(": ");
        const bool missing = colon != std::string::npos && what.ends_with(" missing");
        return usage_error(missing ? what.substr(0, colon) + ": needs a value" : what);
    } catch (const CLI::ParseError& e) {
        return usage_error(e.what());
    }
    if (const std::vector<std::string> extras = app_->remaining(); !extras.empty()) {
        return usage_error(extras_message(extras));
    }
    return std::nullopt;
}

Stop CommandLine::usage_error(const std::string& message) const {
    return Stop{exit_usage, program_ + ": " + message + "\n\n" + usage() + "`" + program_ +
                                " --help` for more.\n"};
}

std::string CommandLine::usage() const {
    const auto blank = help_.find("\n\n");
    return blank == std::string::npos ? help_ : help_.substr(0, blank + 1);
}

}  // namespace opel::options

// What the opel subcommands share beyond the options library (adapters/options): the node
// argument of status and watch, the daemon's endpoints as a client resolves them, and
// config loading with file:line errors. Exit codes are the options library's (SPEC §7).
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include "adapters/config/loader.h"
#include "adapters/net/curve.h"
#include "adapters/options/options.h"
#include "base/result.h"

namespace opel::cli {

using options::exit_failed;
using options::exit_ok;
using options::exit_usage;

// Parses `argv` with `cl` (whose positionals go to `positionals` and --node to `node`), then
// the node a command is about (status, watch): one positional PATH or --node PATH, "" when
// neither is given (everything). Else how the command stops: help, version, or a usage error
// (two positionals, or both forms at once).
Result<std::string, options::Stop> parse_with_node(options::CommandLine& cl,
                                                   const std::vector<std::string>& argv,
                                                   const std::vector<std::string>& positionals,
                                                   const std::optional<std::string>& node);

// The daemon's endpoints as a client uses them.
struct Endpoints {
    std::string submit;
    std::string publish;
    std::string snapshot;
    std::string query;
    std::optional<net::ClientKeys> curve;  // with escalatord.curve: the keys to connect with
};

// The endpoints given by flags or environment (options::Endpoints), the rest from the
// configuration at `config` (read only when something is missing), and the CURVE keys: the
// client's pair from --curve-public-key/--curve-secret-key and the escalator's public key
// from --curve-server-key or escalatord.curve. nullopt after printing the problem to `err`:
// the configuration's, a key file's, or keys missing for an escalator that uses CURVE.
std::optional<Endpoints> endpoints(const options::Endpoints& given,
                                   const std::optional<std::string>& config, std::ostream& err);

// Loads the configuration; on failure prints every error to `err` and returns nullopt.
std::optional<config::LoadedConfig> load_config_or_report(const std::string& path,
                                                          std::ostream& err);
// `s` as a JSON string literal.
std::string json_string(std::string_view s);
// Creates `path` holding `text`: mode 0600 whatever the umask, never over an existing file,
// fsynced (keygen.cc). The error names the path; nothing is left behind after one.
Result<std::monostate, std::string> write_new(const std::string& path, const std::string& text);
// Prints every problem as file:line: field: message, then how many there are.
void report_problems(const std::vector<config::ConfigError>& errors, std::ostream& err);

}  // namespace opel::cli

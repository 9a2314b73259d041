// Small command-line toolkit shared by the opel subcommands: flag parsing with precise usage
// errors, config loading with file:line errors, and exit codes (SPEC §7).
#pragma once

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "adapters/config/loader.h"
#include "base/result.h"

namespace opel::cli {

// Exit codes shared by every subcommand.
inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;  // rejected input or failed operation
inline constexpr int exit_usage = 2;

// Parsed arguments of one subcommand. Flags are "--name value", "--name=value" or boolean
// "--name"; "-h" is "--help" and "--help" is accepted by every command; "-" alone is
// positional (standard input), any other "-x" is an unknown option; anything else is
// positional.
class Args {
public:
    // `value_flags` take a value; `bool_flags` do not. Returns an error message for unknown
    // flags or a missing value.
    static std::optional<std::string> parse(const std::vector<std::string>& argv,
                                            const std::vector<std::string>& value_flags,
                                            const std::vector<std::string>& bool_flags, Args& out);

    bool has(const std::string& flag) const { return values_.contains(flag); }
    std::optional<std::string> value(const std::string& flag) const;
    std::vector<std::string> values(const std::string& flag) const;
    const std::vector<std::string>& positional() const { return positional_; }

private:
    std::multimap<std::string, std::string> values_;
    std::vector<std::string> positional_;
};

// The node a command is about (status, watch): one positional PATH or --node PATH, "" when
// neither is given (everything). The error names the usage problem: two positionals, or both
// forms at once.
Result<std::string, std::string> node_argument(const Args& args);

// The config path: --config, else $OPEL_CONFIG, else the shipped config directory.
std::string config_path(const Args& args);

// The daemon's endpoints as a client sees them: --submit-endpoint / --publish-endpoint /
// --snapshot-endpoint, else OPEL_SUBMIT_ENDPOINT / ..., else the configuration file.
struct Endpoints {
    std::string submit;
    std::string publish;
    std::string snapshot;
};
// The flags endpoints() reads; add them to a subcommand's value flags.
inline const std::vector<std::string> endpoint_flags = {"submit-endpoint", "publish-endpoint",
                                                        "snapshot-endpoint", "config"};
std::optional<Endpoints> endpoints(const Args& args, std::ostream& err);

// A whole-number flag value of at least `minimum` (`fallback` when the flag is absent);
// nullopt after printing why when it is not one.
std::optional<long> number_flag(const Args& args, const std::string& flag, long fallback,
                                std::ostream& err, long minimum = 1);

// Loads the configuration; on failure prints every error to `err` and returns nullopt.
std::optional<config::LoadedConfig> load_config_or_report(const std::string& path,
                                                          std::ostream& err);

}  // namespace opel::cli

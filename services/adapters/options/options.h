// The command line of every program of the project (opel-escalatord, the `opel` command and
// its subcommands), on CLI11, so flag names, -h/--help, --version, --config, the OPEL_*
// environment overrides, the checks of numbers, durations and times, and the messages are the
// same everywhere.
//
//   args ──▶ CommandLine::parse ──▶ nullopt: the bound flags hold the values, run
//                               └─▶ Stop{0, help or version text}        print to stdout
//                               └─▶ Stop{2, "prog: why\n\nusage…\n"}    print to stderr
//
// Precedence for a value: the flag, else its environment variable (empty counts as unset),
// else the configuration file (the caller's fallback). A usage error names the flag, the
// value and why it cannot be used ("--heartbeat-seconds: '0' is not a whole number of
// seconds from 1 to 86400"), then the program's usage lines and where to find more.
#pragma once

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/config/settings.h"
#include "adapters/net/curve.h"
#include "base/result.h"
#include "base/time.h"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's own name
class App;
}  // namespace CLI

namespace opel::options {

// Exit codes shared by every program (SPEC §7).
inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;  // rejected input or failed operation
inline constexpr int exit_usage = 2;

// The program stops before running: help or version text (exit 0, for standard output) or a
// usage error with its usage hint (exit 2, for standard error).
struct Stop {
    int exit_code = exit_ok;
    std::string text;
};

// Writes the stop's text to `out` (exit 0) or `err` and returns its exit code.
int report(const Stop& stop, std::ostream& out, std::ostream& err);

// "opel <project version>", what --version prints.
std::string version();

// --config's fallbacks: $OPEL_CONFIG (when set and not empty), else the shipped
// configuration: the installed one (/etc/opel) for an installed program, else the source
// tree's config/ (a build's programs).
std::string config_path(const std::optional<std::string>& flag);
// Whether this program runs from the install prefix's bin/ (a package), not a build tree.
bool installed();

// The inclusive range of a whole-number flag and the unit it counts ("seconds"; "" for a
// plain count).
struct WholeRange {
    long min = 0;
    long max = 0;
    std::string unit;
};

// The checks behind the flags, for flags and for anything else read from a user. Each
// returns the value, or why `text` is not one ("'0' is not a whole number of seconds from 1
// to 86400"); the caller puts the flag's name in front.
Result<long, std::string> parse_whole(const std::string& text, const WholeRange& range);
Result<double, std::string> parse_number(const std::string& text, double min, double max);
Result<TimePoint, std::string> parse_time(const std::string& text);
Result<std::string, std::string> parse_choice(const std::string& text,
                                              const std::vector<std::string>& choices);

// The daemon's endpoints as given by --submit-endpoint / --publish-endpoint /
// --snapshot-endpoint / --query-endpoint, else OPEL_SUBMIT_ENDPOINT / OPEL_PUBLISH_ENDPOINT /
// OPEL_SNAPSHOT_ENDPOINT / OPEL_QUERY_ENDPOINT; none: the configuration's.
struct Endpoints {
    std::optional<std::string> submit;
    std::optional<std::string> publish;
    std::optional<std::string> snapshot;
    std::optional<std::string> query;
    // CURVE key files (`opel keygen`): --curve-public-key / --curve-secret-key (this
    // client's pair, OPEL_CURVE_PUBLIC_KEY / OPEL_CURVE_SECRET_KEY) and --curve-server-key
    // (the escalator's public key, OPEL_CURVE_SERVER_KEY; else escalatord.curve's).
    std::optional<std::string> curve_public_key;
    std::optional<std::string> curve_secret_key;
    std::optional<std::string> curve_server_key;

    bool complete() const { return submit && publish && snapshot && query; }
};

// `settings` with the endpoints that were given in place of the configuration's.
config::EscalatordSettings with_endpoints(config::EscalatordSettings settings,
                                          const Endpoints& endpoints);

// The CURVE keys a client of the escalator connects with: its pair from the --curve-* flags
// or variables, else `configured` (a daemon's own section: notifyd.curve, webd.curve); the
// escalator's public key from --curve-server-key, else escalatord.curve.public_key_file. None
// when no keys are given and the escalator has no CURVE. The error says what is missing or
// which file is wrong.
Result<std::optional<net::ClientKeys>, std::string> client_keys(
    const Endpoints& given, const config::CurveClientFiles& configured,
    const config::EscalatordSettings& escalator);

// One program's command line. Flags are bound to the caller's variables, which must outlive
// parse(); a variable is only written when its flag (or environment variable) is given and
// its value passes the check. "--name value" and "--name=value" are both accepted; "-" alone
// is a positional argument. Not thread-safe; lives for one parse on the main thread.
class CommandLine {
public:
    // `program` is how messages name it ("opel submit"); `help` is the whole --help text,
    // whose first paragraph is the usage shown after a usage error.
    CommandLine(std::string program, std::string help);
    ~CommandLine();
    CommandLine(const CommandLine&) = delete;
    CommandLine& operator=(const CommandLine&) = delete;

    // --name with no value.
    void flag(const std::string& name, bool& target);
    // --name TEXT; with `env`, that environment variable when the flag is not given.
    void text(const std::string& name, std::optional<std::string>& target,
              const std::string& env = "");
    // --name TEXT, repeatable, in order.
    void texts(const std::string& name, std::vector<std::string>& target);
    // --name N, a whole number in `range`.
    void whole(const std::string& name, std::optional<long>& target, const WholeRange& range);
    // --name R, a number from `min` to `max`.
    void number(const std::string& name, std::optional<double>& target, double min, double max);
    // --name TIME, RFC 3339.
    void time(const std::string& name, std::optional<TimePoint>& target);
    // --name WORD, one of `choices`.
    void choice(const std::string& name, std::optional<std::string>& target,
                std::vector<std::string> choices);
    // Arguments that are not flags, in order.
    void positionals(std::vector<std::string>& target);
    // --config DIR|FILE, else $OPEL_CONFIG; config_path() adds the shipped default.
    void config(std::optional<std::string>& target);
    // --submit-endpoint, --publish-endpoint, --snapshot-endpoint, --query-endpoint with their
    // variables.
    void endpoints(Endpoints& target);
    // A client's --curve-public-key, --curve-secret-key and --curve-server-key with theirs.
    void curve_keys(Endpoints& target);

    // Parses `args` (without the program name). nullopt: run with the bound values.
    std::optional<Stop> parse(const std::vector<std::string>& args);

    // A usage error found after parsing (two inputs at once, a missing flag): `message`
    // with the usage hint, exit 2.
    Stop usage_error(const std::string& message) const;

    // The usage lines: the help text's first paragraph.
    std::string usage() const;

private:
    std::string program_;
    std::string help_;
    std::unique_ptr<CLI::App> app_;
};

}  // namespace opel::options

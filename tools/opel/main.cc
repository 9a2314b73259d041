// opel: the command people and scripts use. `opel <command> --help` for each command.
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"

namespace opel::cli {
int check_config_main(const std::vector<std::string>& args);
int evaluate_main(const std::vector<std::string>& args);
int submit_main(const std::vector<std::string>& args);
int status_main(const std::vector<std::string>& args);
int watch_main(const std::vector<std::string>& args);
int simulate_main(const std::vector<std::string>& args);
}  // namespace opel::cli

namespace {

struct Command {
    const char* name;
    const char* summary;
    int (*run)(const std::vector<std::string>&);
};

constexpr Command commands[] = {
    {"check-config", "validate the configuration; file:line errors", opel::cli::check_config_main},
    {"evaluate", "run sitreps (JSON lines or CSV) through the engine offline",
     opel::cli::evaluate_main},
    {"submit", "send sitreps to opel-escalatord; print each reply", opel::cli::submit_main},
    {"status", "current levels of a subtree with the parameter breakdown", opel::cli::status_main},
    {"watch", "follow status and alerts live (snapshot, then updates)", opel::cli::watch_main},
    {"simulate", "submit realistic synthetic sitreps for the configured tree",
     opel::cli::simulate_main},
};

void usage(std::ostream& out) {
    out << "usage: opel <command> [options]\n\ncommands:\n";
    for (const Command& c : commands) {
        out << "  " << c.name << std::string(16 - std::string(c.name).size(), ' ') << c.summary
            << '\n';
    }
    out << "\n`opel <command> --help` describes each command. Exit codes: 0 ok, 1 rejected or "
           "failed, 2 usage.\n";
}

}  // namespace

int main(int argc, char** argv) try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        usage(std::cerr);
        return opel::cli::exit_usage;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        usage(std::cout);
        return opel::cli::exit_ok;
    }
    for (const Command& c : commands) {
        if (args[0] == c.name) {
            return c.run({args.begin() + 1, args.end()});
        }
    }
    std::cerr << "opel: unknown command '" << args[0] << "'\n\n";
    usage(std::cerr);
    return opel::cli::exit_usage;
} catch (const std::exception& e) {
    std::cerr << "opel: " << e.what() << '\n';
    return opel::cli::exit_failed;
}

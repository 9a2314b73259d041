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
int ack_main(const std::vector<std::string>& args);
int declare_main(const std::vector<std::string>& args);
int status_main(const std::vector<std::string>& args);
int watch_main(const std::vector<std::string>& args);
int history_main(const std::vector<std::string>& args);
int notifications_main(const std::vector<std::string>& args);
int backup_main(const std::vector<std::string>& args);
int replay_main(const std::vector<std::string>& args);
int simulate_main(const std::vector<std::string>& args);
int keygen_main(const std::vector<std::string>& args);
int web_user_main(const std::vector<std::string>& args);
int web_token_main(const std::vector<std::string>& args);
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
    {"ack", "acknowledge an alert (its transition id), with your name", opel::cli::ack_main},
    {"declare", "declare (or withdraw) a site's level by clinical judgement",
     opel::cli::declare_main},
    {"status", "current levels of a subtree with the parameter breakdown", opel::cli::status_main},
    {"watch", "follow status and alerts live (snapshot, then updates)", opel::cli::watch_main},
    {"history", "stored results, alerts or sitreps of a subtree and time range",
     opel::cli::history_main},
    {"notifications", "opel-notifyd's deliveries and open escalations, with their state",
     opel::cli::notifications_main},
    {"backup", "a consistent copy of the daemon's database while it runs", opel::cli::backup_main},
    {"keygen", "a CURVE key pair for ZeroMQ, each key in a file created 0600",
     opel::cli::keygen_main},
    {"web-user", "a users-file entry for opel-webd: name, role, password hash",
     opel::cli::web_user_main},
    {"web-token", "an upload token for opel-webd (to a 0600 file) and its users-file entry",
     opel::cli::web_token_main},
    {"replay", "run a new or changed configuration over the stored sitreps, offline",
     opel::cli::replay_main},
    {"simulate", "submit realistic synthetic sitreps for the configured tree",
     opel::cli::simulate_main},
};

void usage(std::ostream& out) {
    out << "usage: opel <command> [options]\n       opel help <command>\n\ncommands:\n";
    for (const Command& c : commands) {
        out << "  " << c.name << std::string(16 - std::string(c.name).size(), ' ') << c.summary
            << '\n';
    }
    out << "\n`opel <command> --help` (or -h, or `opel help <command>`) describes each command;\n"
           "`opel --version` prints the version. Exit codes: 0 ok, 1 rejected or failed, 2 "
           "usage.\n";
}

const Command* find_command(const std::string& name) {
    for (const Command& c : commands) {
        if (name == c.name) {
            return &c;
        }
    }
    return nullptr;
}

// `opel help [COMMAND]`.
int help(const std::vector<std::string>& args) {
    if (args.size() == 1) {
        usage(std::cout);
        return opel::cli::exit_ok;
    }
    const Command* c = args.size() == 2 ? find_command(args[1]) : nullptr;
    if (c == nullptr) {
        std::cerr << "opel help: "
                  << (args.size() == 2 ? "unknown command '" + args[1] + "'"
                                       : std::string("give at most one command"))
                  << "\n\n";
        usage(std::cerr);
        return opel::cli::exit_usage;
    }
    return c->run({"--help"});
}

}  // namespace

int main(int argc, char** argv) try {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::cerr << "opel: no command given\n\n";
        usage(std::cerr);
        return opel::cli::exit_usage;
    }
    if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        return help(args);
    }
    if (args[0] == "--version") {
        std::cout << opel::options::version() << '\n';
        return opel::cli::exit_ok;
    }
    if (const Command* c = find_command(args[0])) {
        return c->run({args.begin() + 1, args.end()});
    }
    std::cerr << "opel: unknown command '" << args[0] << "'\n\n";
    usage(std::cerr);
    return opel::cli::exit_usage;
} catch (const std::exception& e) {
    std::cerr << "opel: " << e.what() << '\n';
    return opel::cli::exit_failed;
}

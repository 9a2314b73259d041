// opel: the command people and scripts use. `opel <command> --help` for each command.
#include <exception>
#include <iostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <string_view>
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
    out << "usage: opel <command> [options]\n       opel help <command>\n\ncommands:\n";
    for (const Command& c : commands) {
        out << "  " << c.name << std::string(16 - std::string(c.name).size(), ' ') << c.summary
            << '\n';
    }
    out << "\n`opel <command> --help` (or -h, or `opel help <command>`) describes each command.\n"
           "Exit codes: 0 ok, 1 rejected or failed, 2 usage.\n";
}

const Command* find_command(const std::string& name) {
    for (const Command& c : commands) {
        if (name == c.name) {
            return &c;
        }
    }
    return nullptr;
}

constexpr std::string_view usage_prefix = "usage:";

// Passes everything written to it on to `target`, and remembers whether a line beginning
// "usage:" went through. Lives on main's thread for one command run.
class UsageSpotter final : public std::streambuf {
public:
    explicit UsageSpotter(std::streambuf* target) : target_(target) {}
    bool seen() const { return seen_; }

protected:
    int_type overflow(int_type ch) override {
        if (traits_type::eq_int_type(ch, traits_type::eof())) {
            return traits_type::not_eof(ch);
        }
        track(traits_type::to_char_type(ch));
        return target_->sputc(traits_type::to_char_type(ch));
    }
    std::streamsize xsputn(const char* s, std::streamsize n) override {
        for (std::streamsize i = 0; i < n; ++i) {
            track(s[i]);
        }
        return target_->sputn(s, n);
    }
    int sync() override { return target_->pubsync(); }

private:
    void track(char c) {
        if (c == '\n') {
            line_start_.clear();
            return;
        }
        if (line_start_.size() < usage_prefix.size()) {
            line_start_ += c;
            seen_ = seen_ || line_start_ == usage_prefix;
        }
    }

    std::streambuf* target_;
    std::string line_start_;
    bool seen_ = false;
};

// Points `stream` at `buffer` until destroyed.
class Redirect {
public:
    Redirect(std::ostream& stream, std::streambuf* buffer)
        : stream_(stream), saved_(stream.rdbuf(buffer)) {}
    ~Redirect() { stream_.rdbuf(saved_); }
    Redirect(const Redirect&) = delete;
    Redirect& operator=(const Redirect&) = delete;

private:
    std::ostream& stream_;
    std::streambuf* saved_;
};

// The usage lines of a command: its --help text up to the first blank line.
std::string usage_lines(const Command& c) {
    std::ostringstream help;
    {
        const Redirect to_string(std::cout, help.rdbuf());
        c.run({"--help"});
    }
    const std::string text = help.str();
    const auto blank = text.find("\n\n");
    return blank == std::string::npos ? text : text.substr(0, blank + 1);
}

// Runs a command. Every usage error shows the command's usage: when the command named the
// problem but printed no "usage:" line, its usage lines follow.
int run(const Command& c, const std::vector<std::string>& args) {
    int code = opel::cli::exit_ok;
    bool shown = false;
    {
        UsageSpotter spotter(std::cerr.rdbuf());
        const Redirect through(std::cerr, &spotter);
        code = c.run(args);
        shown = spotter.seen();
    }
    if (code == opel::cli::exit_usage && !shown) {
        std::cerr << '\n' << usage_lines(c) << "`opel " << c.name << " --help` for more.\n";
    }
    return code;
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
    if (const Command* c = find_command(args[0])) {
        return run(*c, {args.begin() + 1, args.end()});
    }
    std::cerr << "opel: unknown command '" << args[0] << "'\n\n";
    usage(std::cerr);
    return opel::cli::exit_usage;
} catch (const std::exception& e) {
    std::cerr << "opel: " << e.what() << '\n';
    return opel::cli::exit_failed;
}

// opel web-user and opel web-token: entries for opel-webd's users file (issue 15, access).
// Each prints a block of protobuf text to add to the file (opel.config.v1.WebAccess); only
// hashes go there. A password is read from a file or standard input (not echoed on a
// terminal); a token is made here and written once to a file created 0600 for its holder.
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <fstream>
#include <iostream>

#include "adapters/secrets/secrets.h"
#include "cli.h"

namespace opel::cli {
namespace {

// NCSC: length over complexity rules. Ten characters is three short words.
constexpr std::size_t min_password_length = 10;

constexpr const char* user_help =
    R"(usage: opel web-user --name NAME --role ROLE [--site ID]... [--password-file FILE]

Prints a `users { ... }` entry for opel-webd's users file (webd.users_file): the name, the
role and the password's hash (libsodium crypto_pwhash_str, Argon2id). The password is the
first line of --password-file, else of standard input (asked for, without echo, on a
terminal); at least 10 characters. The password itself is written nowhere. Add the entry
to the file and send opel-webd SIGHUP (or restart it).

  --name NAME          the login name, also the name on this user's acknowledgements
  --role ROLE          viewer (reads), acknowledger (also acknowledges alerts) or submitter
                       (also uploads sitreps for its --site sites)
  --site ID            a site a submitter may upload for (repeat for more); submitters only
  --password-file FILE read the password from FILE's first line

Exit 0 with the entry on standard output; 1 when no password could be read; 2 for usage
errors (a bad name, role or password, sites for a role that uploads nothing).
)";

constexpr const char* token_help =
    R"(usage: opel web-token --name NAME --site ID [--site ID]... --token-file FILE

Makes an upload token for a program that sends sitreps to opel-webd (POST /api/v1/sitreps
with `Authorization: Bearer <token>`), for the given sites only: 32 random bytes as 64 hex
digits, written once to --token-file (created with mode 0600, never over an existing file)
for its holder. Prints the `tokens { ... }` entry for the users file, which keeps only the
token's hash (BLAKE2b-256). Add the entry and send opel-webd SIGHUP.

  --name NAME        who holds it (in logs and replies), e.g. stockport-bi
  --site ID          a site it may upload for (repeat for more); at least one
  --token-file FILE  where the token goes

Exit 0 with the entry on standard output; 1 when the token file cannot be written; 2 for
usage errors.
)";

// `text` as a protobuf text-format string literal.
std::string quoted(const std::string& text) {
    std::string out = "\"";
    for (const char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}

std::string sites_lines(const std::vector<std::string>& sites) {
    std::string out;
    for (const std::string& site : sites) {
        out += "  sites: " + quoted(site) + "\n";
    }
    return out;
}

// The first line of `in` (without its newline); on a terminal, asked for without echo.
std::optional<std::string> read_password(std::istream& in, bool from_terminal) {
    termios saved{};
    const bool quiet = from_terminal && ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (quiet) {
        termios silent = saved;
        silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
        std::cerr << "password: " << std::flush;
    }
    std::string line;
    const bool read = static_cast<bool>(std::getline(in, line));
    if (quiet) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::cerr << '\n';
    }
    if (!read) {
        return std::nullopt;
    }
    if (!line.empty() && line.back() == '\r') {
        line.pop_back();
    }
    return line;
}

int usage_error(const options::CommandLine& cl, const std::string& message) {
    return options::report(cl.usage_error(message), std::cout, std::cerr);
}

}  // namespace

int web_user_main(const std::vector<std::string>& argv) {
    std::optional<std::string> name, role, password_file;
    std::vector<std::string> sites;
    options::CommandLine cl("opel web-user", user_help);
    cl.text("--name", name);
    cl.choice("--role", role, {"viewer", "acknowledger", "submitter"});
    cl.texts("--site", sites);
    cl.text("--password-file", password_file);
    if (auto stop = cl.parse(argv)) {
        return options::report(*stop, std::cout, std::cerr);
    }
    if (!name || !role) {
        return usage_error(cl, "--name NAME and --role ROLE are required");
    }
    if (auto problem = config::web_name_problem(*name)) {
        return usage_error(cl, "--name: " + *problem);
    }
    if ((*role == "submitter") == sites.empty()) {
        return usage_error(cl, *role == "submitter"
                                   ? "a submitter needs at least one --site it may upload for"
                                   : "--site is for submitters: a " + *role + " uploads nothing");
    }
    std::optional<std::string> password;
    if (password_file) {
        std::ifstream in(*password_file);
        if (!in) {
            std::cerr << "opel web-user: cannot read " << *password_file << '\n';
            return exit_failed;
        }
        password = read_password(in, false);
    } else {
        password = read_password(std::cin, ::isatty(STDIN_FILENO) == 1);
    }
    if (!password) {
        std::cerr << "opel web-user: no password given (a line on standard input or in "
                     "--password-file)\n";
        return exit_failed;
    }
    if (password->size() < min_password_length) {
        return usage_error(cl, "the password is " + std::to_string(password->size()) +
                                   " characters; at least " + std::to_string(min_password_length) +
                                   " (three words make a good one)");
    }
    if (sodium_init() < 0) {
        std::cerr << "opel web-user: libsodium cannot start\n";
        return exit_failed;
    }
    const std::string hash = secrets::hash_password(*password);
    sodium_memzero(password->data(), password->size());
    std::string upper = *role;
    for (char& c : upper) {
        c = static_cast<char>(c - 'a' + 'A');
    }
    std::cout << "users {\n  name: " << quoted(*name) << "\n  role: WEB_ROLE_" << upper
              << "\n  password_hash: " << quoted(hash) << "\n"
              << sites_lines(sites) << "}\n";
    return exit_ok;
}

int web_token_main(const std::vector<std::string>& argv) {
    std::optional<std::string> name, token_file;
    std::vector<std::string> sites;
    options::CommandLine cl("opel web-token", token_help);
    cl.text("--name", name);
    cl.texts("--site", sites);
    cl.text("--token-file", token_file);
    if (auto stop = cl.parse(argv)) {
        return options::report(*stop, std::cout, std::cerr);
    }
    if (!name || !token_file || sites.empty()) {
        return usage_error(cl, "--name NAME, --site ID and --token-file FILE are required");
    }
    if (auto problem = config::web_name_problem(*name)) {
        return usage_error(cl, "--name: " + *problem);
    }
    if (sodium_init() < 0) {
        std::cerr << "opel web-token: libsodium cannot start\n";
        return exit_failed;
    }
    const std::string token = secrets::new_secret();
    if (auto written = write_new(*token_file, token + "\n"); !written) {
        std::cerr << "opel web-token: " << written.error() << "; no token made\n";
        return exit_failed;
    }
    std::cout << "tokens {\n  name: " << quoted(*name)
              << "\n  token_hash: " << quoted(secrets::hash_token(token)) << "\n"
              << sites_lines(sites) << "}\n";
    std::cerr << "opel web-token: the token is in " << *token_file
              << " (mode 0600): give it to its holder; it is kept nowhere else\n";
    return exit_ok;
}

}  // namespace opel::cli

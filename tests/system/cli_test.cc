// System tests of the opel command against the real daemon: history out of the store, and
// watch --since catching up on what a watcher missed. The command runs as a subprocess
// (bounded by timeout(1)); its standard output is what is asserted on.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <regex>
#include <sstream>
#include <thread>
#include <zmq.hpp>

#include "adapters/net/client.h"
#include "base/time.h"
#include "opel/v1/feed.pb.h"
#include "opel/v1/reply.pb.h"
#include "opel/v1/request.pb.h"
#include "support/daemon.h"

namespace opel {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* t0 = "2026-01-13T08:00:00Z";

std::string at(int minutes_from_t0) {
    return format_utc(*parse_rfc3339(t0) + std::chrono::minutes(minutes_from_t0));
}

// A sitrep for the test card: OPEL 1 with (5, 5), OPEL 4 with (70, 25).
std::string request(const std::string& site, const std::string& as_at, double handover,
                    double nctr_percent) {
    v1::SubmitRequest r;
    v1::Sitrep& s = *r.mutable_sitrep();
    s.set_site_id(site);
    s.mutable_as_at()->set_seconds(parse_rfc3339(as_at)->time_since_epoch().count());
    (*s.mutable_measures())["ambulance_handover_mean_minutes"] = handover;
    (*s.mutable_measures())["ga_beds_occupied"] = 200;
    (*s.mutable_measures())["nctr_patients"] = 2 * nctr_percent;
    return r.SerializeAsString();
}

struct Outcome {
    int status = -1;
    std::string out;
};

// Runs `command_line` in a shell: its exit status and output (stdout and stderr).
Outcome run_shell(const std::string& command_line) {
    Outcome r;
    FILE* pipe = ::popen((command_line + " 2>&1").c_str(), "r");
    std::array<char, 4096> buffer{};
    while (pipe != nullptr && std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
        r.out += buffer.data();
    }
    r.status = pipe == nullptr ? -1 : WEXITSTATUS(::pclose(pipe));
    return r;
}

class CliTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("opel-cli-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        daemon_ =
            std::make_unique<testing::Daemon>(dir_, std::vector<std::string>{"--clock-start", t0});
        ASSERT_TRUE(daemon_->start()) << daemon_->log();
    }
    void TearDown() override {
        daemon_->kill9();
        if (HasFailure()) {
            std::cerr << "daemon log:\n" << daemon_->log();
        }
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    void submit(const std::string& site, int minutes, bool high) {
        net::RequestClient client(context_, daemon_->submit_endpoint());
        const auto reply = client.request(
            high ? request(site, at(minutes), 70, 25) : request(site, at(minutes), 5, 5), 10s, 0);
        ASSERT_TRUE(reply.has_value());
    }

    std::uint64_t sequence() {
        net::RequestClient client(context_, daemon_->snapshot_endpoint());
        v1::SnapshotRequest r;
        r.set_subtree("no-such-node");
        const auto answer = client.request(r.SerializeAsString(), 10s, 0);
        v1::Snapshot snap;
        EXPECT_TRUE(answer && snap.ParseFromString(*answer));
        return snap.sequence();
    }

    // "opel ARGS" with the daemon's endpoints and the test configuration.
    std::string command(const std::string& args) const {
        return std::string("timeout 60 ") + OPEL_COMMAND + " " + args + " --config " +
               OPEL_TEST_CONFIG + " --submit-endpoint " + daemon_->submit_endpoint() +
               " --publish-endpoint " + daemon_->publish_endpoint() + " --snapshot-endpoint " +
               daemon_->snapshot_endpoint() + " --query-endpoint " + daemon_->query_endpoint();
    }

    Outcome run(const std::string& args) const { return run_raw(command(args)); }

    static Outcome run_raw(const std::string& command_line) { return run_shell(command_line); }

    fs::path dir_;
    zmq::context_t context_;
    std::unique_ptr<testing::Daemon> daemon_;
};

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

// opel keygen: needs no daemon.
TEST(KeygenTest, WritesAKeyPairInFilesOnlyTheOwnerCanReadAndNeverOverwrites) {
    const fs::path dir =
        fs::temp_directory_path() / ("opel-keygen-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    const std::string pub = (dir / "rwj.pub").string();
    const std::string key = (dir / "rwj.key").string();
    const auto run = [](const std::string& args) {
        return run_shell(std::string("umask 000; ") + OPEL_COMMAND + " keygen " + args);
    };
    const Outcome made = run("--public " + pub + " --secret " + key);
    ASSERT_EQ(made.status, 0) << made.out;
    const auto read = [](const std::string& path) {
        std::ifstream in(path);
        std::string line;
        std::getline(in, line);
        return line;
    };
    const std::string public_key = read(pub);
    const std::string secret_key = read(key);
    ASSERT_EQ(public_key.size(), 40U);
    ASSERT_EQ(secret_key.size(), 40U);
    // The public key is the secret key's (libzmq derives it the same way).
    std::array<char, 41> derived{};
    ASSERT_EQ(zmq_curve_public(derived.data(), secret_key.c_str()), 0);
    EXPECT_EQ(std::string(derived.data()), public_key);
    // 0600 even under umask 000.
    for (const std::string& file : {pub, key}) {
        EXPECT_EQ(fs::status(file).permissions(), fs::perms::owner_read | fs::perms::owner_write)
            << file;
    }
    // Again: refused, nothing changed; a fresh pair differs.
    const Outcome again = run("--public " + pub + " --secret " + (dir / "other.key").string());
    EXPECT_EQ(again.status, 1);
    EXPECT_NE(again.out.find(pub + " exists; nothing written"), std::string::npos) << again.out;
    EXPECT_FALSE(fs::exists(dir / "other.key"));
    EXPECT_EQ(read(pub), public_key);
    const Outcome second =
        run("--public " + (dir / "b.pub").string() + " --secret " + (dir / "b.key").string());
    ASSERT_EQ(second.status, 0) << second.out;
    EXPECT_NE(read((dir / "b.key").string()), secret_key);
    EXPECT_EQ(run("--public " + pub).status, 2);  // the secret file is required
    std::error_code ignored;
    fs::remove_all(dir, ignored);
}

// Keys from `opel keygen` for an escalator with CURVE: the command connects with a listed
// pair given by flags or variables, is held to its key's sites, and without keys says what
// it needs.
TEST(CurveCommandTest, KeysFromKeygenLetTheCommandInAndItsScopeHolds) {
    const fs::path dir =
        fs::temp_directory_path() / ("opel-cli-curve-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    const auto keygen = [&dir](const std::string& name) {
        const Outcome made = run_shell(std::string(OPEL_COMMAND) + " keygen --public " +
                                       (dir / (name + ".pub")).string() + " --secret " +
                                       (dir / (name + ".key")).string());
        EXPECT_EQ(made.status, 0) << made.out;
        std::ifstream in(dir / (name + ".pub"));
        std::string key;
        std::getline(in, key);
        return key;
    };
    keygen("escalator");
    const std::string rwj = keygen("rwj");
    const fs::path src = OPEL_TEST_CONFIG;
    std::ofstream(dir / "opel.textproto")
        << "catalogue: \"" << fs::canonical(src / "../../../config/catalogue.textproto").string()
        << "\"\ncards: \"" << (src / "cards/test-acute.textproto").string() << "\"\ntree: \""
        << (src / "trees/test.textproto").string()
        << "\"\nescalatord { max_clock_skew_seconds: 300 curve { public_key_file: "
           "\"escalator.pub\" secret_key_file: \"escalator.key\" clients { name: \"rwj-flow\" "
           "public_key: \""
        << rwj << "\" sites: \"RWJ\" subtrees: \"stockport\" } } }\n";
    testing::Daemon daemon(dir, {"--config", dir.string(), "--clock-start", t0});
    daemon.use_curve(net::read_client_keys((dir / "escalator.pub").string(),
                                           (dir / "rwj.pub").string(), (dir / "rwj.key").string())
                         .value());
    ASSERT_TRUE(daemon.start()) << daemon.log();
    const std::string endpoints = " --config " + dir.string() + " --submit-endpoint " +
                                  daemon.submit_endpoint() + " --snapshot-endpoint " +
                                  daemon.snapshot_endpoint();
    const std::string keys = " --curve-public-key " + (dir / "rwj.pub").string() +
                             " --curve-secret-key " + (dir / "rwj.key").string();
    const auto opel = [&](const std::string& args) {
        return run_shell(std::string("timeout 60 ") + OPEL_COMMAND + " " + args + endpoints);
    };
    const std::string sitrep = " --as-at " + at(0) +
                               " --measure ambulance_handover_mean_minutes=70 --measure "
                               "ga_beds_occupied=200 --measure nctr_patients=50 --retries 0";
    const Outcome accepted = opel("submit --site RWJ" + sitrep + keys);
    EXPECT_EQ(accepted.status, 0) << accepted.out;
    EXPECT_NE(accepted.out.find("ACCEPTED"), std::string::npos) << accepted.out;
    const Outcome other = opel("submit --site RMC" + sitrep + keys);
    EXPECT_EQ(other.status, 1) << other.out;
    EXPECT_NE(other.out.find("'RMC' is not a site rwj-flow may submit for (RWJ)"),
              std::string::npos)
        << other.out;
    // The variables do as the flags do.
    const Outcome status = run_shell("OPEL_CURVE_PUBLIC_KEY=" + (dir / "rwj.pub").string() +
                                     " OPEL_CURVE_SECRET_KEY=" + (dir / "rwj.key").string() +
                                     " timeout 60 " + OPEL_COMMAND + " status --brief" + endpoints);
    EXPECT_EQ(status.status, 0) << status.out;
    EXPECT_NE(status.out.find("RWJ"), std::string::npos) << status.out;
    const Outcome without = opel("submit --site RWJ" + sitrep);
    EXPECT_EQ(without.status, 1) << without.out;
    EXPECT_NE(without.out.find("the escalator uses CURVE (escalatord.curve): give this client's "
                               "key pair with --curve-public-key FILE"),
              std::string::npos)
        << without.out;
    const Outcome half =
        opel("submit --site RWJ" + sitrep + " --curve-public-key " + (dir / "rwj.pub").string());
    EXPECT_NE(half.out.find("--curve-public-key and --curve-secret-key go together"),
              std::string::npos)
        << half.out;
    // check-config reads the key files the daemons will: a pair that is not one is named.
    const Outcome checked =
        run_shell(std::string(OPEL_COMMAND) + " check-config --config " + dir.string());
    EXPECT_EQ(checked.status, 0) << checked.out;
    EXPECT_NE(checked.out.find("curve      1 client keys may connect"), std::string::npos)
        << checked.out;
    fs::copy_file(dir / "rwj.pub", dir / "escalator.pub", fs::copy_options::overwrite_existing);
    const Outcome mismatched =
        run_shell(std::string(OPEL_COMMAND) + " check-config --config " + dir.string());
    EXPECT_EQ(mismatched.status, 1) << mismatched.out;
    EXPECT_NE(mismatched.out.find("escalatord.curve: " + (dir / "escalator.pub").string() +
                                  " is not the public key of " + (dir / "escalator.key").string()),
              std::string::npos)
        << mismatched.out;
    daemon.kill9();
    std::error_code ignored;
    fs::remove_all(dir, ignored);
}

// opel web-user, opel web-token and check-config's reading of the users file they feed.
TEST(WebAccessCommandsTest, MakeEntriesThatCheckConfigAcceptsAndRefuseBadInput) {
    const fs::path dir =
        fs::temp_directory_path() / ("opel-web-access-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir);
    const auto run = [](const std::string& command) {
        Outcome r;
        FILE* pipe = ::popen(("umask 000; " + command + " 2>&1").c_str(), "r");
        std::array<char, 4096> buffer{};
        while (pipe != nullptr && std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
            r.out += buffer.data();
        }
        r.status = pipe == nullptr ? -1 : WEXITSTATUS(::pclose(pipe));
        return r;
    };
    const std::string opel = OPEL_COMMAND;
    const Outcome user = run("echo 'a long enough passphrase' | " + opel +
                             " web-user --name 'Flow Lead' --role submitter --site RWJ");
    ASSERT_EQ(user.status, 0) << user.out;
    EXPECT_NE(user.out.find("users {\n  name: \"Flow Lead\"\n  role: WEB_ROLE_SUBMITTER\n"
                            "  password_hash: \"$argon2id$v=19$"),
              std::string::npos)
        << user.out;
    EXPECT_NE(user.out.find("  sites: \"RWJ\"\n}\n"), std::string::npos) << user.out;
    EXPECT_EQ(user.out.find("a long enough passphrase"), std::string::npos);
    const std::string token_file = (dir / "bi.token").string();
    const Outcome token = run("(" + opel + " web-token --name bi --site RWJ --token-file " +
                              token_file + " 2>/dev/null)");
    ASSERT_EQ(token.status, 0) << token.out;
    EXPECT_EQ(fs::status(token_file).permissions(), fs::perms::owner_read | fs::perms::owner_write);
    std::ifstream in(token_file);
    std::string secret;
    std::getline(in, secret);
    EXPECT_EQ(secret.size(), 64U);
    EXPECT_EQ(token.out.find(secret), std::string::npos);  // only its hash is printed
    // Refusals: a short password, sites for a viewer, a submitter without, an existing file.
    EXPECT_EQ(run("echo short | " + opel + " web-user --name a --role viewer").status, 2);
    EXPECT_EQ(run("echo 'long enough passphrase' | " + opel +
                  " web-user --name a --role viewer --site RWJ")
                  .status,
              2);
    EXPECT_EQ(run("echo 'long enough passphrase' | " + opel + " web-user --name a --role submitter")
                  .status,
              2);
    const Outcome again = run(opel + " web-token --name bi --site RWJ --token-file " + token_file);
    EXPECT_EQ(again.status, 1);
    EXPECT_NE(again.out.find("cannot create " + token_file), std::string::npos) << again.out;
    // The entries as a users file: check-config counts them; a bad one is named at its line.
    const fs::path test_config = OPEL_TEST_CONFIG;
    fs::create_directories(dir / "config");
    std::ofstream(dir / "config/users.textproto") << user.out << token.out;
    std::ofstream(dir / "config/opel.textproto")
        << "catalogue: \""
        << fs::canonical(test_config / "../../../config/catalogue.textproto").string()
        << "\"\ncards: \"" << (test_config / "cards/test-acute.textproto").string()
        << "\"\ntree: \"" << (test_config / "trees/test.textproto").string()
        << "\"\nwebd { users_file: \"users.textproto\" }\n";
    const Outcome checked = run(opel + " check-config --config " + (dir / "config").string());
    EXPECT_EQ(checked.status, 0) << checked.out;
    EXPECT_NE(checked.out.find("webd       1 users, 1 upload tokens"), std::string::npos)
        << checked.out;
    std::ofstream(dir / "config/users.textproto", std::ios::app)
        << "tokens { name: \"bi\" token_hash: \"x\" sites: \"RWJ\" }\n";
    const Outcome broken = run(opel + " check-config --config " + (dir / "config").string());
    EXPECT_EQ(broken.status, 1);
    EXPECT_NE(broken.out.find("users.textproto:12: tokens[1].name: 'bi' is named twice"),
              std::string::npos)
        << broken.out;
    std::error_code ignored;
    fs::remove_all(dir, ignored);
}

TEST_F(CliTest, HistoryExportsASitesAlertsResultsAndSitrepsAsCsv) {
    submit("RWJ", -50, false);
    submit("RWJ", -40, true);
    submit("RMC", -40, true);

    const Outcome events = run("history RWJ --kind events --csv");
    ASSERT_EQ(events.status, 0) << events.out;
    const auto event_lines = lines(events.out);
    ASSERT_EQ(event_lines.size(), 3U) << events.out;  // header, known, escalated
    EXPECT_EQ(event_lines[0], "sequence,at_utc,kind,node_id,path,transition_id,from,to,why");
    EXPECT_NE(event_lines[2].find(",escalated,RWJ,"), std::string::npos) << events.out;
    EXPECT_NE(event_lines[2].find(",OPEL 1,OPEL 4,"), std::string::npos) << events.out;

    const Outcome sitreps = run("history RWJ --kind sitreps --csv");
    ASSERT_EQ(sitreps.status, 0) << sitreps.out;
    const auto sitrep_lines = lines(sitreps.out);
    ASSERT_EQ(sitrep_lines.size(), 3U) << sitreps.out;
    EXPECT_EQ(sitrep_lines[0].rfind("site_id,as_at_utc,received_at_utc,status,submission_id,", 0),
              0U);
    EXPECT_EQ(sitrep_lines[1].rfind("RWJ," + at(-50) + "," + t0 + ",accepted,", 0), 0U)
        << sitreps.out;

    // A time range takes only what falls inside it (RWJ's second result, not its first).
    const Outcome results = run("history RWJ --from " + at(-45) + " --to " + at(-30) + " --csv");
    ASSERT_EQ(results.status, 0) << results.out;
    const auto result_lines = lines(results.out);
    ASSERT_EQ(result_lines.size(), 2U) << results.out;
    EXPECT_NE(result_lines[1].find("," + at(-40) + ",RWJ,"), std::string::npos) << results.out;
    EXPECT_NE(result_lines[1].find(",OPEL 4,"), std::string::npos) << results.out;
}

TEST_F(CliTest, HistoryRefusesABackwardsRangeAndAnUnknownNodeSayingWhy) {
    const Outcome backwards = run("history RWJ --from " + at(0) + " --to " + at(-60));
    EXPECT_EQ(backwards.status, 1);
    EXPECT_NE(backwards.out.find("query refused: to: before_from: to (" + at(-60) +
                                 ") is before from (" + at(0) + ")"),
              std::string::npos)
        << backwards.out;
    const Outcome unknown = run("history NOPE");
    EXPECT_EQ(unknown.status, 1);
    EXPECT_NE(unknown.out.find("query refused: node: unknown: no node with id or path 'NOPE'"),
              std::string::npos)
        << unknown.out;
}

// Acknowledgements and declarations end to end: through the command, stored before the
// reply, published, shown by status and history, idempotent across a kill -9.
TEST_F(CliTest, AckAndDeclareWorkEndToEndAndSurviveKill9) {
    submit("RWJ", -50, false);
    submit("RWJ", -40, true);  // escalates: the alert to acknowledge
    const std::uint64_t before = sequence();
    const Outcome status = run("status RWJ --json");
    const std::smatch found = [&status] {
        std::smatch m;
        std::regex_search(status.out, m, std::regex(R"re("transition_number":"?([0-9]+))re"));
        return m;
    }();
    ASSERT_FALSE(found.empty()) << status.out;
    const std::string transition = "RWJ#" + found[1].str();

    Outcome ack = run("ack " + transition + " --by 'Jane Smith' --note 'bed meeting at 09:00'");
    ASSERT_EQ(ack.status, 0) << ack.out;
    EXPECT_NE(ack.out.find("ACCEPTED"), std::string::npos) << ack.out;
    EXPECT_NE(ack.out.find(transition + " acknowledged by Jane Smith"), std::string::npos)
        << ack.out;
    const Outcome declared =
        run("declare --site RWJ --level 3 --reason staffing --by 'Dr Lee' "
            "--until " +
            at(600));
    ASSERT_EQ(declared.status, 0) << declared.out;
    EXPECT_NE(declared.out.find("OPEL 3 declared for RWJ by Dr Lee"), std::string::npos)
        << declared.out;

    // Refusals, with the reason; nothing stored for them.
    const Outcome unknown = run("ack RWJ#99 --by 'Jane Smith'");
    EXPECT_EQ(unknown.status, 1) << unknown.out;
    EXPECT_NE(unknown.out.find("unknown_transition"), std::string::npos) << unknown.out;
    const Outcome no_site = run("declare --site XYZ --level 3 --reason r --by b");
    EXPECT_EQ(no_site.status, 1) << no_site.out;
    EXPECT_NE(no_site.out.find("site_id: unknown_site"), std::string::npos) << no_site.out;
    EXPECT_EQ(run("declare --site RWJ --level 9 --reason r --by b").status, 2);
    EXPECT_EQ(run("ack " + transition).status, 2);  // no --by

    daemon_->kill9();
    ASSERT_TRUE(daemon_->start()) << daemon_->log();
    ack = run("ack " + transition + " --by Bob");
    ASSERT_EQ(ack.status, 0) << ack.out;
    EXPECT_NE(ack.out.find("DUPLICATE"), std::string::npos) << ack.out;
    EXPECT_NE(ack.out.find("acknowledged by Jane Smith"), std::string::npos) << ack.out;
    const Outcome shown = run("status RWJ");
    ASSERT_EQ(shown.status, 0) << shown.out;
    EXPECT_NE(shown.out.find("acknowledged: " + transition + " by Jane Smith"), std::string::npos)
        << shown.out;
    EXPECT_NE(shown.out.find("declared:   OPEL 3 (staffing) by Dr Lee"), std::string::npos)
        << shown.out;
    const Outcome history = run("history --kind events --node RWJ");
    ASSERT_EQ(history.status, 0) << history.out;
    EXPECT_NE(history.out.find("acknowledged " + transition + " by Jane Smith - bed meeting"),
              std::string::npos)
        << history.out;
    EXPECT_NE(history.out.find("declared RWJ OPEL 3 by Dr Lee"), std::string::npos) << history.out;
    // Published on alert/<path>: a watcher replaying the feed sees both, once each.
    const Outcome watched =
        run("watch --since " + std::to_string(before) + " --kind alert --json --seconds 3");
    EXPECT_EQ(watched.status, 0) << watched.out;
    const auto count = [&watched](const std::string& what) {
        std::size_t n = 0;
        for (auto at = watched.out.find(what); at != std::string::npos;
             at = watched.out.find(what, at + 1)) {
            ++n;
        }
        return n;
    };
    EXPECT_EQ(count("EVENT_KIND_ACKNOWLEDGED"), 1U) << watched.out;
    EXPECT_EQ(count("EVENT_KIND_DECLARED\""), 1U) << watched.out;
}

TEST_F(CliTest, AWatcherThatWasOfflineGetsTheEscalationWithSince) {
    submit("RWJ", -50, false);
    const std::uint64_t before = sequence();
    submit("RWJ", -40, true);  // escalates to OPEL 4 while nobody watches
    const Outcome watched =
        run("watch --since " + std::to_string(before) + " --kind alert --count 1 --json");
    ASSERT_EQ(watched.status, 0) << watched.out;
    EXPECT_NE(watched.out.find("\"kind\":\"EVENT_KIND_ESCALATED\""), std::string::npos)
        << watched.out;
    EXPECT_NE(watched.out.find("\"node_id\":\"RWJ\""), std::string::npos) << watched.out;
    EXPECT_EQ(watched.out.find("snapshot"), std::string::npos) << watched.out;

    // The same by time.
    const Outcome by_time = run("watch --since " + at(-45) + " --kind alert --count 1 --json");
    ASSERT_EQ(by_time.status, 0) << by_time.out;
    EXPECT_NE(by_time.out.find("EVENT_KIND_ESCALATED"), std::string::npos) << by_time.out;
}

// Publications racing the seam between the store and the live feed: every sequence number
// after --since is printed exactly once, in order.
TEST_F(CliTest, WatchSinceHasNoGapAndNoDuplicateAtTheSeam) {
    submit("RWJ", -60, false);
    const std::uint64_t since = sequence();
    submit("RWJ", -59, true);
    FILE* pipe = ::popen(("sh -c 'echo $$; exec " +
                          command("watch --since " + std::to_string(since) + " --json") + "'")
                             .c_str(),
                         "r");
    ASSERT_NE(pipe, nullptr);
    std::array<char, 65536> buffer{};
    ASSERT_NE(std::fgets(buffer.data(), buffer.size(), pipe), nullptr);
    const pid_t watcher = std::stoi(buffer.data());
    // Sitreps keep coming while the watcher joins the feed and reads the store, until it has
    // printed 40 updates: some are both in its store read and in its live buffer.
    std::atomic<bool> enough{false};
    std::thread sender([&] {
        zmq::context_t context;
        net::RequestClient client(context, daemon_->submit_endpoint());
        for (int i = 0; i < 2000 && !enough; ++i) {
            (void)client.request(
                request(i % 2 == 0 ? "RMC" : "RWJ",
                        format_utc(*parse_rfc3339(t0) - 3500s + std::chrono::seconds(i)),
                        5 + i % 70, 5 + i % 20),
                10s, 0);
        }
    });
    // Reads the sequence numbers the watcher prints until `done`.
    std::vector<std::uint64_t> seen;
    const auto read_until = [&](const std::function<bool()>& done) {
        while (!done() && std::fgets(buffer.data(), buffer.size(), pipe) != nullptr) {
            const std::string line = buffer.data();
            if (line.rfind("{\"sequence\":", 0) == 0) {
                seen.push_back(std::stoull(line.substr(12)));
            }
        }
    };
    const auto read_to = [&](std::uint64_t last) {
        read_until([&] { return !seen.empty() && seen.back() >= last; });
    };
    read_until([&] { return seen.size() >= 40; });
    enough = true;
    sender.join();
    read_to(sequence());
    // Then live only: anything the watcher had buffered from before its catch-up that it
    // printed again would come before these.
    submit("RWJ", -30, true);
    const std::uint64_t last = sequence();
    read_to(last);
    ::kill(watcher, SIGTERM);
    ::pclose(pipe);
    std::vector<std::uint64_t> expected;
    for (std::uint64_t s = since + 1; s <= last; ++s) {
        expected.push_back(s);
    }
    EXPECT_EQ(seen, expected);
}

// A card author tries a stricter OPEL 4 on the stored history: the same configuration
// changes nothing, the changed one moves RWJ's OPEL 4 sitrep to OPEL 3 and its hours with it.
TEST_F(CliTest, ReplayShowsWhatAChangedCardWouldHaveDone) {
    submit("RWJ", -50, false);
    submit("RWJ", -40, true);
    submit("RMC", -40, false);
    const std::string database = " --database " + (dir_ / "opel.db").string();
    const std::string opel = std::string("timeout 60 ") + OPEL_COMMAND + " replay";

    const Outcome same = run_raw(opel + " --config " + OPEL_TEST_CONFIG + database);
    ASSERT_EQ(same.status, 0) << same.out;
    EXPECT_NE(same.out.find("3 sitreps replayed; 0 would be at another level"), std::string::npos)
        << same.out;

    // The test configuration, with OPEL 4 needing a handover of 80 minutes and a total of 8.
    const fs::path config = dir_ / "config";
    fs::create_directories(config / "cards");
    const std::string original = OPEL_TEST_CONFIG;
    std::ofstream(config / "opel.textproto")
        << "catalogue: \"" << original << "/../../../config/catalogue.textproto\"\n"
        << "cards: \"cards/test-acute.textproto\"\n"
        << "tree: \"" << original << "/trees/test.textproto\"\n";
    std::ifstream card_in(original + "/cards/test-acute.textproto");
    std::string card((std::istreambuf_iterator<char>(card_in)), std::istreambuf_iterator<char>());
    for (const auto& [from, to] :
         {std::pair{std::string("opel4: 60 }"), std::string("opel4: 80 }")},
          {std::string("opel4: 7 }"), std::string("opel4: 8 }")}}) {
        const auto at_pos = card.find(from);
        ASSERT_NE(at_pos, std::string::npos) << from;
        card.replace(at_pos, from.size(), to);
    }
    std::ofstream(config / "cards" / "test-acute.textproto") << card;

    const Outcome changed = run_raw(opel + " --config " + config.string() + database);
    ASSERT_EQ(changed.status, 0) << changed.out;
    EXPECT_NE(changed.out.find("3 sitreps replayed; 1 would be at another level:\n  RWJ       " +
                               at(-40) + "  OPEL 4 -> OPEL 3"),
              std::string::npos)
        << changed.out;

    const Outcome csv =
        run_raw(opel + " --config " + config.string() + database + " --node RWJ --csv");
    ASSERT_EQ(csv.status, 0) << csv.out;
    const auto rows = lines(csv.out);
    ASSERT_EQ(rows.size(), 3U) << csv.out;  // header, stored, new
    EXPECT_EQ(rows[1].rfind("RWJ,national/", 0), 0U) << csv.out;
    EXPECT_NE(rows[1].find(",stored,"), std::string::npos) << csv.out;
    EXPECT_NE(rows[2].find(",new,"), std::string::npos) << csv.out;
    // Stored: escalated once (1 -> 4) and reached OPEL 4; new: 1 -> 3, never OPEL 4.
    EXPECT_NE(rows[1].find(",1,0," + at(-40) + ","), std::string::npos) << csv.out;
    EXPECT_NE(rows[2].find(",1,0,,"), std::string::npos) << csv.out;
}

// A backup taken while sitreps keep coming holds every sitrep acknowledged before it started,
// and a daemon restored from it starts and serves.
TEST_F(CliTest, ABackupTakenDuringIngestRestoresEveryAcknowledgedSitrep) {
    std::mutex mutex;
    std::condition_variable more;
    std::vector<std::string> acknowledged;
    std::atomic<bool> stop{false};
    std::thread sender([&] {
        zmq::context_t context;
        net::RequestClient client(context, daemon_->submit_endpoint());
        for (int i = 0; i < 5000 && !stop; ++i) {
            const auto answer = client.request(
                request(i % 2 == 0 ? "RMC" : "RWJ",
                        format_utc(*parse_rfc3339(t0) - 3500s + std::chrono::seconds(i)),
                        5 + i % 70, 5 + i % 20),
                10s, 0);
            v1::SubmitReply reply;
            if (answer && reply.ParseFromString(*answer) &&
                reply.status() == v1::SUBMIT_STATUS_ACCEPTED) {
                const std::lock_guard lock(mutex);
                acknowledged.push_back(reply.submission_id());
                more.notify_all();
            }
        }
    });
    const std::vector<std::string> before = [&] {
        std::unique_lock lock(mutex);
        more.wait_for(lock, 30s, [&] { return acknowledged.size() >= 50; });
        return acknowledged;
    }();
    const fs::path copy = dir_ / "backup.db";
    const Outcome backed_up = run_raw(std::string("timeout 60 ") + OPEL_COMMAND + " backup --to " +
                                      copy.string() + " --database " + (dir_ / "opel.db").string());
    stop = true;
    sender.join();
    ASSERT_EQ(backed_up.status, 0) << backed_up.out;
    EXPECT_NE(backed_up.out.find("backed up "), std::string::npos) << backed_up.out;
    ASSERT_GE(before.size(), 50U);

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(copy.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* find = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM sitreps WHERE submission_id = ?", -1, &find,
                       nullptr);
    std::size_t missing = 0;
    for (const std::string& id : before) {
        sqlite3_bind_text(find, 1, id.c_str(), -1, SQLITE_TRANSIENT);
        missing += sqlite3_step(find) == SQLITE_ROW && sqlite3_column_int64(find, 0) == 1 ? 0 : 1;
        sqlite3_reset(find);
    }
    sqlite3_finalize(find);
    sqlite3_close(db);
    EXPECT_EQ(missing, 0U) << "of " << before.size() << " acknowledged before the backup";

    // Restored: a daemon on the copy starts (its integrity check passes) and answers.
    const fs::path restored_dir = dir_ / "restored";
    fs::create_directories(restored_dir);
    testing::Daemon restored(restored_dir, {"--database", copy.string(), "--clock-start", t0});
    ASSERT_TRUE(restored.start()) << restored.log();
    EXPECT_NE(restored.log().find("sitreps stored"), std::string::npos) << restored.log();
    // Refused: an existing file is never overwritten.
    const Outcome again = run_raw(std::string("timeout 60 ") + OPEL_COMMAND + " backup --to " +
                                  copy.string() + " --database " + (dir_ / "opel.db").string());
    EXPECT_EQ(again.status, 1);
    EXPECT_NE(again.out.find("exists"), std::string::npos) << again.out;
    restored.kill9();
}

TEST_F(CliTest, StatusNamesTheConfigurationAndHistoryShowsItsReload) {
    submit("RWJ", -50, false);
    const Outcome status = run("status --brief");
    ASSERT_EQ(status.status, 0) << status.out;
    std::smatch named;
    ASSERT_TRUE(std::regex_search(status.out, named,
                                  std::regex("status at sequence [0-9]+, configuration "
                                             "([0-9a-f]{16}):")))
        << status.out;
    const std::string hash = named[1];
    const Outcome json = run("status --json");
    ASSERT_EQ(json.status, 0) << json.out;
    EXPECT_NE(json.out.find(hash), std::string::npos) << json.out;

    // SIGHUP with the same files: the same configuration, announced and stored as an event.
    ASSERT_TRUE(daemon_->reload());
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    Outcome events;
    do {
        events = run("history national --kind events --csv");
    } while (events.out.find(",config_reloaded,national,") == std::string::npos &&
             std::chrono::steady_clock::now() < deadline);
    EXPECT_NE(events.out.find(",config_reloaded,national,"), std::string::npos) << events.out;
    const Outcome again = run("status --brief");
    EXPECT_NE(again.out.find("configuration " + hash + ":"), std::string::npos) << again.out;
}

TEST_F(CliTest, TheQueryEndpointFollowsAReloadedTree) {
    // A daemon on an editable copy of the test configuration (the catalogue by absolute path).
    daemon_->kill9();
    const fs::path config = dir_ / "config";
    fs::copy(OPEL_TEST_CONFIG, config, fs::copy_options::recursive);
    const std::string relative = "../../../config/catalogue.textproto";
    const auto edit = [](const fs::path& file, const std::string& from, const std::string& to) {
        std::ifstream in(file);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        text.replace(text.find(from), from.size(), to);
        std::ofstream(file, std::ios::trunc) << text;
    };
    edit(config / "opel.textproto", relative,
         fs::canonical(fs::path(OPEL_TEST_CONFIG) / relative).string());
    daemon_ = std::make_unique<testing::Daemon>(
        dir_, std::vector<std::string>{"--clock-start", t0, "--config", config.string()});
    ASSERT_TRUE(daemon_->start()) << daemon_->log();
    EXPECT_EQ(run("history RXX --kind events").status, 1);  // not configured yet

    edit(config / "trees" / "test.textproto", "nodes { id: \"RMC\"",
         "nodes { id: \"RXX\" kind: NODE_KIND_SITE parent: \"stockport\" provider_type: "
         "PROVIDER_TYPE_ACUTE }\nnodes { id: \"RMC\"");
    ASSERT_TRUE(daemon_->reload());
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    Outcome known;
    do {
        known = run("history RXX --kind events");
    } while (known.status != 0 && std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(known.status, 0) << known.out;
}

}  // namespace
}  // namespace opel

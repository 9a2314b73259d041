#include "adapters/options/options.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace opel::options {
namespace {

constexpr const char* help = "usage: prog [--n N]\n\nA test program.\n";

// Sets an environment variable for one test and restores the old value afterwards.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) {
            old_ = old;
        }
        ::setenv(name, value, 1);
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(ParseWholeTest, AcceptsNumbersInRange) {
    EXPECT_EQ(parse_whole("1", {1, 86400, "seconds"}).value(), 1);
    EXPECT_EQ(parse_whole("86400", {1, 86400, "seconds"}).value(), 86400);
}

TEST(ParseWholeTest, NamesValueUnitAndRangeWhenOutOfRange) {
    const auto r = parse_whole("0", {1, 86400, "seconds"});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "'0' is not a whole number of seconds from 1 to 86400");
    EXPECT_FALSE(parse_whole("86401", {1, 86400, "seconds"}));
}

TEST(ParseWholeTest, RejectsWhatIsNotAWholeNumber) {
    for (const char* bad : {"", "5x", "1.5", " 3", "99999999999999999999999", "seconds"}) {
        EXPECT_FALSE(parse_whole(bad, {0, 100, ""})) << bad;
    }
    EXPECT_EQ(parse_whole("5x", {0, 100, ""}).error(), "'5x' is not a whole number from 0 to 100");
}

TEST(ParseNumberTest, ChecksRangeAndSyntax) {
    EXPECT_DOUBLE_EQ(parse_number("2.5", 1, 100000).value(), 2.5);
    EXPECT_EQ(parse_number("0.5", 1, 100000).error(), "'0.5' is not a number from 1 to 100000");
    EXPECT_FALSE(parse_number("nan", 1, 100000));
    EXPECT_FALSE(parse_number("inf", 1, 1e300));
    EXPECT_FALSE(parse_number("", 1, 2));
}

TEST(ParseTimeTest, AcceptsRfc3339Only) {
    EXPECT_TRUE(parse_time("2026-01-06T08:00:00Z"));
    EXPECT_EQ(parse_time("yesterday").error(),
              "'yesterday' is not an RFC 3339 time such as 2026-01-06T08:00:00Z");
}

TEST(ParseChoiceTest, ListsTheChoices) {
    EXPECT_EQ(parse_choice("csv", {"jsonl", "csv"}).value(), "csv");
    EXPECT_EQ(parse_choice("xml", {"jsonl", "csv"}).error(), "'xml' is not jsonl or csv");
    EXPECT_EQ(parse_choice("x", {"a", "b", "c"}).error(), "'x' is not a, b or c");
}

TEST(CommandLineTest, BindsValuesInBothSpellings) {
    CommandLine cl("prog", help);
    std::optional<long> n;
    std::optional<std::string> name;
    bool json = false;
    std::vector<std::string> rest;
    cl.whole("--n", n, {1, 10, ""});
    cl.text("--name", name);
    cl.flag("--json", json);
    cl.positionals(rest);
    EXPECT_FALSE(cl.parse({"--n", "3", "--name=x", "--json", "a", "-"}));
    EXPECT_EQ(n, 3);
    EXPECT_EQ(name, "x");
    EXPECT_TRUE(json);
    EXPECT_EQ(rest, (std::vector<std::string>{"a", "-"}));
}

TEST(CommandLineTest, LeavesUnsetFlagsEmpty) {
    CommandLine cl("prog", help);
    std::optional<long> n;
    cl.whole("--n", n, {1, 10, ""});
    EXPECT_FALSE(cl.parse({}));
    EXPECT_FALSE(n);
}

TEST(CommandLineTest, LastOfARepeatedFlagWins) {
    CommandLine cl("prog", help);
    std::optional<long> n;
    std::optional<std::string> config;
    cl.whole("--n", n, {1, 10, ""});
    cl.config(config);
    EXPECT_FALSE(cl.parse({"--n", "3", "--config", "a", "--n=4", "--config", "b"}));
    EXPECT_EQ(n, 4);
    EXPECT_EQ(config, "b");
}

TEST(CommandLineTest, RepeatedTextsKeepTheirOrder) {
    CommandLine cl("prog", help);
    std::vector<std::string> measures;
    std::vector<std::string> rest;
    cl.texts("--measure", measures);
    cl.positionals(rest);
    EXPECT_FALSE(cl.parse({"--measure", "a=1", "--measure", "b=-2", "file"}));
    EXPECT_EQ(measures, (std::vector<std::string>{"a=1", "b=-2"}));
    EXPECT_EQ(rest, (std::vector<std::string>{"file"}));
}

TEST(CommandLineTest, BadNumberIsAUsageErrorNamingFlagValueAndRange) {
    CommandLine cl("prog", help);
    std::optional<long> n;
    cl.whole("--heartbeat-seconds", n, {1, 86400, "seconds"});
    const auto stop = cl.parse({"--heartbeat-seconds", "0"});
    ASSERT_TRUE(stop);
    EXPECT_EQ(stop->exit_code, exit_usage);
    EXPECT_EQ(stop->text,
              "prog: --heartbeat-seconds: '0' is not a whole number of seconds from 1 to 86400\n"
              "\nusage: prog [--n N]\n`prog --help` for more.\n");
    EXPECT_FALSE(n);
}

TEST(CommandLineTest, NegativeNumberIsAValueNotAnOption) {
    CommandLine cl("prog", help);
    std::optional<long> n;
    cl.whole("--retries", n, {0, 100, ""});
    const auto stop = cl.parse({"--retries", "-1"});
    ASSERT_TRUE(stop);
    EXPECT_NE(stop->text.find("--retries: '-1' is not a whole number from 0 to 100"),
              std::string::npos)
        << stop->text;
}

TEST(CommandLineTest, UnknownFlagIsAUsageError) {
    CommandLine cl("prog", help);
    bool json = false;
    cl.flag("--json", json);
    for (const char* bad : {"--bogus", "-x", "--bogus=3"}) {
        const auto stop = cl.parse({bad});
        ASSERT_TRUE(stop) << bad;
        EXPECT_EQ(stop->exit_code, exit_usage);
        EXPECT_EQ(
            stop->text.rfind(std::string("prog: unknown option ") +
                                 std::string(bad).substr(0, std::string(bad).find('=')) + "\n",
                             0),
            0U)
            << stop->text;
    }
}

TEST(CommandLineTest, ArgumentWithoutPositionalsIsAUsageError) {
    CommandLine cl("prog", help);
    const auto stop = cl.parse({"RWJ"});
    ASSERT_TRUE(stop);
    EXPECT_EQ(stop->exit_code, exit_usage);
    EXPECT_EQ(stop->text.rfind("prog: unexpected argument 'RWJ'\n", 0), 0U);
}

TEST(CommandLineTest, MissingValueIsAUsageError) {
    CommandLine cl("prog", help);
    std::optional<std::string> site;
    cl.text("--site", site);
    const auto stop = cl.parse({"--site"});
    ASSERT_TRUE(stop);
    EXPECT_EQ(stop->exit_code, exit_usage);
    EXPECT_EQ(stop->text.rfind("prog: --site: needs a value\n", 0), 0U) << stop->text;
}

TEST(CommandLineTest, HelpPrintsTheWholeTextAndWinsOverErrors) {
    for (const char* h : {"-h", "--help"}) {
        CommandLine cl("prog", help);
        std::optional<long> n;
        cl.whole("--n", n, {1, 10, ""});
        const auto stop = cl.parse({"--bogus", h, "--n", "0"});
        ASSERT_TRUE(stop) << h;
        EXPECT_EQ(stop->exit_code, exit_ok);
        EXPECT_EQ(stop->text, help);
    }
}

TEST(CommandLineTest, VersionPrintsTheProjectVersion) {
    CommandLine cl("prog", help);
    const auto stop = cl.parse({"--version"});
    ASSERT_TRUE(stop);
    EXPECT_EQ(stop->exit_code, exit_ok);
    EXPECT_EQ(stop->text, std::string("opel ") + OPEL_VERSION + "\n");
    EXPECT_EQ(version(), std::string("opel ") + OPEL_VERSION);
}

TEST(CommandLineTest, UsageErrorEndsWithTheUsageHint) {
    const CommandLine cl("opel x", "usage: opel x A\n       opel x B\n\nmore\n");
    EXPECT_EQ(cl.usage_error("give one").text,
              "opel x: give one\n\nusage: opel x A\n       opel x B\n`opel x --help` for more.\n");
}

TEST(EnvironmentTest, FlagBeatsEnvironmentBeatsConfiguration) {
    const ScopedEnv submit("OPEL_SUBMIT_ENDPOINT", "ipc://env-submit");
    const ScopedEnv publish("OPEL_PUBLISH_ENDPOINT", "ipc://env-publish");
    const ScopedEnv snapshot("OPEL_SNAPSHOT_ENDPOINT", "");  // empty: not set
    CommandLine cl("prog", help);
    Endpoints endpoints;
    cl.endpoints(endpoints);
    ASSERT_FALSE(cl.parse({"--submit-endpoint", "ipc://flag-submit"}));
    EXPECT_EQ(endpoints.submit, "ipc://flag-submit");
    EXPECT_EQ(endpoints.publish, "ipc://env-publish");
    EXPECT_FALSE(endpoints.snapshot);
    EXPECT_FALSE(endpoints.complete());
    config::EscalatordSettings file;
    file.snapshot_endpoint = "ipc://file-snapshot";
    const config::EscalatordSettings s = with_endpoints(file, endpoints);
    EXPECT_EQ(s.submit_endpoint, "ipc://flag-submit");
    EXPECT_EQ(s.publish_endpoint, "ipc://env-publish");
    EXPECT_EQ(s.snapshot_endpoint, "ipc://file-snapshot");
}

TEST(EnvironmentTest, ConfigFlagBeatsEnvironmentBeatsShipped) {
    {
        const ScopedEnv env("OPEL_CONFIG", "/from/env");
        CommandLine cl("prog", help);
        std::optional<std::string> config;
        cl.config(config);
        ASSERT_FALSE(cl.parse({}));
        EXPECT_EQ(config_path(config), "/from/env");
        EXPECT_EQ(config_path(std::string("/from/flag")), "/from/flag");
    }
    const ScopedEnv empty("OPEL_CONFIG", "");
    EXPECT_EQ(config_path(std::nullopt), OPEL_DEFAULT_CONFIG);
}

}  // namespace
}  // namespace opel::options

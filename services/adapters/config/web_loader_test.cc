// opel-webd's users and tokens file: converted, and every problem named at its file:line
// with the field.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "adapters/config/loader.h"

namespace opel::config {
namespace {

namespace fs = std::filesystem;

// A hash in crypto_pwhash_str's form (the loader checks the form; webd verifies).
constexpr const char* hash =
    "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
    "Lb3/cW4mN6cFx5m0Fh2i6Sy9m5D4k2QYpV8e7o3Zc0E";
const std::string token_hash(64, 'a');

class WebLoaderTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("opel-web-loader-test-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        auto loaded = load_config(fs::path(OPEL_SOURCE_DIR) / "config");
        ASSERT_TRUE(loaded.has_value());
        model_ = std::make_unique<engine::Model>(loaded->engine);
    }
    void TearDown() override { fs::remove_all(dir_); }

    Result<WebAccess, std::vector<ConfigError>> load(const std::string& text) {
        std::ofstream(dir_ / "users.textproto") << text;
        return load_web_access(dir_ / "users.textproto", *model_);
    }
    std::vector<std::string> errors(const std::string& text) {
        std::vector<std::string> out;
        auto access = load(text);
        if (!access) {
            for (const ConfigError& e : access.error()) {
                const std::string s = e.to_string();
                out.push_back(s.substr(s.find("users.textproto")));
            }
        }
        return out;
    }

    fs::path dir_;
    std::unique_ptr<engine::Model> model_;
};

TEST_F(WebLoaderTest, UsersAndTokensAreReadWithTheirRolesAndSites) {
    auto access =
        load(std::string("users { name: \"Dr A Patel\" role: WEB_ROLE_ACKNOWLEDGER "
                         "password_hash: \"") +
             hash +
             "\" }\n"
             "users { name: \"rwj-flow\" role: WEB_ROLE_SUBMITTER password_hash: \"" +
             hash + "\" sites: \"RWJ\" }\n" + "tokens { name: \"stockport-bi\" token_hash: \"" +
             token_hash + "\" sites: \"RWJ\" sites: \"RMC\" }\n");
    ASSERT_TRUE(access.has_value()) << access.error()[0].to_string();
    ASSERT_EQ(access->users.size(), 2U);
    EXPECT_EQ(access->users[0].name, "Dr A Patel");
    EXPECT_EQ(access->users[0].role, WebRole::acknowledger);
    EXPECT_EQ(access->users[0].password_hash, hash);
    EXPECT_EQ(access->users[1].role, WebRole::submitter);
    EXPECT_EQ(access->users[1].sites, std::vector<std::string>{"RWJ"});
    ASSERT_EQ(access->tokens.size(), 1U);
    EXPECT_EQ(access->tokens[0].token_hash, token_hash);
    EXPECT_EQ(access->tokens[0].sites, (std::vector<std::string>{"RWJ", "RMC"}));
}

TEST_F(WebLoaderTest, EveryProblemIsNamedAtItsLine) {
    const std::string text =
        std::string("users { name: \"a\" password_hash: \"") + hash +
        "\" }\n"                                                                  // 1: no role
        "users { name: \"a\" role: WEB_ROLE_VIEWER password_hash: \"plain\" }\n"  // 2
        "users { name: \"s\" role: WEB_ROLE_SUBMITTER password_hash: \"" +
        hash +
        "\" }\n"  // 3: no sites
        "users { name: \" v\" role: WEB_ROLE_VIEWER password_hash: \"" +
        hash + "\" sites: \"RWJ\" }\n" +                                                // 4
        "tokens { name: \"t\" token_hash: \"ABC\" sites: \"QOP\" sites: \"NOPE\" }\n";  // 5
    EXPECT_EQ(errors(text),
              (std::vector<std::string>{
                  "users.textproto:1: users[0].role: a role is required: WEB_ROLE_VIEWER, "
                  "WEB_ROLE_ACKNOWLEDGER or WEB_ROLE_SUBMITTER",
                  "users.textproto:2: users[1].name: 'a' is named twice (users and tokens share "
                  "names)",
                  "users.textproto:2: users[1].password_hash: not a crypto_pwhash_str hash "
                  "(\"$argon2id$v=19$...\"; make one with opel web-user)",
                  "users.textproto:3: users[2].sites: user 's' needs at least one site it may "
                  "upload for",
                  "users.textproto:4: users[3].name: ' v' is not a name: printable ASCII, no "
                  "spaces at either end, at most 100 characters",
                  "users.textproto:4: users[3].sites: user ' v' uploads nothing, so has no sites "
                  "(make it a submitter)",
                  "users.textproto:5: tokens[0].token_hash: not a token hash (64 lowercase hex "
                  "digits, BLAKE2b-256; make one with opel web-token)",
                  "users.textproto:5: tokens[0].sites[0]: 'QOP' is not a site (a system)",
                  "users.textproto:5: tokens[0].sites[1]: 'NOPE' is not in the tree",
              }));
}

TEST_F(WebLoaderTest, AnEmptyFileOrAnUnknownFieldIsRefused) {
    EXPECT_EQ(errors(""),
              std::vector<std::string>{
                  "users.textproto:1: users: no users and no tokens: nobody could use the "
                  "wallboard"});
    const auto unknown = errors("user { name: \"a\" }\n");
    ASSERT_EQ(unknown.size(), 1U);
    EXPECT_NE(unknown[0].find("users.textproto:1"), std::string::npos) << unknown[0];
    EXPECT_NE(unknown[0].find("user"), std::string::npos) << unknown[0];
}

}  // namespace
}  // namespace opel::config

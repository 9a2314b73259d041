// Logins, sessions, upload tokens and the roles' rights: every role against every action,
// sessions with the time passed in, tokens by their hash.
#include "webd/access.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "adapters/secrets/secrets.h"

namespace opel::webd {
namespace {

using secrets::hash_password;
using secrets::hash_token;
using secrets::new_secret;
using secrets::verify_password;

using config::WebRole;
using namespace std::chrono_literals;

const TimePoint t0{Duration{1767225600}};  // 2026-01-01T00:00:00Z

class AccessTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }

    static config::WebAccess users() {
        config::WebAccess a;
        a.users.push_back({"viewer", WebRole::viewer, "$argon2id$v", {}});
        a.users.push_back({"Dr A Patel", WebRole::acknowledger, "$argon2id$a", {}});
        a.users.push_back({"rwj-flow", WebRole::submitter, "$argon2id$s", {"RWJ"}});
        a.tokens.push_back({"stockport-bi", hash_token("the-token"), {"RWJ", "RMC"}});
        return a;
    }
};

TEST_F(AccessTest, EachRoleMayDoWhatItsNameSaysAndNoMore) {
    const Principal viewer{"v", WebRole::viewer, {}, false};
    const Principal acknowledger{"a", WebRole::acknowledger, {}, false};
    const Principal submitter{"s", WebRole::submitter, {"RWJ"}, false};
    const Principal token{"t", WebRole::submitter, {"RWJ"}, true};
    EXPECT_TRUE(allowed(viewer, Action::read));
    EXPECT_FALSE(allowed(viewer, Action::acknowledge));
    EXPECT_FALSE(allowed(viewer, Action::upload));
    EXPECT_TRUE(allowed(acknowledger, Action::read));
    EXPECT_TRUE(allowed(acknowledger, Action::acknowledge));
    EXPECT_FALSE(allowed(acknowledger, Action::upload));
    EXPECT_TRUE(allowed(submitter, Action::read));
    EXPECT_FALSE(allowed(submitter, Action::acknowledge));
    EXPECT_TRUE(allowed(submitter, Action::upload));
    EXPECT_FALSE(allowed(token, Action::read));  // a token uploads, nothing else
    EXPECT_FALSE(allowed(token, Action::acknowledge));
    EXPECT_TRUE(allowed(token, Action::upload));
    EXPECT_TRUE(may_upload_for(submitter, "RWJ"));
    EXPECT_FALSE(may_upload_for(submitter, "RMC"));
    EXPECT_TRUE(may_upload_for(token, "RWJ"));
    EXPECT_FALSE(may_upload_for(Principal{"v", WebRole::viewer, {"RWJ"}, false}, "RWJ"));
}

TEST_F(AccessTest, APasswordMatchesItsHashAndNoOther) {
    const std::string hash = hash_password("correct horse battery staple");
    EXPECT_EQ(hash.rfind("$argon2id$", 0), 0U) << hash;
    EXPECT_TRUE(verify_password(hash, "correct horse battery staple"));
    EXPECT_FALSE(verify_password(hash, "correct horse battery stapl"));
    EXPECT_FALSE(verify_password(hash, ""));
    EXPECT_FALSE(verify_password("not a hash", "correct horse battery staple"));
    EXPECT_NE(hash_password("correct horse battery staple"), hash);  // salted
}

TEST_F(AccessTest, TokensHashWithBlake2bAndSecretsAreFreshHex) {
    // BLAKE2b-256 of the empty string (RFC 7693's algorithm, 32-byte digest).
    EXPECT_EQ(hash_token(""), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
    EXPECT_EQ(hash_token("abc"), hash_token("abc"));
    EXPECT_NE(hash_token("abc"), hash_token("abd"));
    const std::string a = new_secret();
    EXPECT_EQ(a.size(), 64U);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(new_secret(), a);
}

TEST_F(AccessTest, CookieAndBearerHeadersAreRead) {
    EXPECT_EQ(cookie_value("opel_session=abc", "opel_session"), "abc");
    EXPECT_EQ(cookie_value("a=1; opel_session=abc; b=2", "opel_session"), "abc");
    EXPECT_EQ(cookie_value("a=1;opel_session=abc", "opel_session"), "abc");
    EXPECT_EQ(cookie_value("xopel_session=abc", "opel_session"), std::nullopt);
    EXPECT_EQ(cookie_value("", "opel_session"), std::nullopt);
    EXPECT_EQ(bearer_token("Bearer abc"), "abc");
    EXPECT_EQ(bearer_token("bearer abc "), "abc");
    EXPECT_EQ(bearer_token("Bearer "), std::nullopt);
    EXPECT_EQ(bearer_token("Basic YTpi"), std::nullopt);
    EXPECT_EQ(bearer_token(""), std::nullopt);
}

TEST_F(AccessTest, ASessionLastsWhileUsedAndEndsAfterItsIdleTime) {
    Access access(users(), 12h);
    EXPECT_EQ(access.open_session("nobody", t0), std::nullopt);
    const auto id = access.open_session("Dr A Patel", t0);
    ASSERT_TRUE(id);
    auto who = access.session(*id, t0 + 11h);
    ASSERT_TRUE(who);
    EXPECT_EQ(who->name, "Dr A Patel");
    EXPECT_EQ(who->role, WebRole::acknowledger);
    EXPECT_TRUE(access.session(*id, t0 + 22h));  // 11 h after its last use
    EXPECT_FALSE(access.session(*id, t0 + 34h + 1s));
    EXPECT_FALSE(access.session(*id, t0 + 22h));  // ended, not revived
    EXPECT_EQ(access.sessions(), 0U);
    EXPECT_FALSE(access.session("made-up", t0));
}

TEST_F(AccessTest, LoggingOutEndsOnlyThatSession) {
    Access access(users(), 12h);
    const auto first = access.open_session("viewer", t0);
    const auto second = access.open_session("viewer", t0);
    ASSERT_TRUE(first && second);
    EXPECT_NE(*first, *second);
    access.close_session(*first);
    EXPECT_FALSE(access.session(*first, t0));
    EXPECT_TRUE(access.session(*second, t0));
}

TEST_F(AccessTest, BeyondTheLimitTheLeastRecentlyUsedSessionEnds) {
    Access access(users(), 12h, 2);
    const auto a = access.open_session("viewer", t0);
    const auto b = access.open_session("viewer", t0 + 1s);
    ASSERT_TRUE(access.session(*a, t0 + 2s));  // a used last
    const auto c = access.open_session("viewer", t0 + 3s);
    EXPECT_EQ(access.sessions(), 2U);
    EXPECT_TRUE(access.session(*a, t0 + 4s));
    EXPECT_FALSE(access.session(*b, t0 + 4s));
    EXPECT_TRUE(access.session(*c, t0 + 4s));
}

TEST_F(AccessTest, ReloadingEndsTheSessionsOfRemovedOrChangedUsers) {
    Access access(users(), 12h);
    const auto kept = access.open_session("viewer", t0);
    const auto removed = access.open_session("Dr A Patel", t0);
    const auto changed = access.open_session("rwj-flow", t0);
    config::WebAccess next = users();
    next.users.erase(next.users.begin() + 1);
    next.users[1].sites = {"RWJ", "RMC"};
    access.replace(next);
    EXPECT_TRUE(access.session(*kept, t0));
    EXPECT_FALSE(access.session(*removed, t0));
    EXPECT_FALSE(access.session(*changed, t0));
    EXPECT_EQ(access.password_hash("Dr A Patel"), std::nullopt);
    EXPECT_EQ(access.password_hash("viewer"), "$argon2id$v");
}

TEST_F(AccessTest, ATokenIsKnownByItsHashAndUploadsForItsSites) {
    Access access(users(), 12h);
    const auto holder = access.token("the-token");
    ASSERT_TRUE(holder);
    EXPECT_EQ(holder->name, "stockport-bi");
    EXPECT_TRUE(holder->token);
    EXPECT_TRUE(may_upload_for(*holder, "RMC"));
    EXPECT_FALSE(may_upload_for(*holder, "RRF"));
    EXPECT_FALSE(access.token("the-token "));
    EXPECT_FALSE(access.token(""));
}

}  // namespace
}  // namespace opel::webd

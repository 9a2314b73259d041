#include "escalatord/scope.h"

#include <gtest/gtest.h>

#include "support/engine_fixtures.h"

namespace opel::escalatord {
namespace {

using Topics = std::vector<std::string>;

// The small tree: national/region/ICS/{loc/{S1,S2}, loc2/S3}.
class ScopeTest : public ::testing::Test {
protected:
    ScopeTest() : model_(opel::testing::small_config()) {
        config::CurveClient loc;
        loc.name = "loc-reader";
        loc.sites = {"S1"};
        loc.subtrees = {"loc"};
        loc.acknowledge = true;
        config::CurveClient trust;
        trust.name = "trust-bi";
        trust.sites = {"loc2", "S2"};  // a system stands for its sites
        config::CurveClient notifier;
        notifier.name = "notifyd";
        notifier.subtrees = {"national"};
        notifier.report_unacknowledged = true;
        scopes_ = Scopes({loc, trust, notifier}, model_);
    }
    Sender sender(const std::string& name) const { return {true, scopes_.find(name), name}; }

    engine::Model model_;
    Scopes scopes_;
};

TEST_F(ScopeTest, SubtreesAreResolvedToPathsAndReadExactly) {
    const ClientScope& loc = *scopes_.find("loc-reader");
    EXPECT_EQ(loc.paths, Topics{"national/region/ICS/loc"});
    EXPECT_TRUE(loc.may_read("national/region/ICS/loc"));
    EXPECT_TRUE(loc.may_read("national/region/ICS/loc/S1"));
    EXPECT_FALSE(loc.may_read("national/region/ICS/loc2"));  // a prefix, not a child
    EXPECT_FALSE(loc.may_read("national/region/ICS"));
    EXPECT_TRUE(loc.may_receive("heartbeat"));
    EXPECT_TRUE(loc.may_receive("alert/national/region/ICS/loc/S2"));
    EXPECT_FALSE(loc.may_receive("status/national/region/ICS/loc2/S3"));
    EXPECT_FALSE(loc.may_receive("other/national/region/ICS/loc"));
    EXPECT_EQ(scopes_.find("nobody"), nullptr);
}

TEST_F(ScopeTest, AWideSubscriptionIsNarrowedToTheSubtreesAndAnOutsideOneRefused) {
    const ClientScope& loc = *scopes_.find("loc-reader");
    EXPECT_EQ(loc.narrow(""), (Topics{"alert/national/region/ICS/loc", "heartbeat",
                                      "status/national/region/ICS/loc"}));
    EXPECT_EQ(loc.narrow("status/"), Topics{"status/national/region/ICS/loc"});
    EXPECT_EQ(loc.narrow("status/national/region/ICS/loc/S1"),
              Topics{"status/national/region/ICS/loc/S1"});
    EXPECT_EQ(loc.narrow("alert/national/region/ICS/loc"), Topics{"alert/national/region/ICS/loc"});
    EXPECT_EQ(loc.narrow("heartbeat"), Topics{"heartbeat"});
    EXPECT_EQ(loc.narrow("h"), Topics{"heartbeat"});
    EXPECT_TRUE(loc.narrow("status/national/region/ICS/loc2").empty());
    EXPECT_TRUE(loc.narrow("alert/national/region/ICS/loc2/S3").empty());
    EXPECT_TRUE(loc.narrow("bogus").empty());
    // A key without subtrees hears heartbeats only.
    EXPECT_EQ(scopes_.find("trust-bi")->narrow(""), Topics{"heartbeat"});
}

TEST_F(ScopeTest, ASitrepOutsideTheKeysSitesIsRefusedNamingThem) {
    EXPECT_FALSE(submit_refusal(sender("loc-reader"), model_, "S1"));
    const auto refused = submit_refusal(sender("loc-reader"), model_, "S2");
    ASSERT_TRUE(refused);
    EXPECT_EQ(*refused, (engine::FieldError{"site_id", "not_allowed",
                                            "'S2' is not a site loc-reader may submit for (S1)"}));
    // A system among the sites stands for every site below it.
    EXPECT_FALSE(submit_refusal(sender("trust-bi"), model_, "S3"));
    EXPECT_FALSE(submit_refusal(sender("trust-bi"), model_, "S2"));
    EXPECT_TRUE(submit_refusal(sender("trust-bi"), model_, "S1"));
    // An unknown site is the engine's to name; without CURVE anything goes.
    EXPECT_FALSE(submit_refusal(sender("loc-reader"), model_, "nowhere"));
    EXPECT_FALSE(submit_refusal(Sender{}, model_, "S2"));
    // A key removed from the allow-list since it connected may do nothing.
    const auto gone = submit_refusal(Sender{true, nullptr, "old-key"}, model_, "S1");
    ASSERT_TRUE(gone);
    EXPECT_EQ(gone->message, "the key 'old-key' is no longer on the escalator's allow-list");
}

TEST_F(ScopeTest, CommandsNeedTheirPermissionAndANodeInsideTheSubtrees) {
    EXPECT_FALSE(command_refusal(sender("loc-reader"), model_, "acknowledgement", "S1"));
    EXPECT_EQ(command_refusal(sender("loc-reader"), model_, "acknowledgement", "S3")->message,
              "loc-reader may not acknowledge 'S3': it is outside its subtrees");
    EXPECT_EQ(command_refusal(sender("loc-reader"), model_, "declaration", "S1")->message,
              "loc-reader may not declare levels (its key has no declare permission)");
    EXPECT_EQ(command_refusal(sender("trust-bi"), model_, "acknowledgement", "S3")->message,
              "trust-bi may not acknowledge alerts (its key has no acknowledge permission)");
    EXPECT_FALSE(command_refusal(sender("notifyd"), model_, "unacknowledged", "S3"));
    EXPECT_EQ(command_refusal(sender("loc-reader"), model_, "unacknowledged", "S1")->message,
              "loc-reader may not report unacknowledged alerts (its key has no "
              "report_unacknowledged)");
    EXPECT_FALSE(command_refusal(Sender{}, model_, "declaration", "S1"));
}

}  // namespace
}  // namespace opel::escalatord

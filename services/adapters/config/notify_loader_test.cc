// opel-notifyd's settings and routing file: converted with their defaults, and every
// problem reported at its file:line with the field.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "adapters/config/loader.h"

namespace opel::config {
namespace {

namespace fs = std::filesystem;

class NotifyLoaderTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("opel-notify-loader-test-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        fs::copy(fs::path(OPEL_SOURCE_DIR) / "config", dir_, fs::copy_options::recursive);
    }
    void TearDown() override { fs::remove_all(dir_); }

    void write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name) << text;
    }
    // The root file with its notifyd section replaced by `notifyd`.
    void root_with(const std::string& notifyd) {
        std::ifstream in(dir_ / "opel.textproto");
        std::stringstream text;
        text << in.rdbuf();
        std::string s = text.str();
        s = s.substr(0, s.find("\nnotifyd {")) + "\n" + notifyd;
        write("opel.textproto", s);
    }

    Result<std::optional<NotifydSettings>, std::vector<ConfigError>> load() {
        auto loaded = load_config(dir_);
        if (!loaded) {
            ADD_FAILURE() << loaded.error()[0].to_string();
            return unexpected(std::vector<ConfigError>{});
        }
        return load_notifyd_config(*loaded);
    }

    std::vector<std::string> errors() {
        std::vector<std::string> out;
        auto notifyd = load();
        if (!notifyd) {
            for (const ConfigError& e : notifyd.error()) {
                std::string s = e.to_string();
                const std::string prefix = dir_.string() + "/";
                out.push_back(s.rfind(prefix, 0) == 0 ? s.substr(prefix.size()) : s);
            }
        }
        return out;
    }

    fs::path dir_;
};

constexpr const char* minimal_settings = R"(notifyd {
  routing: "r.textproto"
  smtp { url: "smtp://127.0.0.1:2525" from: "opel@example.nhs.uk" }
}
)";

TEST_F(NotifyLoaderTest, TheShippedRoutingLoads) {
    auto notifyd = load();
    ASSERT_TRUE(notifyd.has_value()) << notifyd.error()[0].to_string();
    ASSERT_TRUE(notifyd->has_value());
    const NotifydSettings& s = **notifyd;
    EXPECT_EQ(s.routing.groups.size(), 5U);
    ASSERT_EQ(s.routing.routes.size(), 4U);
    EXPECT_EQ(s.routing.routes[0].min_level, 3);
    EXPECT_EQ(s.routing.routes[0].escalation.remind_every.count(), 15 * 60);
    ASSERT_EQ(s.routing.routes[0].escalation.steps.size(), 1U);
    EXPECT_EQ(s.routing.routes[0].escalation.steps[0].after.count(), 30 * 60);
    EXPECT_EQ(s.routing.routes[1].name, "gm-sustained");
    EXPECT_EQ(s.routing.routes[1].kinds,
              std::vector<engine::EventKind>{engine::EventKind::sustained_pressure});
    EXPECT_EQ(s.routing.routes[3].provider_types,
              std::vector<engine::ProviderType>{engine::ProviderType::acute});
    EXPECT_EQ(s.grouping.count(), 10);
    EXPECT_EQ(s.smtp.url, "smtp://127.0.0.1:2525");
}

TEST_F(NotifyLoaderTest, NoSectionMeansNotConfigured) {
    root_with("");
    auto notifyd = load();
    ASSERT_TRUE(notifyd.has_value());
    EXPECT_FALSE(notifyd->has_value());
}

TEST_F(NotifyLoaderTest, DefaultsApplyWhenFieldsAreAbsent) {
    root_with(minimal_settings);
    write("r.textproto", R"(groups { name: "g" webhooks: "http://127.0.0.1:1/h" }
routes { name: "r" groups: "g" }
)");
    auto notifyd = load();
    ASSERT_TRUE(notifyd.has_value()) << notifyd.error()[0].to_string();
    const NotifydSettings& s = **notifyd;
    EXPECT_EQ(s.database_path, "opel-notify.db");
    EXPECT_EQ(s.metrics_address, "127.0.0.1:9465");
    EXPECT_EQ(s.delivery.first_retry, std::chrono::milliseconds(5000));
    EXPECT_EQ(s.delivery.max_retry, std::chrono::milliseconds(300000));
    EXPECT_EQ(s.delivery.timeout.count(), 10);
    EXPECT_EQ(s.delivery.rate_per_minute, 30U);
    EXPECT_EQ(s.routing.routes[0].subtree, "");
    EXPECT_TRUE(s.routing.routes[0].kinds.empty());
}

TEST_F(NotifyLoaderTest, EveryRoutingProblemIsReportedAtItsLine) {
    root_with(minimal_settings);
    write("r.textproto", R"(groups { name: "g" webhooks: "http://127.0.0.1:1/h" }
groups {
  name: "bad"
  emails: "not an address"
  teams: "ftp://example.invalid/x"
}
routes {
  name: "r"
  subtree: "QOP/stokport"
  kinds: "escalatd"
  min_level: 5
  groups: "g"
  groups: "nobody"
  escalation { steps { after_minutes: 0 groups: "g" } }
}
silences { subtree: "RWJ" reason: "drill" ends_at: "soon" }
)");
    EXPECT_EQ(errors(),
              (std::vector<std::string>{
                  "r.textproto:4: emails[0]: 'not an address' is not an e-mail address "
                  "(name@example.nhs.uk)",
                  "r.textproto:5: teams[0]: 'ftp://example.invalid/x' is not an http:// or "
                  "https:// URL",
                  "r.textproto:9: subtree: 'QOP/stokport' matches no node of the tree (a path "
                  "prefix such as national/..., or a node id)",
                  "r.textproto:10: kinds[0]: unknown event kind 'escalatd' (kinds: escalated, "
                  "deescalated, stale, recovered, unknown, known, declared_mismatch, "
                  "config_reloaded, acknowledged, declared, declaration_expired, unacknowledged, "
                  "sustained_pressure)",
                  "r.textproto:11: min_level: must be 1..4, got 5",
                  "r.textproto:13: groups[1]: unknown group 'nobody' (groups: g, bad)",
                  "r.textproto:14: escalation.steps[0].after_minutes: must be after the previous "
                  "step (0 min), got 0",
                  "r.textproto:16: author: a silence needs an author (who decided it)",
                  "r.textproto:16: ends_at: 'soon' is not an RFC 3339 time",
              }));
}

TEST_F(NotifyLoaderTest, EmailWithoutARelayAndBadSettingsAreRefused) {
    root_with(R"(notifyd {
  routing: "r.textproto"
  grouping_seconds: 601
  delivery { timeout_seconds: 0 }
}
)");
    write("r.textproto", R"(groups { name: "g" emails: "a@example.nhs.uk" }
routes { name: "r" groups: "g" }
routes { name: "r" groups: "g" }
)");
    const std::vector<std::string> got = errors();
    ASSERT_EQ(got.size(), 4U) << ::testing::PrintToString(got);
    EXPECT_NE(got[0].find("grouping_seconds: at most 600 seconds, got 601"), std::string::npos);
    EXPECT_NE(got[1].find("delivery.timeout_seconds: must be 1..300, got 0"), std::string::npos);
    EXPECT_EQ(got[2],
              "r.textproto:1: emails[0]: e-mail needs an SMTP relay: set "
              "notifyd.smtp.url in the root file");
    EXPECT_EQ(got[3], "r.textproto:3: name: route 'r' is defined twice");
}

TEST_F(NotifyLoaderTest, AMissingRoutingFileIsNamed) {
    root_with(R"(notifyd { routing: "missing.textproto" })");
    const std::vector<std::string> got = errors();
    ASSERT_EQ(got.size(), 1U);
    EXPECT_EQ(got[0], "missing.textproto: cannot open file");
}

}  // namespace
}  // namespace opel::config

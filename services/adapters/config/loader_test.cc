#include "adapters/config/loader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>

namespace opel::config {
namespace {

namespace fs = std::filesystem;

// A minimal valid configuration written to a fresh temporary directory; tests overwrite one
// file with an injected error and check the reported file, line and field.
class LoaderTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("opel-loader-test-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_ / "cards");
        write("opel.textproto", R"(catalogue: "catalogue.textproto"
cards: "cards/c.textproto"
tree: "tree.textproto"
escalatord { submit_endpoint: "ipc:///tmp/x" max_clock_skew_seconds: 60 metrics_address: "off" group: "opel-readers" }
)");
        write("catalogue.textproto", R"(measures { name: "a" unit: "count" integer: true min: 0 }
measures { name: "b" unit: "percent" min: 0 max: 100 }
)");
        write("cards/c.textproto", card_text("10", "20", "30", "a"));
        write("tree.textproto", R"(nodes { id: "root" kind: NODE_KIND_NATIONAL
        aggregation: AGGREGATION_MAX_LEVEL card: "c" }
nodes { id: "S1" kind: NODE_KIND_SITE parent: "root"
        provider_type: PROVIDER_TYPE_ACUTE }
)");
    }
    void TearDown() override { fs::remove_all(dir_); }

    static std::string card_text(const std::string& t2, const std::string& t3,
                                 const std::string& t4, const std::string& measure) {
        return R"(id: "c"
reporting_interval_minutes: 60
parameters {
  id: "pa"
  measure { measure: "a" }
  direction: DIRECTION_HIGHER_IS_WORSE
  thresholds { opel2: 1 opel3: 2 opel4: 3 }
}
parameters {
  id: "pb"
  measure { measure: ")" +
               measure + R"(" }
  direction: DIRECTION_HIGHER_IS_WORSE
  thresholds { opel2: )" +
               t2 + " opel3: " + t3 + " opel4: " + t4 + R"( }
}
bands { opel2: 3 opel3: 5 opel4: 7 }
actions { level: 1 actions { role: "r" action: "x" } }
actions { level: 2 actions { role: "r" action: "x" } }
actions { level: 3 actions { role: "r" action: "x" } }
actions { level: 4 actions { role: "r" action: "x" } }
)";
    }

    void write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name) << text;
    }

    std::vector<std::string> errors() {
        auto loaded = load_config(dir_);
        std::vector<std::string> out;
        if (!loaded) {
            for (const ConfigError& e : loaded.error()) {
                // Paths relative to the temp dir keep the assertions readable.
                std::string s = e.to_string();
                const std::string prefix = dir_.string() + "/";
                if (s.rfind(prefix, 0) == 0) {
                    s = s.substr(prefix.size());
                }
                out.push_back(s);
            }
        }
        return out;
    }

    fs::path dir_;
};

TEST_F(LoaderTest, ValidConfigLoadsWithSettings) {
    auto loaded = load_config(dir_);
    ASSERT_TRUE(loaded.has_value()) << errors()[0];
    EXPECT_EQ(loaded->engine.cards.size(), 1U);
    EXPECT_EQ(loaded->engine.nodes.size(), 2U);
    EXPECT_EQ(loaded->escalatord.submit_endpoint, "ipc:///tmp/x");
    EXPECT_EQ(loaded->escalatord.group, "opel-readers");
    EXPECT_EQ(loaded->escalatord.max_clock_skew.count(), 60);
    EXPECT_EQ(loaded->escalatord.metrics_address, "off");
    EXPECT_EQ(loaded->escalatord.heartbeat_interval.count(), 5);  // default
    EXPECT_EQ(loaded->files.size(), 4U);
}

TEST_F(LoaderTest, TheWebdSectionIsReadWithItsAssetsBesideTheFile) {
    auto defaults = load_config(dir_);
    ASSERT_TRUE(defaults.has_value());
    EXPECT_EQ(defaults->webd.address, "127.0.0.1:8080");
    EXPECT_EQ(defaults->webd.assets, "");  // the daemon's shipped web/
    EXPECT_EQ(defaults->webd.feed_silence.count(), 15);
    EXPECT_EQ(defaults->webd.submit_timeout.count(), 5000);
    std::ofstream(dir_ / "opel.textproto", std::ios::app)
        << "webd { address: \"127.0.0.1:9090\" assets: \"../web\" feed_silence_seconds: 30 "
           "submit_timeout_ms: 800 tls_certificate: \"tls/cert.pem\" tls_private_key: "
           "\"tls/key.pem\" users_file: \"users.textproto\" session_hours: 8 }\n";
    auto loaded = load_config(dir_);
    ASSERT_TRUE(loaded.has_value()) << errors()[0];
    EXPECT_EQ(loaded->webd.address, "127.0.0.1:9090");
    EXPECT_EQ(loaded->webd.assets, (dir_.parent_path() / "web").string());
    EXPECT_EQ(loaded->webd.feed_silence.count(), 30);
    EXPECT_EQ(loaded->webd.submit_timeout.count(), 800);
    EXPECT_EQ(loaded->webd.tls_certificate, (dir_ / "tls/cert.pem").string());
    EXPECT_EQ(loaded->webd.tls_private_key, (dir_ / "tls/key.pem").string());
    EXPECT_EQ(loaded->webd.users_file, (dir_ / "users.textproto").string());
    EXPECT_EQ(loaded->webd.session_idle.count(), 8);
    EXPECT_EQ(defaults->webd.users_file, "");
    EXPECT_EQ(defaults->webd.session_idle.count(), 12);
}

TEST_F(LoaderTest, WebdSettingsOutOfRangeAreNamedAtTheirLine) {
    std::ofstream(dir_ / "opel.textproto", std::ios::app)
        << "webd { feed_silence_seconds: 0 submit_timeout_ms: 10 tls_certificate: \"c.pem\" "
           "session_hours: 169 }\n";
    EXPECT_EQ(errors(),
              (std::vector<std::string>{
                  "opel.textproto:5: webd: feed_silence_seconds must be 1..3600, got 0",
                  "opel.textproto:5: webd: submit_timeout_ms must be 50..600000, got 10",
                  "opel.textproto:5: webd: tls_certificate and tls_private_key go together: give "
                  "both (HTTPS) or neither (plain HTTP)",
                  "opel.textproto:5: webd: session_hours must be 1..168, got 169"}));
}

constexpr const char* key_a = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";
constexpr const char* key_b = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";

// The fixture's root file with `escalatord` (from line 4 on) in place of its own.
std::string root_with(const std::string& escalatord) {
    return "catalogue: \"catalogue.textproto\"\ncards: \"cards/c.textproto\"\ntree: "
           "\"tree.textproto\"\n" +
           escalatord;
}

TEST_F(LoaderTest, TheCurveSectionIsReadWithItsFilesBesideTheFile) {
    write("opel.textproto",
          root_with(std::string("escalatord { curve { public_key_file: \"keys/escalator.pub\" "
                                "secret_key_file: \"keys/escalator.key\" clients { name: \"s1\" "
                                "public_key: \"") +
                    key_a + "\" sites: \"S1\" } clients { name: \"board\" public_key: \"" + key_b +
                    "\" sites: \"root\" subtrees: \"root\" acknowledge: true declare: true } } }\n"
                    "webd { curve { public_key_file: \"keys/webd.pub\" secret_key_file: "
                    "\"keys/webd.key\" } }\n"));
    auto loaded = load_config(dir_);
    ASSERT_TRUE(loaded.has_value()) << errors()[0];
    ASSERT_TRUE(loaded->escalatord.curve);
    const CurveSettings& curve = *loaded->escalatord.curve;
    EXPECT_EQ(curve.public_key_file, (dir_ / "keys/escalator.pub").string());
    EXPECT_EQ(curve.secret_key_file, (dir_ / "keys/escalator.key").string());
    ASSERT_EQ(curve.clients.size(), 2U);
    EXPECT_EQ(curve.clients[0].name, "s1");
    EXPECT_EQ(curve.clients[0].public_key, key_a);
    EXPECT_EQ(curve.clients[0].sites, std::vector<std::string>{"S1"});
    EXPECT_FALSE(curve.clients[0].acknowledge);
    EXPECT_EQ(curve.clients[1].subtrees, std::vector<std::string>{"root"});
    EXPECT_TRUE(curve.clients[1].acknowledge && curve.clients[1].declare);
    EXPECT_EQ(loaded->webd.curve.secret_key_file, (dir_ / "keys/webd.key").string());
}

TEST_F(LoaderTest, EveryCurveProblemIsNamedAtItsLine) {
    write("tree.textproto", R"(nodes { id: "root" kind: NODE_KIND_NATIONAL
        aggregation: AGGREGATION_MAX_LEVEL card: "c" }
nodes { id: "S1" kind: NODE_KIND_SITE parent: "root"
        provider_type: PROVIDER_TYPE_ACUTE }
nodes { id: "S1-2" kind: NODE_KIND_SITE parent: "root"
        provider_type: PROVIDER_TYPE_ACUTE }
)");
    write("opel.textproto",
          root_with("escalatord { curve { public_key_file: \"e.pub\"\n"
                    "clients { name: \"a\" public_key: \"short\" sites: \"S1\" }\n"
                    "clients { name: \"a\" public_key: \"" +
                    std::string(40, '~') +
                    "\" }\n"
                    "clients { name: \"c\" public_key: \"" +
                    key_a +
                    "\" acknowledge: true }\n"
                    "clients { name: \"d\" public_key: \"" +
                    key_a + "\" sites: \"S9\" subtrees: \"S1\" } } }\n"));
    EXPECT_EQ(errors(),
              (std::vector<std::string>{
                  "opel.textproto:4: escalatord.curve: public_key_file and secret_key_file are "
                  "required (the escalator's pair from `opel keygen`)",
                  "opel.textproto:5: escalatord.curve.clients[0].public_key: a public key is the "
                  "40 characters of Z85 `opel keygen --public` wrote, not 5",
                  "opel.textproto:6: escalatord.curve.clients[1].name: 'a' is named twice",
                  "opel.textproto:6: escalatord.curve.clients[1].public_key: '" +
                      std::string(40, '~') + "' is not Z85 (as `opel keygen --public` writes it)",
                  "opel.textproto:6: escalatord.curve.clients[1].sites: the key may do nothing: "
                  "give it sites, subtrees or a permission",
                  "opel.textproto:7: escalatord.curve.clients[2].subtrees: acknowledge and "
                  "declare apply to nodes in the key's subtrees: name at least one",
                  "opel.textproto:8: escalatord.curve.clients[3].public_key: the same key is "
                  "listed twice (a key has one scope)"}));
    // With those mended, the tree's checks: an unknown site, a subtree that is a prefix.
    write("opel.textproto",
          root_with("escalatord { curve { public_key_file: \"e.pub\" secret_key_file: "
                    "\"e.key\"\nclients { name: \"d\" public_key: \"" +
                    std::string(key_a) + "\" sites: \"S9\" subtrees: \"S1\" } } }\n"));
    EXPECT_EQ(errors(),
              (std::vector<std::string>{
                  "opel.textproto:5: escalatord.curve.clients[0].sites[0]: 'S9' is not in the tree",
                  "opel.textproto:5: escalatord.curve.clients[0].subtrees[0]: the feed filters by "
                  "prefix, and 'root/S1' is also the start of 'root/S1-2', outside it: name its "
                  "parent or its children instead"}));
}

TEST_F(LoaderTest, ContentHashIsStableAndFollowsEveryByte) {
    auto first = load_config(dir_);
    auto again = load_config(dir_);
    ASSERT_TRUE(first.has_value() && again.has_value());
    const std::string hash = content_hash(*first);
    EXPECT_EQ(hash.size(), 16U);
    EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(content_hash(*again), hash);
    // One byte of one card's threshold: another configuration, another hash.
    write("cards/c.textproto", card_text("11", "20", "30", "a"));
    auto changed = load_config(dir_);
    ASSERT_TRUE(changed.has_value()) << errors()[0];
    EXPECT_NE(content_hash(*changed), hash);
    write("cards/c.textproto", card_text("10", "20", "30", "a"));
    EXPECT_EQ(content_hash(*load_config(dir_)), hash);
}

TEST_F(LoaderTest, RootFileMayBeNamedDirectly) {
    EXPECT_TRUE(load_config(dir_ / "opel.textproto").has_value());
}

TEST_F(LoaderTest, MisorderedThresholdsPointAtTheirLineAndField) {
    write("cards/c.textproto", card_text("30", "20", "10", "a"));
    EXPECT_EQ(errors(), std::vector<std::string>{
                            "cards/c.textproto:13: parameters[1].thresholds: higher_is_worse "
                            "thresholds must satisfy opel2 <= opel3 <= opel4, got 30, 20, 10"});
}

TEST_F(LoaderTest, MeasureOutsideTheCataloguePointsAtTheMeasureLine) {
    write("cards/c.textproto", card_text("10", "20", "30", "zz"));
    EXPECT_EQ(errors(), std::vector<std::string>{"cards/c.textproto:11: "
                                                 "parameters[1].measure.measure: measure 'zz' is "
                                                 "not in the catalogue"});
}

TEST_F(LoaderTest, SyntaxErrorsHaveLineAndColumn) {
    write("catalogue.textproto", "measures { name: \"a\" unit: }\n");
    const auto e = errors();
    ASSERT_EQ(e.size(), 2U);
    EXPECT_EQ(e[0].rfind("catalogue.textproto:1:", 0), 0U) << e[0];
    EXPECT_EQ(e[1], "skipped: measure references of the cards (the catalogue has errors)");
}

TEST_F(LoaderTest, UnknownFieldsAreRejected) {
    write("catalogue.textproto", "measures { name: \"a\" }\n\nmeasures { nmae: \"b\" }\n");
    const auto e = errors();
    ASSERT_EQ(e.size(), 2U);
    EXPECT_EQ(e[0].rfind("catalogue.textproto:3:", 0), 0U) << e[0];
    EXPECT_NE(e[0].find("nmae"), std::string::npos);
    EXPECT_EQ(e[1], "skipped: measure references of the cards (the catalogue has errors)");
}

TEST_F(LoaderTest, UnknownFieldSuggestsTheClosestFieldName) {
    write("cards/c.textproto", "id: \"c\"\nparamters { id: \"pa\" }\n");
    write("catalogue.textproto",
          "measures { name: \"a\" }\nmeasures { name: \"b\" uint: \"x\" }\n");
    const auto e = errors();
    ASSERT_EQ(e.size(), 3U);
    EXPECT_EQ(e[0],
              "catalogue.textproto:2:26: Message type \"opel.config.v1.Measure\" has no field "
              "named \"uint\"; did you mean 'unit'?");
    EXPECT_EQ(e[1],
              "cards/c.textproto:2:11: Message type \"opel.config.v1.ActionCard\" has no field "
              "named \"paramters\"; did you mean 'parameters'?");
    EXPECT_EQ(e[2], "skipped: card references of the tree's nodes (a card file has errors)");
}

TEST_F(LoaderTest, UnknownFieldFarFromEveryNameGetsNoSuggestion) {
    write("catalogue.textproto", "measures { name: \"a\" colour: \"red\" }\n");
    const auto e = errors();
    ASSERT_FALSE(e.empty());
    EXPECT_NE(e[0].find("has no field named \"colour\""), std::string::npos) << e[0];
    EXPECT_EQ(e[0].find("did you mean"), std::string::npos) << e[0];
}

TEST_F(LoaderTest, SiteWithoutACardPointsAtTheSite) {
    write("tree.textproto", R"(nodes { id: "root" kind: NODE_KIND_NATIONAL
        aggregation: AGGREGATION_MAX_LEVEL }
nodes { id: "S1" kind: NODE_KIND_SITE parent: "root"
        provider_type: PROVIDER_TYPE_ACUTE }
)");
    EXPECT_EQ(errors(), std::vector<std::string>{"tree.textproto:3: card: site 'S1' has no card "
                                                 "and no ancestor names one"});
}

TEST_F(LoaderTest, EveryProblemIsReportedAtOnce) {
    write("tree.textproto", R"(nodes { id: "root" kind: NODE_KIND_NATIONAL card: "c"
        aggregation: AGGREGATION_MAX_LEVEL }
nodes { id: "S1" kind: NODE_KIND_SITE parent: "root"
        provider_type: PROVIDER_TYPE_ACUTE weight: 0 }
nodes { id: "S1" kind: NODE_KIND_SITE parent: "nowhere"
        provider_type: PROVIDER_TYPE_ACUTE }
)");
    EXPECT_EQ(errors(),
              (std::vector<std::string>{"tree.textproto:4: weight: weight must be positive, got 0",
                                        "tree.textproto:5: id: duplicate node id 'S1'",
                                        "tree.textproto:5: parent: no node with id 'nowhere'"}));
}

TEST_F(LoaderTest, SystemCardsAndSustainedPressureAreRead) {
    fs::create_directories(dir_ / "system-cards");
    write("opel.textproto", R"(catalogue: "catalogue.textproto"
cards: "cards/c.textproto"
system_cards: "system-cards/s.textproto"
tree: "tree.textproto"
sustained_pressure_minutes: 720
)");
    write("system-cards/s.textproto", R"(id: "s"
name: "System"
actions { level: 1 actions { role: "director" action: "one" } }
actions { level: 2 actions { role: "director" action: "two" } }
actions { level: 3 includes_lower_levels: true actions { role: "director" action: "three" } }
actions { level: 4 actions { role: "director" action: "four" } }
)");
    write("tree.textproto", R"(nodes { id: "root" kind: NODE_KIND_NATIONAL card: "c"
        aggregation: AGGREGATION_MAX_LEVEL system_card: "s" }
nodes { id: "S1" kind: NODE_KIND_SITE parent: "root"
        provider_type: PROVIDER_TYPE_PAEDIATRIC }
)");
    auto loaded = load_config(dir_);
    ASSERT_TRUE(loaded.has_value()) << errors()[0];
    ASSERT_EQ(loaded->engine.system_cards.size(), 1U);
    EXPECT_EQ(loaded->engine.system_cards[0].actions_for(3).size(), 3U);
    EXPECT_EQ(loaded->engine.nodes[0].system_card, "s");
    EXPECT_EQ(loaded->engine.nodes[1].provider_type, engine::ProviderType::paediatric);
    EXPECT_EQ(loaded->engine.sustained_pressure, std::chrono::minutes{720});
    EXPECT_EQ(loaded->files.size(), 5U);  // the system card is part of the content hash
}

TEST_F(LoaderTest, SystemCardProblemsAreNamedAtTheirLine) {
    fs::create_directories(dir_ / "system-cards");
    write("opel.textproto", R"(catalogue: "catalogue.textproto"
cards: "cards/c.textproto"
system_cards: "system-cards/s.textproto"
system_cards: "system-cards/t.textproto"
tree: "tree.textproto"
sustained_pressure_minutes: 0
)");
    write("system-cards/s.textproto", R"(id: "s"
actions { level: 1 actions { role: "director" action: "one" } }
actions { level: 5 actions { role: "director" action: "five" } }
)");
    write("system-cards/t.textproto", R"(id: "s"
actions { level: 1 actions { role: "r" action: "x" } }
actions { level: 2 actions { role: "r" action: "x" } }
actions { level: 3 actions { role: "r" action: "x" } }
actions { level: 4 actions { role: "r" action: "x" } }
)");
    EXPECT_EQ(errors(), (std::vector<std::string>{
                            "opel.textproto:6: sustained_pressure_minutes: must be 1..10080 "
                            "minutes (a week), got 0"}));
    write("opel.textproto", R"(catalogue: "catalogue.textproto"
cards: "cards/c.textproto"
system_cards: "system-cards/s.textproto"
system_cards: "system-cards/t.textproto"
tree: "tree.textproto"
)");
    write("tree.textproto", R"(nodes { id: "root" kind: NODE_KIND_NATIONAL card: "c"
        aggregation: AGGREGATION_MAX_LEVEL system_card: "nowhere" }
nodes { id: "S1" kind: NODE_KIND_SITE parent: "root"
        provider_type: PROVIDER_TYPE_ACUTE system_card: "s" }
)");
    EXPECT_EQ(errors(),
              (std::vector<std::string>{
                  "system-cards/s.textproto:3: actions[1].level: level must be 1..4, got 5",
                  "system-cards/s.textproto:2: actions: no actions for OPEL 2: every card says "
                  "what to do at every level",
                  "system-cards/s.textproto:2: actions: no actions for OPEL 3: every card says "
                  "what to do at every level",
                  "system-cards/s.textproto:2: actions: no actions for OPEL 4: every card says "
                  "what to do at every level",
                  "system-cards/t.textproto:1: id: duplicate system card id 's'",
                  "tree.textproto:2: system_card: no system card with id 'nowhere'",
                  "tree.textproto:4: system_card: a site is scored by a card ('card'); system "
                  "cards are for localities, ICSs and regions"}));
}

TEST_F(LoaderTest, MissingRequiredValuesAreNamed) {
    write("cards/c.textproto", R"(id: "c"
reporting_interval_minutes: 60
parameters {
  id: "pa"
  thresholds { opel2: 1 opel4: 3 }
}
bands { opel2: 3 opel3: 5 opel4: 7 }
actions { level: 1 }
actions { level: 2 }
actions { level: 3 }
actions { level: 4 }
)");
    EXPECT_EQ(errors(),
              (std::vector<std::string>{
                  "cards/c.textproto:3: parameters[0].expression: an expression is required: "
                  "measure, percent or percent_change",
                  "cards/c.textproto:3: parameters[0].direction: direction is required: "
                  "DIRECTION_HIGHER_IS_WORSE or DIRECTION_LOWER_IS_WORSE",
                  "cards/c.textproto:5: parameters[0].thresholds: opel3 is required",
                  "skipped: measures of parameters[0] of card 'c' (its expression has errors)",
                  "skipped: threshold order of parameters[0] of card 'c' (its thresholds have "
                  "errors)"}));
}

// One card with a problem of every stage: conversion (no actions for OPEL 4) and cross-field
// (threshold order, weight 0, unknown measure, floor rule naming no parameter) in one run.
TEST_F(LoaderTest, EveryProblemOfACardIsReportedInOneRun) {
    write("cards/c.textproto", R"(id: "c"
reporting_interval_minutes: 60
parameters {
  id: "pa"
  measure { measure: "nosuch" }
  direction: DIRECTION_HIGHER_IS_WORSE
  thresholds { opel2: 3 opel3: 2 opel4: 1 }
  weight: 0
}
bands { opel2: 3 opel3: 5 opel4: 7 }
floors { parameter: "px" min_score: 4 min_level: 3 }
actions { level: 1 actions { role: "r" action: "x" } }
actions { level: 2 actions { role: "r" action: "x" } }
actions { level: 3 actions { role: "r" action: "x" } }
)");
    EXPECT_EQ(errors(),
              (std::vector<std::string>{
                  "cards/c.textproto:12: actions: no actions for OPEL 4: every card says what to "
                  "do at every level",
                  "cards/c.textproto:5: parameters[0].measure.measure: measure 'nosuch' is not "
                  "in the catalogue",
                  "cards/c.textproto:7: parameters[0].thresholds: higher_is_worse thresholds must "
                  "satisfy opel2 <= opel3 <= opel4, got 3, 2, 1",
                  "cards/c.textproto:8: parameters[0].weight: weight must be a positive integer, "
                  "got 0",
                  "cards/c.textproto:11: floors[0].parameter: no parameter 'px' in this card"}));
}

// A parameter whose id is broken may be the one a floor rule names: that check is skipped
// and said to be, while the rest of the card is still checked.
TEST_F(LoaderTest, ChecksThatReadABrokenPartAreSkippedAndNamed) {
    write("cards/c.textproto", R"(id: "c"
reporting_interval_minutes: 60
parameters {
  id: "p a"
  measure { measure: "a" }
  direction: DIRECTION_HIGHER_IS_WORSE
  thresholds { opel2: 1 opel3: 2 opel4: 3 }
  weight: 0
}
bands { opel2: 3 opel4: 7 }
floors { parameter: "p a" min_score: 4 min_level: 3 }
actions { level: 1 actions { role: "r" action: "x" } }
actions { level: 2 actions { role: "r" action: "x" } }
actions { level: 3 actions { role: "r" action: "x" } }
actions { level: 4 actions { role: "r" action: "x" } }
)");
    EXPECT_EQ(errors(),
              (std::vector<std::string>{
                  "cards/c.textproto:10: bands: opel3 is required",
                  "cards/c.textproto:4: parameters[0].id: parameter id 'p a' must be 1-64 "
                  "letters, digits, '-' or '_'",
                  "cards/c.textproto:8: parameters[0].weight: weight must be a positive integer, "
                  "got 0",
                  "skipped: band order of card 'c' (its bands have errors)",
                  "skipped: parameter names in the floor rules of card 'c' (its parameter ids "
                  "have errors)"}));
}

TEST_F(LoaderTest, MissingFileIsNamed) {
    fs::remove(dir_ / "tree.textproto");
    EXPECT_EQ(errors(),
              (std::vector<std::string>{"tree.textproto: cannot open file",
                                        "skipped: checks of the tree (the tree file has errors)"}));
}

TEST(ShippedConfigTest, LoadsTheGreaterManchesterDemo) {
    auto loaded = load_config(fs::path(OPEL_SOURCE_DIR) / "config");
    ASSERT_TRUE(loaded.has_value()) << loaded.error()[0].to_string();
    int localities = 0;
    bool stockport_card = false;
    for (const auto& n : loaded->engine.nodes) {
        localities += n.kind == engine::NodeKind::locality ? 1 : 0;
        stockport_card = stockport_card || (n.id == "stockport" && n.card == "stockport-acute");
    }
    EXPECT_EQ(localities, 10);
    EXPECT_TRUE(stockport_card);
    EXPECT_GE(loaded->engine.cards.size(), 2U);
    EXPECT_EQ(loaded->engine.cards[0].parameters.size(), 9U);
    // Every provider type has sites and a card; every locality, the ICS and the region
    // quote a system card.
    std::set<engine::ProviderType> types;
    int with_system_card = 0;
    for (const auto& n : loaded->engine.nodes) {
        if (n.kind == engine::NodeKind::site) {
            types.insert(n.provider_type);
        }
        with_system_card += n.system_card.empty() ? 0 : 1;
    }
    EXPECT_EQ(types, (std::set<engine::ProviderType>{
                         engine::ProviderType::acute, engine::ProviderType::community,
                         engine::ProviderType::mental_health, engine::ProviderType::nhs111,
                         engine::ProviderType::paediatric}));
    EXPECT_EQ(with_system_card, 12);
    EXPECT_EQ(loaded->engine.system_cards.size(), 3U);
    EXPECT_TRUE(loaded->engine.sustained_pressure.has_value());
}

}  // namespace
}  // namespace opel::config

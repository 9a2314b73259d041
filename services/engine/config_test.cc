#include "engine/config.h"

#include <gtest/gtest.h>

#include "engine/model.h"
#include "support/engine_fixtures.h"

namespace opel::engine {
namespace {

using opel::testing::small_config;
using Where = ConfigProblem::Where;

// The single problem reported, as "where index field: message".
std::vector<std::string> problems(const EngineConfig& config) {
    std::vector<std::string> out;
    for (const ConfigProblem& p : check_config(config)) {
        const char* where = p.where == Where::measure ? "measure"
                            : p.where == Where::card  ? "card"
                                                      : "node";
        out.push_back(std::string(where) + "[" + std::to_string(p.index) + "] " + p.field + ": " +
                      p.message);
    }
    return out;
}

TEST(CheckConfigTest, SmallConfigIsValid) { EXPECT_TRUE(problems(small_config()).empty()); }

TEST(CheckConfigTest, HigherIsWorseThresholdsMustAscend) {
    EngineConfig c = small_config();
    c.cards[0].parameters[0].thresholds = {10, 30, 20};
    EXPECT_EQ(problems(c), std::vector<std::string>{
                               "card[0] parameters[0].thresholds: higher_is_worse thresholds must "
                               "satisfy opel2 <= opel3 <= opel4, got 10, 30, 20"});
}

TEST(CheckConfigTest, LowerIsWorseThresholdsMustDescend) {
    EngineConfig c = small_config();
    c.cards[0].parameters[1].thresholds = {70, 80, 90};
    ASSERT_EQ(problems(c).size(), 1U);
    EXPECT_NE(problems(c)[0].find("parameters[1].thresholds: lower_is_worse"), std::string::npos);
}

TEST(CheckConfigTest, EqualThresholdsAndBandsAreAllowed) {
    EngineConfig c = small_config();
    c.cards[0].parameters[0].thresholds = {20, 20, 20};
    c.cards[0].bands.cutoffs = {5, 5, 5};
    EXPECT_TRUE(problems(c).empty());
}

TEST(CheckConfigTest, BandsMustBeOrdered) {
    EngineConfig c = small_config();
    c.cards[1].bands.cutoffs = {4, 3, 8};
    EXPECT_EQ(problems(c), std::vector<std::string>{"card[1] bands: bands must satisfy opel2 <= "
                                                    "opel3 <= opel4, got 4, 3, 8"});
}

TEST(CheckConfigTest, WeightsMustBePositive) {
    EngineConfig c = small_config();
    c.cards[0].parameters[0].weight = 0;
    c.nodes[4].weight = -1;
    const auto p = problems(c);
    ASSERT_EQ(p.size(), 2U);
    EXPECT_EQ(p[0], "card[0] parameters[0].weight: weight must be a positive integer, got 0");
    EXPECT_EQ(p[1], "node[4] weight: weight must be positive, got -1");
}

TEST(CheckConfigTest, CardMeasuresMustBeInTheCatalogue) {
    EngineConfig c = small_config();
    c.cards[0].parameters[1].expression.kind = ExpressionKind::percent;
    c.cards[0].parameters[1].expression.numerator = {"a", "nope"};
    c.cards[0].parameters[1].expression.denominator = {"missing"};
    EXPECT_EQ(problems(c),
              (std::vector<std::string>{
                  "card[0] parameters[1].percent.numerator[1]: measure 'nope' is not in the "
                  "catalogue",
                  "card[0] parameters[1].percent.denominator[0]: measure 'missing' is not in the "
                  "catalogue"}));
}

TEST(CheckConfigTest, EverySiteMustReachACard) {
    EngineConfig c = small_config();
    c.nodes[2].card.clear();  // ICS no longer provides card4 to S1, S2
    const auto p = problems(c);
    ASSERT_EQ(p.size(), 2U);
    EXPECT_EQ(p[0], "node[4] card: site 'S1' has no card and no ancestor names one");
}

TEST(CheckConfigTest, DuplicateIdsAreReported) {
    EngineConfig c = small_config();
    c.cards[1].id = "card4";
    c.nodes[5].id = "S1";
    c.measures[1].name = "a";
    const auto p = problems(c);
    EXPECT_NE(std::find(p.begin(), p.end(), "measure[1] name: duplicate measure name 'a'"),
              p.end());
    EXPECT_NE(std::find(p.begin(), p.end(), "card[1] id: duplicate card id 'card4'"), p.end());
    EXPECT_NE(std::find(p.begin(), p.end(), "node[5] id: duplicate node id 'S1'"), p.end());
}

TEST(CheckConfigTest, CyclesAreReported) {
    EngineConfig c = small_config();
    c.nodes[1].parent = "loc";  // region -> loc -> ICS -> region
    const auto p = problems(c);
    ASSERT_FALSE(p.empty());
    EXPECT_NE(std::find(p.begin(), p.end(),
                        "node[1] parent: node 'region' is in a cycle of parents (the tree must be "
                        "a tree)"),
              p.end());
}

TEST(CheckConfigTest, UnknownParentAndSecondRootAreReported) {
    EngineConfig c = small_config();
    c.nodes[3].parent = "nowhere";
    c.nodes[6].parent = "";
    const auto p = problems(c);
    EXPECT_NE(std::find(p.begin(), p.end(), "node[3] parent: no node with id 'nowhere'"), p.end());
    EXPECT_NE(std::find(p.begin(), p.end(),
                        "node[6] parent: only one node may have no parent (the root); 'loc2' has "
                        "none"),
              p.end());
}

TEST(CheckConfigTest, FloorRulesMustNameAParameterAndValidLevels) {
    EngineConfig c = small_config();
    c.cards[0].floors.push_back({"nope", 5, 0, "", 0});
    EXPECT_EQ(problems(c), (std::vector<std::string>{
                               "card[0] floors[0].parameter: no parameter 'nope' in this card",
                               "card[0] floors[0].min_score: min_score must be 1..4, got 5",
                               "card[0] floors[0].min_level: min_level must be 1..4, got 0"}));
}

TEST(CheckConfigTest, EveryProblemOfOneCardIsReportedInOneRun) {
    EngineConfig c = small_config();
    Parameter& p = c.cards[0].parameters[0];
    p.thresholds = {30, 20, 10};
    p.weight = 0;
    p.expression.numerator = {"nosuch"};
    c.cards[0].floors.push_back({"px", 4, 3, "", 0});
    EXPECT_EQ(problems(c),
              (std::vector<std::string>{
                  "card[0] parameters[0].measure.measure: measure 'nosuch' is not in the "
                  "catalogue",
                  "card[0] parameters[0].thresholds: higher_is_worse thresholds must satisfy "
                  "opel2 <= opel3 <= opel4, got 30, 20, 10",
                  "card[0] parameters[0].weight: weight must be a positive integer, got 0",
                  "card[0] floors[0].parameter: no parameter 'px' in this card"}));
}

TEST(CheckConfigTest, ChecksThatReadUnusablePartsAreSkippedAndTheRestRun) {
    EngineConfig c = small_config();
    c.cards[0].parameters[0].thresholds = {30, 0, 10};  // opel3 did not load
    c.cards[0].parameters[0].weight = 0;
    c.cards[0].parameters[1].id = "bad id";
    c.cards[0].floors.push_back({"bad id", 9, 3, "", 0});
    c.nodes[0].card = "card-in-a-broken-file";
    UnusableParts unusable;
    unusable.card_fields[0] = {"parameters[0].thresholds"};
    unusable.cards = true;
    const ConfigCheck check = check_config(c, unusable);
    std::vector<std::string> fields;
    for (const ConfigProblem& p : check.problems) {
        fields.push_back(p.field);
    }
    EXPECT_EQ(fields, (std::vector<std::string>{"parameters[0].weight", "parameters[1].id",
                                                "floors[0].min_score"}));
    EXPECT_EQ(check.skipped,
              (std::vector<std::string>{
                  "threshold order of parameters[0] of card 'card4' (its thresholds have errors)",
                  "parameter names in the floor rules of card 'card4' (its parameter ids have "
                  "errors)",
                  "card references of the tree's nodes (a card file has errors)"}));
}

TEST(CheckConfigTest, UnusableCatalogueOrTreeSkipsTheChecksThatReadThem) {
    EngineConfig c = small_config();
    c.measures.clear();
    c.nodes.clear();
    UnusableParts unusable;
    unusable.catalogue = true;
    unusable.tree = true;
    const ConfigCheck check = check_config(c, unusable);
    EXPECT_TRUE(check.problems.empty());
    EXPECT_EQ(check.skipped, (std::vector<std::string>{
                                 "measure references of the cards (the catalogue has errors)",
                                 "checks of the tree (the tree file has errors)"}));
}

TEST(CheckConfigTest, WeightedMeanNodeNeedsBands) {
    EngineConfig c = small_config();
    c.nodes[3].bands.reset();
    EXPECT_EQ(problems(c),
              std::vector<std::string>{
                  "node[3] bands: a weighted_mean or pillars node needs bands (0-100)"});
}

TEST(CheckConfigTest, AtMostMustNameACatalogueMeasure) {
    EngineConfig c = small_config();
    c.measures[0].at_most = {"b", "zzz"};
    EXPECT_EQ(problems(c),
              std::vector<std::string>{"measure[0] at_most[1]: unknown measure 'zzz'"});
}

TEST(CheckConfigTest, IdsWithPathSeparatorsAreRejected) {
    EngineConfig c = small_config();
    c.nodes[4].id = "S/1";
    const auto p = problems(c);
    ASSERT_FALSE(p.empty());
    EXPECT_EQ(p[0], "node[4] id: node id 'S/1' must be 1-64 letters, digits, '-' or '_'");
}

TEST(ActionCardTest, ActionsIncludeLowerLevelsWhenTheRowSaysSo) {
    EngineConfig c = small_config();
    ActionCard& card = c.cards[0];
    card.actions[2].includes_lower_levels = true;
    const auto items = card.actions_for(3);
    ASSERT_EQ(items.size(), 3U);
    EXPECT_EQ(items[0].level, 1);
    EXPECT_EQ(items[2].level, 3);
    EXPECT_EQ(card.actions_for(2).size(), 1U);
}

}  // namespace
}  // namespace opel::engine

namespace opel::engine {
namespace {

TEST(PathMatchesTest, MatchesWholeSegmentsAnywhere) {
    const std::string_view path = "national/north-west/QOP/stockport/RWJ";
    EXPECT_TRUE(path_matches(path, ""));
    EXPECT_TRUE(path_matches(path, "national/north-west"));
    EXPECT_TRUE(path_matches(path, "QOP/stockport"));
    EXPECT_TRUE(path_matches(path, "RWJ"));
    EXPECT_TRUE(path_matches(path, path));
    EXPECT_FALSE(path_matches(path, "QOP/bolton"));
    EXPECT_FALSE(path_matches(path, "stock"));
    EXPECT_FALSE(path_matches(path, "RW"));
    EXPECT_FALSE(path_matches("national/north-west/QOP", "QOP/stockport"));
}

}  // namespace
}  // namespace opel::engine

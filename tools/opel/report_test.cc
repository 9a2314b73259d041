#include "report.h"

#include <gtest/gtest.h>

#include <sstream>

namespace opel::cli {
namespace {

engine::Event alert_to(engine::Status to) {
    engine::Event e;
    e.kind = engine::EventKind::escalated;
    e.node_id = "RWJ";
    e.path = "national/north-west/QOP/stockport/RWJ";
    e.transition_id = "RWJ#2";
    e.from = engine::Status::opel2;
    e.to = to;
    e.actions = {{"site manager", "open escalation beds", 3}, {"bed manager", "hourly huddle", 2}};
    return e;
}

TEST(ReportTest, AnAlertListsTheNewLevelsActionsAndCountsTheRest) {
    std::ostringstream out;
    print_event(out, alert_to(engine::Status::opel3));
    EXPECT_NE(out.str().find("      site manager: open escalation beds\n"), std::string::npos);
    EXPECT_NE(out.str().find("(and 1 action carried over from lower levels)"), std::string::npos);
}

TEST(ReportTest, AnUnacknowledgedEscalationSaysWhatIsDoneAboutIt) {
    engine::Event e = alert_to(engine::Status::opel4);
    e.kind = engine::EventKind::unacknowledged;
    e.unacknowledged = engine::Unacknowledged{"RWJ#2",
                                              "stockport-locality",
                                              {},
                                              engine::Unacknowledged::FollowUp::step,
                                              1,
                                              {"director-on-call"},
                                              "opel-notifyd"};
    std::ostringstream out;
    print_event(out, e);
    EXPECT_EQ(out.str(),
              "  ! NOT ACKNOWLEDGED RWJ#2 (RWJ at OPEL 4): step 1 to director-on-call (route "
              "stockport-locality)\n");
}

// Found by fuzz_client: an alert whose new status is not a level (from a garbled or hostile
// feed) aborted `opel watch`.
TEST(ReportTest, AnAlertToAStatusThatIsNotALevelStillPrints) {
    std::ostringstream out;
    print_event(out, alert_to(engine::Status::stale));
    EXPECT_NE(out.str().find("OPEL 2 -> STALE"), std::string::npos);
    EXPECT_NE(out.str().find("(and 2 actions carried over"), std::string::npos);
}

}  // namespace
}  // namespace opel::cli

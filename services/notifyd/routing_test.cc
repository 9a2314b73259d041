#include "notifyd/routing.h"

#include <gtest/gtest.h>

namespace opel::notifyd {
namespace {

using engine::EventKind;
using engine::Status;

TimePoint at(std::string_view text) { return *parse_rfc3339(text); }

engine::Event event(EventKind kind, Status from, Status to,
                    std::string path = "national/north-west/QOP/stockport/RWJ") {
    engine::Event e;
    e.kind = kind;
    e.node_id = path.substr(path.rfind('/') + 1);
    e.path = std::move(path);
    e.transition_id = e.node_id + "#7";
    e.from = from;
    e.to = to;
    e.at = at("2026-01-13T08:00:00Z");
    return e;
}

const Receiver wog{ReceiverKind::email, "wog@example.nhs.uk"};
const Receiver director{ReceiverKind::email, "director@example.nhs.uk"};
const Receiver teams{ReceiverKind::teams, "https://example.invalid/teams"};

Routing routing() {
    Routing r;
    r.groups = {{"winter oversight group", {wog, teams}}, {"stockport on call", {director, teams}}};
    r.routes = {{"system OPEL 3+", "QOP", {}, 3, {}, {"winter oversight group"}, {}},
                {"stockport acute",
                 "QOP/stockport",
                 {},
                 1,
                 {engine::ProviderType::acute},
                 {"stockport on call"},
                 {}}};
    return r;
}

std::vector<std::string> targets(const std::vector<Delivery>& ds) {
    std::vector<std::string> out;
    for (const Delivery& d : ds) {
        out.push_back(d.receiver.target);
    }
    return out;
}

const TimePoint now = at("2026-01-13T08:01:00Z");

TEST(RoutingTest, AnEscalationReachesEveryMatchingGroupAndEachReceiverOnce) {
    const auto ds = route(event(EventKind::escalated, Status::opel3, Status::opel4),
                          engine::ProviderType::acute, routing(), now);
    EXPECT_EQ(targets(ds), (std::vector<std::string>{wog.target, teams.target, director.target}));
    EXPECT_EQ(ds[0].key, "RWJ#7/wog@example.nhs.uk");
    EXPECT_EQ(ds[0].group, "winter oversight group");
    EXPECT_EQ(ds[1].group, "winter oversight group");  // named first there
}

TEST(RoutingTest, MinimumLevelLetsTheStandDownFromItThrough) {
    const Routing r = routing();
    // OPEL 1 -> 2 in Stockport: the local on-call group only.
    EXPECT_EQ(targets(route(event(EventKind::escalated, Status::opel1, Status::opel2),
                            engine::ProviderType::acute, r, now)),
              (std::vector<std::string>{director.target, teams.target}));
    // OPEL 3 -> 2: the oversight group heard of OPEL 3, so it hears the stand-down.
    EXPECT_EQ(targets(route(event(EventKind::deescalated, Status::opel3, Status::opel2),
                            engine::ProviderType::acute, r, now))
                  .size(),
              3U);
    // STALE always passes a level filter: a silent hospital is news at any level.
    EXPECT_EQ(targets(route(event(EventKind::stale, Status::opel1, Status::stale),
                            engine::ProviderType::acute, r, now))
                  .size(),
              3U);
}

TEST(RoutingTest, SustainedPressureMeetsALevelFilterByItsLevel) {
    Routing r = routing();
    r.routes[0].min_level = 4;  // the oversight group: OPEL 4 only
    const auto at3 = event(EventKind::sustained_pressure, Status::opel3, Status::opel3);
    EXPECT_EQ(targets(route(at3, engine::ProviderType::acute, r, now)),
              (std::vector<std::string>{director.target, teams.target}));
    const auto at4 = event(EventKind::sustained_pressure, Status::opel4, Status::opel4);
    EXPECT_EQ(targets(route(at4, engine::ProviderType::acute, r, now)).size(), 3U);
}

TEST(RoutingTest, SubtreeProviderTypeAndKindsFilter) {
    Routing r = routing();
    // Not under stockport, not acute: only routes without those filters match.
    EXPECT_EQ(targets(route(event(EventKind::escalated, Status::opel3, Status::opel4,
                                  "national/north-west/QOP/bolton/RMC"),
                            engine::ProviderType::acute, r, now)),
              (std::vector<std::string>{wog.target, teams.target}));
    EXPECT_EQ(targets(route(event(EventKind::escalated, Status::opel1, Status::opel2),
                            engine::ProviderType::community, r, now)),
              std::vector<std::string>{});
    r.routes[1].kinds = {EventKind::stale};
    EXPECT_EQ(targets(route(event(EventKind::escalated, Status::opel1, Status::opel2),
                            engine::ProviderType::acute, r, now)),
              std::vector<std::string>{});
    // A configuration reload is nobody's alert unless a route names it.
    engine::Event reload =
        event(EventKind::config_reloaded, Status::opel1, Status::opel1, "national");
    reload.transition_id.clear();
    EXPECT_TRUE(route(reload, engine::ProviderType::none, routing(), now).empty());
    // Nor is this daemon's own report of a reminder or step (its people were told already),
    // unless a route names it (a co-ordination centre's webhook that logs every one).
    const engine::Event unacknowledged =
        event(EventKind::unacknowledged, Status::opel4, Status::opel4);
    EXPECT_TRUE(route(unacknowledged, engine::ProviderType::acute, routing(), now).empty());
    r = routing();
    r.routes[0].kinds = {EventKind::unacknowledged};
    EXPECT_EQ(route(unacknowledged, engine::ProviderType::acute, r, now).size(), 2U);
}

TEST(RoutingTest, ASilenceQuietensWhatItCoversWhileItLasts) {
    Routing r = routing();
    r.silences.push_back({"QOP/stockport",
                          {EventKind::escalated},
                          "planned IT outage",
                          "Jane Smith",
                          at("2026-01-13T07:00:00Z"),
                          at("2026-01-13T09:00:00Z")});
    const engine::Event e = event(EventKind::escalated, Status::opel3, Status::opel4);
    ASSERT_NE(silenced_by(e, r, now), nullptr);
    EXPECT_EQ(silenced_by(e, r, now)->reason, "planned IT outage");
    EXPECT_TRUE(route(e, engine::ProviderType::acute, r, now).empty());
    EXPECT_EQ(route(e, engine::ProviderType::acute, r, at("2026-01-13T09:00:00Z")).size(), 3U);
    EXPECT_EQ(route(event(EventKind::stale, Status::opel3, Status::stale),
                    engine::ProviderType::acute, r, now)
                  .size(),
              3U);  // another kind
}

TEST(RoutingTest, EventsWithoutATransitionHaveStableIdsOfTheirOwn) {
    engine::Event ack = event(EventKind::acknowledged, Status::opel4, Status::opel4);
    EXPECT_EQ(event_id(ack), "RWJ/acknowledged/2026-01-13T08:00:00Z/RWJ#7");
    engine::Event mismatch = event(EventKind::declared_mismatch, Status::opel2, Status::opel2);
    mismatch.transition_id.clear();
    EXPECT_EQ(event_id(mismatch), "RWJ/declared_mismatch/2026-01-13T08:00:00Z");
    EXPECT_EQ(event_id(event(EventKind::escalated, Status::opel3, Status::opel4)), "RWJ#7");
    // News about the current transition carries its id but never takes it: a mismatch or a
    // sustained run must not be de-duplicated against the escalation it is about.
    const engine::Event about = event(EventKind::declared_mismatch, Status::opel4, Status::opel4);
    EXPECT_EQ(event_id(about), "RWJ/declared_mismatch/2026-01-13T08:00:00Z/RWJ#7");
    const engine::Event run = event(EventKind::sustained_pressure, Status::opel4, Status::opel4);
    EXPECT_EQ(event_id(run), "RWJ/sustained_pressure/2026-01-13T08:00:00Z/RWJ#7");
}

TEST(RoutingTest, SustainedPressureAndTheNoSystemCardNoteAreSaid) {
    engine::Event run = event(EventKind::sustained_pressure, Status::opel4, Status::opel4);
    run.pressure_since = at("2026-01-12T20:00:00Z");
    EXPECT_EQ(
        subject(run, "Stepping Hill"),
        "[SUSTAINED OPEL 4] Stepping Hill (RWJ) at OPEL 3 or above since 2026-01-12 20:00 GMT "
        "— 08:00 GMT");
    run.actions_note = "No system action card for Stockport (stockport): agree one.";
    EXPECT_NE(text_body(run, "Stepping Hill").find(run.actions_note), std::string::npos);
}

TEST(RoutingTest, SubjectsSayWhatHappenedWhereAndWhen) {
    EXPECT_EQ(subject(event(EventKind::escalated, Status::opel3, Status::opel4), "Stepping Hill"),
              "[OPEL 4] Stepping Hill (RWJ) escalated from OPEL 3 — 08:00 GMT");
    engine::Event down = event(EventKind::deescalated, Status::opel4, Status::opel3);
    down.at = at("2026-07-13T08:00:00Z");
    EXPECT_EQ(subject(down, ""), "[OPEL 3] RWJ stood down from OPEL 4 — 09:00 BST");
    EXPECT_EQ(subject(event(EventKind::stale, Status::opel2, Status::stale), "Stepping Hill"),
              "[STALE] Stepping Hill (RWJ) has stopped reporting (was OPEL 2) — 08:00 GMT");
    engine::Event declared = event(EventKind::declared, Status::opel2, Status::opel2);
    declared.declared_level = 4;
    declared.by = "Dr Lee";
    EXPECT_EQ(subject(declared, "Stepping Hill"),
              "[DECLARED OPEL 4] Stepping Hill (RWJ) by Dr Lee — 08:00 GMT");
}

TEST(RoutingTest, TheBodyCarriesWhyTheNewLevelsActionsAndHowToAcknowledge) {
    engine::Event e = event(EventKind::escalated, Status::opel3, Status::opel4);
    e.result.decided_by = "total 31 is in the OPEL 4 band (>= 30)";
    e.actions = {{"site manager", "open the escalation ward", 4},
                 {"bed manager", "hourly bed meetings", 3}};
    const std::string body = text_body(e, "Stepping Hill");
    EXPECT_NE(body.find("Why: total 31 is in the OPEL 4 band (>= 30)\n"), std::string::npos);
    EXPECT_NE(body.find("Actions at OPEL 4:\n- site manager: open the escalation ward\n"),
              std::string::npos)
        << body;
    EXPECT_EQ(body.find("hourly bed meetings"), std::string::npos);  // a lower level's
    EXPECT_NE(body.find("opel ack RWJ#7 --by"), std::string::npos);
}

}  // namespace
}  // namespace opel::notifyd

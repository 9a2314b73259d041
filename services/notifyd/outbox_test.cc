#include "notifyd/outbox.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <random>

namespace opel::notifyd {
namespace {

namespace fs = std::filesystem;
using engine::EventKind;
using engine::Status;
using std::chrono::minutes;
using std::chrono::seconds;

TimePoint at(std::string_view text) { return *parse_rfc3339(text); }

// 2026-01-13T08:00:00Z on the wall clock.
const WallTime t0{Millis{1768291200000}};

// Milliseconds after t0 (readable when a test fails).
std::int64_t ms(WallTime t) { return (t - t0).count(); }
std::optional<std::int64_t> ms(std::optional<WallTime> t) {
    return t ? std::optional<std::int64_t>(ms(*t)) : std::nullopt;
}
const Receiver wog{ReceiverKind::email, "wog@example.nhs.uk"};
const Receiver teams{ReceiverKind::teams, "https://example.webhook.office.com/webhookb2/abc"};

engine::Event event(const std::string& node, int n, EventKind kind = EventKind::escalated,
                    Status from = Status::opel3, Status to = Status::opel4) {
    engine::Event e;
    e.kind = kind;
    e.node_id = node;
    e.path = "national/north-west/QOP/stockport/" + node;
    e.transition_id = node + "#" + std::to_string(n);
    e.from = from;
    e.to = to;
    e.at = at("2026-01-13T08:00:00Z");
    return e;
}

StoredDelivery delivery(const engine::Event& e, const Receiver& r, WallTime created,
                        std::string route = "system OPEL 3+") {
    return {e.transition_id + "/" + receiver_id(r),
            std::move(route),
            "winter oversight group",
            r,
            e,
            created};
}

OpenEscalation escalation(const engine::Event& e, TimePoint opened,
                          std::string route = "system OPEL 3+") {
    return {e.transition_id, std::move(route), opened, 0, 0, e};
}

OutMessage out_message(const std::string& key, const Receiver& r, WallTime created) {
    OutMessage m;
    m.key = key;
    m.receiver = r;
    m.content.subject = "[OPEL 4] Stepping Hill (RWJ) escalated from OPEL 3 — 08:00 GMT";
    m.content.content_type = "text/plain";
    // Bytes as they are: non-ASCII, a NUL, CR LF, and a byte that is not UTF-8.
    m.content.body = "body of " + key + " \xE2\x80\x94 ";
    m.content.body.push_back('\0');
    m.content.body += " \r\n\xFF end";
    m.content.body.push_back('\0');
    m.content.html = "<p>" + key + "</p>";
    m.content.headers = {"From: OPEL <opel@example.nhs.uk>", "To: " + r.target,
                         "Subject: =?UTF-8?B?W09QRUwgNF0=?=", "X-OPEL-Idempotency-Key: " + key};
    m.state = DeliveryState::pending;
    m.created = created;
    m.next_attempt = created;
    return m;
}

std::vector<std::string> keys(const std::vector<StoredDelivery>& ds) {
    std::vector<std::string> out;
    out.reserve(ds.size());
    for (const StoredDelivery& d : ds) {
        out.push_back(d.key);
    }
    return out;
}

std::vector<std::string> keys(const std::vector<OutMessage>& ms) {
    std::vector<std::string> out;
    out.reserve(ms.size());
    for (const OutMessage& m : ms) {
        out.push_back(m.key);
    }
    return out;
}

using Keys = std::vector<std::string>;

class OutboxTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("opel-outbox-test-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        path_ = (dir_ / "notify.db").string();
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<Outbox> open(bool read_only = false) {
        auto o = Outbox::open(path_, read_only);
        EXPECT_TRUE(o.has_value()) << (o ? "" : o.error());
        return o ? std::move(o).value() : nullptr;
    }

    // What the public interface does not show: a column of one message row, read by SQL.
    std::optional<std::int64_t> sent_ms(const std::string& key) const {
        sqlite3* db = nullptr;
        std::optional<std::int64_t> out;
        if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
            sqlite3_stmt* s = nullptr;
            sqlite3_prepare_v2(db, "SELECT sent_ms FROM messages WHERE key = ?", -1, &s, nullptr);
            sqlite3_bind_text(s, 1, key.c_str(), -1, SQLITE_TRANSIENT);
            if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
                out = sqlite3_column_int64(s, 0);
            }
            sqlite3_finalize(s);
        }
        sqlite3_close(db);
        return out;
    }

    fs::path dir_;
    std::string path_;
};

void expect_same_content(const OutMessage& got, const OutMessage& want) {
    EXPECT_EQ(got.key, want.key);
    EXPECT_EQ(got.receiver, want.receiver);
    EXPECT_EQ(got.content.subject, want.content.subject);
    EXPECT_EQ(got.content.content_type, want.content.content_type);
    EXPECT_EQ(got.content.body, want.content.body);
    EXPECT_EQ(got.content.body.size(), want.content.body.size());
    EXPECT_EQ(got.content.html, want.content.html);
    EXPECT_EQ(got.content.headers, want.content.headers);
    EXPECT_EQ(ms(got.created), ms(want.created));
}

TEST_F(OutboxTest, ANewOutboxIsEmptyAndHasNoPosition) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    const auto position = outbox->position();
    ASSERT_TRUE(position.has_value()) << position.error();
    EXPECT_FALSE(position->known);
    EXPECT_EQ(position->epoch, 0U);
    EXPECT_EQ(position->sequence, 0U);
    EXPECT_TRUE(outbox->waiting()->empty());
    EXPECT_TRUE(outbox->due(t0 + std::chrono::days(365), 100)->empty());
    EXPECT_EQ(ms(*outbox->next_due()), std::nullopt);
    EXPECT_TRUE(outbox->open_escalations()->empty());
    const auto counts = outbox->counts();
    ASSERT_TRUE(counts.has_value()) << counts.error();
    EXPECT_TRUE(counts->by_state_and_kind.empty());
    EXPECT_EQ(ms(counts->oldest_unsent), std::nullopt);
    EXPECT_EQ(counts->open_escalations, 0);
    EXPECT_EQ(counts->waiting_deliveries, 0);
}

TEST_F(OutboxTest, TheDatabaseItsWalAndSharedMemoryAreOwnerOnly) {
    const mode_t was = ::umask(0);  // a permissive umask: the outbox must not rely on ours
    {
        auto outbox = open();
        ASSERT_TRUE(outbox);
        ASSERT_TRUE(outbox->record({1, 1, true}, {delivery(event("RWJ", 7), wog, t0)}, {}, {}));
        for (const char* suffix : {"", "-wal", "-shm"}) {
            struct stat st {};
            ASSERT_EQ(::stat((path_ + suffix).c_str(), &st), 0) << suffix;
            EXPECT_EQ(st.st_mode & 0777U, 0600U) << path_ << suffix;
        }
    }
    EXPECT_EQ(::umask(was), 0U) << "open() puts the umask back";
}

TEST_F(OutboxTest, RecordStoresDeliveriesEscalationsAndThePosition) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    const engine::Event rwj = event("RWJ", 7);
    const StoredDelivery d1 = delivery(rwj, wog, t0);
    const StoredDelivery d2 = delivery(rwj, teams, t0 + Millis{1});
    const auto added =
        outbox->record({3, 42, true}, {d1, d2}, {escalation(rwj, at("2026-01-13T08:00:00Z"))}, {});
    ASSERT_TRUE(added.has_value()) << added.error();
    EXPECT_EQ(*added, (Keys{d1.key, d2.key}));

    const auto position = outbox->position();
    ASSERT_TRUE(position.has_value());
    EXPECT_TRUE(position->known);
    EXPECT_EQ(position->epoch, 3U);
    EXPECT_EQ(position->sequence, 42U);

    const auto waiting = outbox->waiting();
    ASSERT_TRUE(waiting.has_value()) << waiting.error();
    ASSERT_EQ(waiting->size(), 2U);
    const StoredDelivery& w = (*waiting)[1];
    EXPECT_EQ(w.key, d2.key);
    EXPECT_EQ(w.route, "system OPEL 3+");
    EXPECT_EQ(w.group, "winter oversight group");
    EXPECT_EQ(w.receiver, teams);
    EXPECT_EQ(ms(w.created), ms(t0 + Millis{1}));
    EXPECT_EQ(w.event.kind, EventKind::escalated);
    EXPECT_EQ(w.event.node_id, "RWJ");
    EXPECT_EQ(w.event.path, rwj.path);
    EXPECT_EQ(w.event.transition_id, "RWJ#7");
    EXPECT_EQ(w.event.from, Status::opel3);
    EXPECT_EQ(w.event.to, Status::opel4);
    EXPECT_EQ(w.event.at, rwj.at);

    const auto open_escalations = outbox->open_escalations();
    ASSERT_TRUE(open_escalations.has_value());
    ASSERT_EQ(open_escalations->size(), 1U);
    const OpenEscalation& e = open_escalations->front();
    EXPECT_EQ(e.transition_id, "RWJ#7");
    EXPECT_EQ(e.route, "system OPEL 3+");
    EXPECT_EQ(e.opened_at, at("2026-01-13T08:00:00Z"));
    EXPECT_EQ(e.reminders, 0);
    EXPECT_EQ(e.steps_done, 0);
    EXPECT_EQ(e.event.transition_id, "RWJ#7");
    EXPECT_EQ(e.event.node_id, "RWJ");

    const auto counts = outbox->counts();
    ASSERT_TRUE(counts.has_value());
    EXPECT_EQ(counts->waiting_deliveries, 2);
    EXPECT_EQ(counts->open_escalations, 1);
}

TEST_F(OutboxTest, ARepeatedDeliveryKeyIsLeftAsItIs) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    const engine::Event rwj = event("RWJ", 7);
    const StoredDelivery first = delivery(rwj, wog, t0);
    ASSERT_TRUE(outbox->record({1, 1, true}, {first}, {}, {}));

    StoredDelivery again = first;  // the same publication handled again after a restart
    again.route = "another route";
    again.created = t0 + minutes(5);
    const StoredDelivery fresh = delivery(event("RMC", 2), wog, t0 + minutes(5));
    const auto added = outbox->record({1, 2, true}, {again, fresh}, {}, {});
    ASSERT_TRUE(added.has_value()) << added.error();
    EXPECT_EQ(*added, Keys{fresh.key}) << "only the new key";

    const auto waiting = outbox->waiting();
    ASSERT_TRUE(waiting.has_value());
    EXPECT_EQ(keys(*waiting), (Keys{first.key, fresh.key}));
    EXPECT_EQ(waiting->front().route, "system OPEL 3+");
    EXPECT_EQ(ms(waiting->front().created), ms(t0));
    EXPECT_EQ(outbox->position()->sequence, 2U);
}

TEST_F(OutboxTest, WaitingIsOldestFirst) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    const StoredDelivery late = delivery(event("RWJ", 7), wog, t0 + seconds(2));
    const StoredDelivery early = delivery(event("RMC", 3), wog, t0);
    const StoredDelivery tie_a = delivery(event("QOP", 1), wog, t0 + seconds(1));
    const StoredDelivery tie_b = delivery(event("QOP", 1), teams, t0 + seconds(1));
    ASSERT_TRUE(outbox->record({1, 1, true}, {late}, {}, {}));
    ASSERT_TRUE(outbox->record({1, 2, true}, {early, tie_a, tie_b}, {}, {}));
    EXPECT_EQ(keys(*outbox->waiting()), (Keys{early.key, tie_a.key, tie_b.key, late.key}));
}

TEST_F(OutboxTest, MessagesTakeTheirDeliveriesOutOfWaiting) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    const StoredDelivery a = delivery(event("RWJ", 7), wog, t0);
    const StoredDelivery b = delivery(event("stockport", 2), wog, t0);
    const StoredDelivery c = delivery(event("RWJ", 7), teams, t0);
    ASSERT_TRUE(outbox->record({1, 1, true}, {a, b, c}, {}, {}));

    const auto added =
        outbox->add_messages({out_message(a.key, wog, t0 + seconds(10))}, {{a.key, b.key}});
    ASSERT_TRUE(added.has_value()) << added.error();
    EXPECT_EQ(keys(*outbox->waiting()), Keys{c.key});
    EXPECT_EQ(outbox->counts()->waiting_deliveries, 1);
    EXPECT_EQ(keys(*outbox->due(t0 + seconds(10), 10)), Keys{a.key});
}

TEST_F(OutboxTest, AFollowUpMessageAdvancesItsEscalationsCounters) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    const engine::Event rwj = event("RWJ", 7);
    OpenEscalation open = escalation(rwj, at("2026-01-13T08:00:00Z"));
    ASSERT_TRUE(outbox->record({1, 1, true}, {}, {open}, {}));

    open.reminders = 3;
    open.steps_done = 1;
    ASSERT_TRUE(outbox->add_messages({out_message("RWJ#7/reminder-3/wog@example.nhs.uk", wog, t0)},
                                     {{}}, open));
    const auto stored = outbox->open_escalations();
    ASSERT_TRUE(stored.has_value());
    ASSERT_EQ(stored->size(), 1U);
    EXPECT_EQ(stored->front().reminders, 3);
    EXPECT_EQ(stored->front().steps_done, 1);
    EXPECT_EQ(outbox->counts()->by_state_and_kind.at({"pending", "email"}), 1);
}

// The same publication handled again after a crash must not restart an escalation's timers
// or reopen one already closed.
TEST_F(OutboxTest, RecordingAnOpenedEscalationAgainKeepsItsCountersAndState) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    const engine::Event rwj = event("RWJ", 7);
    const engine::Event rmc = event("RMC", 2);
    OpenEscalation open = escalation(rwj, at("2026-01-13T08:00:00Z"));
    ASSERT_TRUE(
        outbox->record({1, 1, true}, {}, {open, escalation(rmc, at("2026-01-13T08:01:00Z"))}, {}));
    open.reminders = 2;
    ASSERT_TRUE(outbox->add_messages({}, {}, open));
    ASSERT_TRUE(outbox->record(
        {1, 2, true}, {}, {},
        {{"RMC#2", "system OPEL 3+", "acknowledged", "Dr Lee", at("2026-01-13T08:05:00Z")}}));

    ASSERT_TRUE(outbox->record(
        {1, 1, true}, {},
        {escalation(rwj, at("2026-01-13T09:00:00Z")), escalation(rmc, at("2026-01-13T09:00:00Z"))},
        {}));
    const auto stored = outbox->open_escalations();
    ASSERT_TRUE(stored.has_value());
    ASSERT_EQ(stored->size(), 1U);
    EXPECT_EQ(stored->front().transition_id, "RWJ#7");
    EXPECT_EQ(stored->front().opened_at, at("2026-01-13T08:00:00Z"));
    EXPECT_EQ(stored->front().reminders, 2);
}

TEST_F(OutboxTest, ClosedEscalationsLeaveTheOpenOnes) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    const engine::Event rwj = event("RWJ", 7);
    const engine::Event rmc = event("RMC", 2);
    const engine::Event qop = event("QOP", 4);
    ASSERT_TRUE(outbox->record(
        {1, 1, true}, {},
        {escalation(rmc, at("2026-01-13T08:02:00Z")), escalation(rwj, at("2026-01-13T08:00:00Z")),
         escalation(rwj, at("2026-01-13T08:00:00Z"), "stockport acute"),
         escalation(qop, at("2026-01-13T08:01:00Z"))},
        {}));
    EXPECT_EQ(outbox->counts()->open_escalations, 4);
    ASSERT_TRUE(outbox->record(
        {1, 2, true}, {}, {},
        {{"RWJ#7", "system OPEL 3+", "acknowledged", "Dr Lee", at("2026-01-13T08:10:00Z")},
         {"QOP#4", "system OPEL 3+", "superseded", "QOP#5", at("2026-01-13T08:11:00Z")},
         {"RMC#2", "no such route", "acknowledged", "Dr Lee", at("2026-01-13T08:12:00Z")}}));
    const auto stored = outbox->open_escalations();
    ASSERT_TRUE(stored.has_value());
    std::vector<std::pair<std::string, std::string>> open;
    for (const OpenEscalation& e : *stored) {
        open.emplace_back(e.transition_id, e.route);
    }
    // Oldest first; closing one route's escalation leaves the other route's open.
    EXPECT_EQ(open, (std::vector<std::pair<std::string, std::string>>{
                        {"RWJ#7", "stockport acute"}, {"RMC#2", "system OPEL 3+"}}));
    EXPECT_EQ(outbox->counts()->open_escalations, 2);
}

TEST_F(OutboxTest, DueMessagesArePendingOrRetryingAndDueByNowOldestFirst) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    const OutMessage m1 = out_message("m1", wog, t0);
    const OutMessage m2 = out_message("m2", teams, t0 + seconds(1));
    OutMessage later = out_message("later", wog, t0 + seconds(2));
    later.next_attempt = t0 + minutes(5);
    ASSERT_TRUE(outbox->add_messages({later, m2, m1}, {}));

    EXPECT_TRUE(outbox->due(t0 - Millis{1}, 10)->empty());
    EXPECT_EQ(keys(*outbox->due(t0, 10)), Keys{"m1"});
    const auto due = outbox->due(t0 + minutes(1), 10);
    ASSERT_TRUE(due.has_value()) << due.error();
    EXPECT_EQ(keys(*due), (Keys{"m1", "m2"}));
    expect_same_content((*due)[0], m1);
    expect_same_content((*due)[1], m2);
    EXPECT_EQ((*due)[0].state, DeliveryState::pending);
    EXPECT_EQ((*due)[0].attempts, 0);
    EXPECT_EQ(ms((*due)[0].next_attempt), ms(t0));
    EXPECT_EQ(ms((*due)[0].sent_at), std::nullopt);
    EXPECT_EQ(keys(*outbox->due(t0 + minutes(5), 10)), (Keys{"m1", "m2", "later"}));
    EXPECT_EQ(keys(*outbox->due(t0 + minutes(5), 2)), (Keys{"m1", "m2"})) << "the limit";
    EXPECT_EQ(ms(*outbox->next_due()), ms(t0));
}

TEST_F(OutboxTest, AMessageKeyIsStoredOnce) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    const OutMessage m = out_message("m1", wog, t0);
    ASSERT_TRUE(outbox->add_messages({m}, {}));
    OutMessage again = out_message("m1", wog, t0 + seconds(5));
    again.content.body = "re-rendered";
    ASSERT_TRUE(outbox->add_messages({again}, {}));
    const auto due = outbox->due(t0 + minutes(1), 10);
    ASSERT_EQ(due->size(), 1U);
    expect_same_content(due->front(), m);
}

TEST_F(OutboxTest, AttemptsMoveTheStateAndARetrySendsTheSameBytes) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    const OutMessage m = out_message("m1", teams, t0);
    ASSERT_TRUE(outbox->add_messages({m}, {}));

    ASSERT_TRUE(outbox->attempted("m1", DeliveryState::retrying, 1, t0 + seconds(5), "HTTP 503",
                                  t0 + seconds(1)));
    EXPECT_TRUE(outbox->due(t0 + seconds(4), 10)->empty());
    EXPECT_EQ(ms(*outbox->next_due()), ms(t0 + seconds(5)));
    auto due = outbox->due(t0 + seconds(5), 10);
    ASSERT_EQ(due->size(), 1U);
    expect_same_content(due->front(), m);
    EXPECT_EQ(due->front().state, DeliveryState::retrying);
    EXPECT_EQ(due->front().attempts, 1);
    EXPECT_EQ(due->front().last_error, "HTTP 503");
    EXPECT_EQ(ms(due->front().next_attempt), ms(t0 + seconds(5)));
    EXPECT_EQ(sent_ms("m1"), std::nullopt);
    EXPECT_EQ(outbox->counts()->by_state_and_kind.at({"retrying", "teams"}), 1);

    ASSERT_TRUE(
        outbox->attempted("m1", DeliveryState::sent, 2, t0 + seconds(6), "", t0 + seconds(6)));
    EXPECT_TRUE(outbox->due(t0 + std::chrono::days(1), 10)->empty());
    EXPECT_EQ(ms(*outbox->next_due()), std::nullopt);
    EXPECT_EQ(sent_ms("m1"), (t0 + seconds(6)).time_since_epoch().count());
    const auto counts = outbox->counts();
    EXPECT_EQ(counts->by_state_and_kind.at({"sent", "teams"}), 1);
    EXPECT_EQ(counts->by_state_and_kind.count({"retrying", "teams"}), 0U);
    EXPECT_EQ(ms(counts->oldest_unsent), std::nullopt);
}

TEST_F(OutboxTest, AFailedMessageIsNotAttemptedAgain) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    ASSERT_TRUE(outbox->add_messages({out_message("m1", wog, t0)}, {}));
    ASSERT_TRUE(outbox->attempted("m1", DeliveryState::failed, 1, t0 + seconds(1),
                                  "SMTP 550 mailbox unavailable", t0 + seconds(1)));
    EXPECT_TRUE(outbox->due(t0 + std::chrono::days(1), 10)->empty());
    EXPECT_EQ(sent_ms("m1"), std::nullopt);
    EXPECT_EQ(outbox->counts()->by_state_and_kind.at({"failed", "email"}), 1);
}

TEST_F(OutboxTest, CountsByStateAndKindOldestUnsentOpenEscalationsAndWaiting) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    const engine::Event rwj = event("RWJ", 7);
    ASSERT_TRUE(outbox->record(
        {1, 1, true},
        {delivery(rwj, wog, t0), delivery(rwj, teams, t0), delivery(event("RMC", 1), wog, t0)},
        {escalation(rwj, at("2026-01-13T08:00:00Z"))}, {}));
    ASSERT_TRUE(outbox->add_messages(
        {out_message("e1", wog, t0 + seconds(1)), out_message("e2", wog, t0 + seconds(2)),
         out_message("t1", teams, t0 + seconds(3)), out_message("t2", teams, t0 + seconds(4))},
        {{delivery(rwj, wog, t0).key}}));
    ASSERT_TRUE(outbox->attempted("e1", DeliveryState::sent, 1, t0, "", t0 + seconds(5)));
    ASSERT_TRUE(outbox->attempted("e2", DeliveryState::retrying, 1, t0 + minutes(1), "timeout",
                                  t0 + seconds(5)));
    ASSERT_TRUE(outbox->attempted("t1", DeliveryState::failed, 1, t0, "HTTP 404", t0 + seconds(5)));

    const auto counts = outbox->counts();
    ASSERT_TRUE(counts.has_value()) << counts.error();
    const std::map<std::pair<std::string, std::string>, std::int64_t> want = {
        {{"sent", "email"}, 1},
        {{"retrying", "email"}, 1},
        {{"failed", "teams"}, 1},
        {{"pending", "teams"}, 1}};
    EXPECT_EQ(counts->by_state_and_kind, want);
    EXPECT_EQ(ms(counts->oldest_unsent), ms(t0 + seconds(2)));  // e2, created before t2
    EXPECT_EQ(counts->open_escalations, 1);
    EXPECT_EQ(counts->waiting_deliveries, 2);
}

TEST_F(OutboxTest, SetPositionMovesThePositionAlone) {
    auto outbox = open();
    ASSERT_TRUE(outbox);
    ASSERT_TRUE(outbox->record({1, 1, true}, {delivery(event("RWJ", 7), wog, t0)}, {}, {}));
    ASSERT_TRUE(outbox->set_position({7, 9000, true}));
    const auto position = outbox->position();
    ASSERT_TRUE(position.has_value());
    EXPECT_TRUE(position->known);
    EXPECT_EQ(position->epoch, 7U);
    EXPECT_EQ(position->sequence, 9000U);
    EXPECT_EQ(outbox->waiting()->size(), 1U);

    ASSERT_TRUE(outbox->set_position({std::uint64_t{1} << 62U, 0, true}));
    EXPECT_EQ(outbox->position()->epoch, std::uint64_t{1} << 62U);
    EXPECT_EQ(outbox->position()->sequence, 0U);
    EXPECT_TRUE(outbox->position()->known) << "sequence 0 is a position all the same";
}

// kill -9 and a restart: everything stored is there when the outbox is opened again.
TEST_F(OutboxTest, EverythingSurvivesARestart) {
    const engine::Event rwj = event("RWJ", 7);
    const engine::Event rmc = event("RMC", 2);
    const OutMessage m1 = out_message("m1", wog, t0);
    const OutMessage m2 = out_message("m2", teams, t0 + seconds(1));
    {
        auto outbox = open();
        ASSERT_TRUE(outbox);
        ASSERT_TRUE(outbox->record({4, 77, true},
                                   {delivery(rwj, wog, t0), delivery(rmc, wog, t0 + seconds(1))},
                                   {escalation(rwj, at("2026-01-13T08:00:00Z")),
                                    escalation(rmc, at("2026-01-13T08:00:30Z"))},
                                   {}));
        OpenEscalation advanced = escalation(rwj, at("2026-01-13T08:00:00Z"));
        advanced.reminders = 1;
        ASSERT_TRUE(outbox->add_messages({m1, m2}, {{delivery(rwj, wog, t0).key}}, advanced));
        ASSERT_TRUE(outbox->attempted("m2", DeliveryState::retrying, 1, t0 + seconds(30),
                                      "HTTP 503", t0 + seconds(2)));
        ASSERT_TRUE(outbox->record(
            {4, 78, true}, {}, {},
            {{"RMC#2", "system OPEL 3+", "acknowledged", "Dr Lee", at("2026-01-13T08:03:00Z")}}));
    }
    auto outbox = open();
    ASSERT_TRUE(outbox);
    const auto position = outbox->position();
    ASSERT_TRUE(position.has_value());
    EXPECT_TRUE(position->known);
    EXPECT_EQ(position->epoch, 4U);
    EXPECT_EQ(position->sequence, 78U);
    EXPECT_EQ(keys(*outbox->waiting()), Keys{delivery(rmc, wog, t0).key});
    const auto open_escalations = outbox->open_escalations();
    ASSERT_EQ(open_escalations->size(), 1U);
    EXPECT_EQ(open_escalations->front().transition_id, "RWJ#7");
    EXPECT_EQ(open_escalations->front().reminders, 1);
    EXPECT_EQ(open_escalations->front().event.to, Status::opel4);
    const auto due = outbox->due(t0 + minutes(1), 10);
    ASSERT_EQ(keys(*due), (Keys{"m1", "m2"}));
    expect_same_content((*due)[0], m1);
    expect_same_content((*due)[1], m2);
    EXPECT_EQ((*due)[1].state, DeliveryState::retrying);
    EXPECT_EQ((*due)[1].attempts, 1);
    EXPECT_EQ((*due)[1].last_error, "HTTP 503");
    const auto counts = outbox->counts();
    EXPECT_EQ(counts->open_escalations, 1);
    EXPECT_EQ(counts->waiting_deliveries, 1);
    EXPECT_EQ(ms(counts->oldest_unsent), ms(t0));
}

TEST_F(OutboxTest, AReadOnlyOpenSeesWhatWasStored) {
    {
        auto outbox = open();
        ASSERT_TRUE(outbox);
        ASSERT_TRUE(outbox->record({2, 5, true}, {delivery(event("RWJ", 7), wog, t0)}, {}, {}));
    }
    auto reader = open(true);
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->position()->sequence, 5U);
    EXPECT_EQ(reader->counts()->waiting_deliveries, 1);
}

TEST_F(OutboxTest, AnOutboxOfAnotherSchemaVersionIsRefused) {
    ASSERT_TRUE(open());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = 2 WHERE key = 'schema'", nullptr, nullptr,
                           nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    const auto reopened = Outbox::open(path_);
    ASSERT_FALSE(reopened.has_value());
    EXPECT_NE(reopened.error().find("schema version 2"), std::string::npos) << reopened.error();
}

TEST_F(OutboxTest, AnUnopenablePathIsAnErrorNamingIt) {
    const std::string missing = (dir_ / "no-such-dir" / "notify.db").string();
    const auto outbox = Outbox::open(missing);
    ASSERT_FALSE(outbox.has_value());
    EXPECT_NE(outbox.error().find(missing), std::string::npos) << outbox.error();
}

}  // namespace
}  // namespace opel::notifyd

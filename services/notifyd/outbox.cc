#include "notifyd/outbox.h"

#include <sqlite3.h>
#include <sys/stat.h>

#include <algorithm>

#include "adapters/codec/notification.h"

namespace opel::notifyd {
namespace {

constexpr int schema_version = 1;

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deliveries (
  key TEXT PRIMARY KEY,          -- "<event id>/<receiver id>"
  route TEXT NOT NULL,
  grp TEXT NOT NULL,
  kind TEXT NOT NULL,            -- webhook, teams, slack, email
  target TEXT NOT NULL,
  node TEXT NOT NULL,
  transition_id TEXT NOT NULL,
  event_kind TEXT NOT NULL,
  event BLOB NOT NULL,           -- opel.v1.Event
  created_ms INTEGER NOT NULL,
  message TEXT                   -- messages.key; NULL while held for grouping
);
CREATE INDEX IF NOT EXISTS deliveries_waiting ON deliveries (created_ms) WHERE message IS NULL;
CREATE INDEX IF NOT EXISTS deliveries_message ON deliveries (message);
CREATE TABLE IF NOT EXISTS messages (
  key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  target TEXT NOT NULL,
  state TEXT NOT NULL,           -- pending, retrying, sent, failed
  attempts INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  next_ms INTEGER NOT NULL,
  sent_ms INTEGER,
  last_error TEXT NOT NULL,
  subject TEXT NOT NULL,
  content_type TEXT NOT NULL,
  body BLOB NOT NULL,
  html BLOB NOT NULL,
  headers TEXT NOT NULL          -- one per line
);
CREATE INDEX IF NOT EXISTS messages_due ON messages (next_ms) WHERE state IN ('pending', 'retrying');
CREATE TABLE IF NOT EXISTS escalations (
  transition_id TEXT NOT NULL,
  route TEXT NOT NULL,
  node TEXT NOT NULL,
  opened_s INTEGER NOT NULL,     -- policy clock
  reminders INTEGER NOT NULL,
  steps_done INTEGER NOT NULL,
  state TEXT NOT NULL,           -- open, acknowledged, superseded
  closed_by TEXT NOT NULL,
  closed_s INTEGER,
  event BLOB NOT NULL,
  PRIMARY KEY (transition_id, route)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS escalations_open ON escalations (node) WHERE state = 'open';
)sql";

DeliveryState state_of(std::string_view s) {
    return s == "retrying" ? DeliveryState::retrying
           : s == "sent"   ? DeliveryState::sent
           : s == "failed" ? DeliveryState::failed
                           : DeliveryState::pending;
}

using codec::event_bytes;

// An event stored by this outbox; one that no longer parses (a damaged row) is shown as an
// event of unknown kind rather than stopping the daemon.
engine::Event event_of(std::string_view bytes) {
    return codec::event_from_bytes(bytes).value_or(engine::Event{});
}

std::string join_lines(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& l : lines) {
        out += l + "\n";
    }
    return out;
}

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> out;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        out.emplace_back(text.substr(0, end));
        text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    }
    return out;
}

// A prepared statement, finalized when the scope ends.
class Statement {
public:
    Statement(sqlite3* db, const char* sql) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK) {
            error_ = sqlite3_errmsg(db);
        }
    }
    ~Statement() { sqlite3_finalize(s_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    Statement& bind(int i, std::string_view v) {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Statement& blob(int i, std::string_view v) {
        sqlite3_bind_blob(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Statement& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(s_, i, v);
        return *this;
    }
    Statement& null(int i) {
        sqlite3_bind_null(s_, i);
        return *this;
    }
    // Steps once: true for a row, false when done; an error is kept for `error()`.
    bool row() {
        if (!error_.empty()) {
            return false;
        }
        const int rc = sqlite3_step(s_);
        if (rc == SQLITE_ROW) {
            return true;
        }
        if (rc != SQLITE_DONE) {
            error_ = sqlite3_errmsg(db_);
        }
        return false;
    }
    // Runs to completion; the error, if any.
    OutboxResult<bool> run() {
        while (row()) {
        }
        if (!error_.empty()) {
            return unexpected(error_);
        }
        return true;
    }
    const std::string& error() const { return error_; }
    int changes() const { return sqlite3_changes(db_); }

    std::int64_t integer(int i) const { return sqlite3_column_int64(s_, i); }
    bool is_null(int i) const { return sqlite3_column_type(s_, i) == SQLITE_NULL; }
    std::string text(int i) const {
        const auto* p = sqlite3_column_blob(s_, i);
        const int n = sqlite3_column_bytes(s_, i);
        return p == nullptr ? std::string{}
                            : std::string(static_cast<const char*>(p), static_cast<std::size_t>(n));
    }

private:
    sqlite3* db_;
    sqlite3_stmt* s_ = nullptr;
    std::string error_;
};

std::int64_t ms(WallTime t) { return t.time_since_epoch().count(); }
WallTime wall(std::int64_t v) { return WallTime{Millis{v}}; }
std::int64_t secs(TimePoint t) { return t.time_since_epoch().count(); }
TimePoint policy_time(std::int64_t v) { return TimePoint{Duration{v}}; }

constexpr const char* message_columns =
    "key, kind, target, state, attempts, created_ms, next_ms, sent_ms, last_error, subject, "
    "content_type, body, html, headers";

OutMessage message_of(const Statement& s) {
    OutMessage m;
    m.key = s.text(0);
    m.receiver = {config::receiver_kind(s.text(1)), s.text(2)};
    m.state = state_of(s.text(3));
    m.attempts = static_cast<int>(s.integer(4));
    m.created = wall(s.integer(5));
    m.next_attempt = wall(s.integer(6));
    if (!s.is_null(7)) {
        m.sent_at = wall(s.integer(7));
    }
    m.last_error = s.text(8);
    m.content.subject = s.text(9);
    m.content.content_type = s.text(10);
    m.content.body = s.text(11);
    m.content.html = s.text(12);
    m.content.headers = split_lines(s.text(13));
    return m;
}

OpenEscalation escalation_of(const Statement& s) {
    OpenEscalation e;
    e.transition_id = s.text(0);
    e.route = s.text(1);
    e.opened_at = policy_time(s.integer(2));
    e.reminders = static_cast<int>(s.integer(3));
    e.steps_done = static_cast<int>(s.integer(4));
    e.event = event_of(s.text(5));
    return e;
}

// BEGIN IMMEDIATE ... COMMIT, rolled back unless committed.
class Transaction {
public:
    explicit Transaction(sqlite3* db) : db_(db) {
        ok_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
    }
    ~Transaction() {
        if (ok_ && !committed_) {
            sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        }
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    OutboxResult<bool> commit() {
        if (!ok_ || sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
            return unexpected(std::string("commit: ") + sqlite3_errmsg(db_));
        }
        committed_ = true;
        return true;
    }
    // Whether BEGIN worked, or why not.
    OutboxResult<bool> begun() const {
        if (!ok_) {
            return unexpected(std::string("begin: ") + sqlite3_errmsg(db_));
        }
        return true;
    }

private:
    sqlite3* db_;
    bool ok_ = false;
    bool committed_ = false;
};

OutboxResult<bool> insert_message(sqlite3* db, const OutMessage& m) {
    Statement s(db,
                "INSERT OR IGNORE INTO messages (key, kind, target, state, attempts, created_ms, "
                "next_ms, sent_ms, last_error, subject, content_type, body, html, headers) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?)");
    s.bind(1, m.key)
        .bind(2, config::to_string(m.receiver.kind))
        .bind(3, m.receiver.target)
        .bind(4, to_string(m.state))
        .bind(5, std::int64_t{m.attempts})
        .bind(6, ms(m.created))
        .bind(7, ms(m.next_attempt))
        .bind(8, m.last_error)
        .bind(9, m.content.subject)
        .bind(10, m.content.content_type)
        .blob(11, m.content.body)
        .blob(12, m.content.html)
        .bind(13, join_lines(m.content.headers));
    return s.run();
}

OutboxResult<bool> store_position(sqlite3* db, const FeedPosition& position) {
    for (const auto& [key, value] :
         {std::pair{"epoch", position.epoch}, std::pair{"sequence", position.sequence}}) {
        Statement s(db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
        if (auto r = s.bind(1, key).bind(2, static_cast<std::int64_t>(value)).run(); !r) {
            return unexpected("storing the feed position: " + r.error());
        }
    }
    return true;
}

}  // namespace

OutboxResult<std::unique_ptr<Outbox>> Outbox::open(const std::string& path, bool read_only) {
    sqlite3* db = nullptr;
    const mode_t old = ::umask(0077);  // the database, its WAL and shm: owner only
    const int rc = sqlite3_open_v2(
        path.c_str(), &db,
        read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    ::umask(old);
    if (rc != SQLITE_OK) {
        std::string error = path + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        sqlite3_close(db);
        return unexpected(std::move(error));
    }
    sqlite3_busy_timeout(db, 5000);
    std::unique_ptr<Outbox> outbox(new Outbox(db));
    if (read_only) {
        return outbox;
    }
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"}) {
        if (auto r = outbox->exec(pragma); !r) {
            return unexpected(path + ": " + r.error());
        }
    }
    if (auto r = outbox->exec(schema); !r) {
        return unexpected(path + ": creating the schema: " + r.error());
    }
    Statement version(db, "SELECT value FROM meta WHERE key = 'schema'");
    if (version.row() && version.integer(0) != schema_version) {
        return unexpected(path + ": outbox schema version " + std::to_string(version.integer(0)) +
                          ", this opel-notifyd reads version " + std::to_string(schema_version));
    }
    Statement set(db, "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)");
    if (auto r = set.bind(1, std::int64_t{schema_version}).run(); !r) {
        return unexpected(path + ": " + r.error());
    }
    return outbox;
}

Outbox::~Outbox() { sqlite3_close(db_); }

OutboxResult<bool> Outbox::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string error = message != nullptr ? message : sqlite3_errmsg(db_);
        sqlite3_free(message);
        return unexpected(std::move(error));
    }
    return true;
}

OutboxResult<FeedPosition> Outbox::position() {
    FeedPosition p;
    p.known = false;
    Statement s(db_, "SELECT key, value FROM meta WHERE key IN ('epoch', 'sequence')");
    while (s.row()) {
        (s.text(0) == "epoch" ? p.epoch : p.sequence) = static_cast<std::uint64_t>(s.integer(1));
        p.known = p.known || s.text(0) == "sequence";
    }
    if (!s.error().empty()) {
        return unexpected(s.error());
    }
    return p;
}

OutboxResult<std::vector<std::string>> Outbox::record(const FeedPosition& position,
                                                      const std::vector<StoredDelivery>& deliveries,
                                                      const std::vector<OpenEscalation>& opened,
                                                      const std::vector<Closed>& closed) {
    Transaction t(db_);
    if (auto r = t.begun(); !r) {
        return unexpected(r.error());
    }
    std::vector<std::string> added;
    for (const StoredDelivery& d : deliveries) {
        Statement s(db_,
                    "INSERT OR IGNORE INTO deliveries (key, route, grp, kind, target, node, "
                    "transition_id, event_kind, event, created_ms, message) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)");
        s.bind(1, d.key)
            .bind(2, d.route)
            .bind(3, d.group)
            .bind(4, config::to_string(d.receiver.kind))
            .bind(5, d.receiver.target)
            .bind(6, d.event.node_id)
            .bind(7, d.event.transition_id)
            .bind(8, engine::to_string(d.event.kind))
            .blob(9, event_bytes(d.event))
            .bind(10, ms(d.created));
        if (auto r = s.run(); !r) {
            return unexpected("storing delivery " + d.key + ": " + r.error());
        }
        if (s.changes() > 0) {
            added.push_back(d.key);
        }
    }
    for (const OpenEscalation& e : opened) {
        Statement s(db_,
                    "INSERT OR IGNORE INTO escalations (transition_id, route, node, opened_s, "
                    "reminders, steps_done, state, closed_by, closed_s, event) VALUES "
                    "(?, ?, ?, ?, ?, ?, 'open', '', NULL, ?)");
        s.bind(1, e.transition_id)
            .bind(2, e.route)
            .bind(3, e.event.node_id)
            .bind(4, secs(e.opened_at))
            .bind(5, std::int64_t{e.reminders})
            .bind(6, std::int64_t{e.steps_done})
            .blob(7, event_bytes(e.event));
        if (auto r = s.run(); !r) {
            return unexpected("storing escalation " + e.transition_id + ": " + r.error());
        }
    }
    for (const Closed& c : closed) {
        Statement s(db_,
                    "UPDATE escalations SET state = ?, closed_by = ?, closed_s = ? "
                    "WHERE transition_id = ? AND route = ? AND state = 'open'");
        s.bind(1, c.state)
            .bind(2, c.by)
            .bind(3, secs(c.at))
            .bind(4, c.transition_id)
            .bind(5, c.route);
        if (auto r = s.run(); !r) {
            return unexpected("closing escalation " + c.transition_id + ": " + r.error());
        }
    }
    if (auto r = store_position(db_, position); !r) {
        return unexpected(r.error());
    }
    if (auto r = t.commit(); !r) {
        return unexpected(r.error());
    }
    return added;
}

OutboxResult<bool> Outbox::set_position(const FeedPosition& position) {
    Transaction t(db_);
    if (auto r = t.begun(); !r) {
        return unexpected(r.error());
    }
    if (auto r = store_position(db_, position); !r) {
        return r;
    }
    return t.commit();
}

OutboxResult<std::vector<StoredDelivery>> Outbox::waiting() {
    std::vector<StoredDelivery> out;
    Statement s(db_,
                "SELECT key, route, grp, kind, target, event, created_ms FROM deliveries "
                "WHERE message IS NULL ORDER BY created_ms, rowid");
    while (s.row()) {
        out.push_back({s.text(0),
                       s.text(1),
                       s.text(2),
                       {config::receiver_kind(s.text(3)), s.text(4)},
                       event_of(s.text(5)),
                       wall(s.integer(6))});
    }
    if (!s.error().empty()) {
        return unexpected(s.error());
    }
    return out;
}

OutboxResult<bool> Outbox::add_messages(const std::vector<OutMessage>& messages,
                                        const std::vector<std::vector<std::string>>& delivery_keys,
                                        const std::optional<OpenEscalation>& escalation) {
    Transaction t(db_);
    if (auto r = t.begun(); !r) {
        return unexpected(r.error());
    }
    for (std::size_t i = 0; i < messages.size(); ++i) {
        if (auto r = insert_message(db_, messages[i]); !r) {
            return unexpected("storing message " + messages[i].key + ": " + r.error());
        }
        for (const std::string& key :
             i < delivery_keys.size() ? delivery_keys[i] : std::vector<std::string>{}) {
            Statement s(db_, "UPDATE deliveries SET message = ? WHERE key = ?");
            if (auto r = s.bind(1, messages[i].key).bind(2, key).run(); !r) {
                return unexpected("linking delivery " + key + ": " + r.error());
            }
        }
    }
    if (escalation) {
        Statement s(db_,
                    "UPDATE escalations SET reminders = ?, steps_done = ? "
                    "WHERE transition_id = ? AND route = ?");
        s.bind(1, std::int64_t{escalation->reminders})
            .bind(2, std::int64_t{escalation->steps_done})
            .bind(3, escalation->transition_id)
            .bind(4, escalation->route);
        if (auto r = s.run(); !r) {
            return unexpected("updating escalation " + escalation->transition_id + ": " +
                              r.error());
        }
    }
    return t.commit();
}

OutboxResult<std::vector<OutMessage>> Outbox::due(WallTime now, std::size_t limit) {
    std::vector<OutMessage> out;
    const std::string sql =
        std::string("SELECT ") + message_columns +
        " FROM messages WHERE state IN ('pending', 'retrying') AND next_ms <= ? "
        "ORDER BY next_ms, created_ms LIMIT ?";
    Statement s(db_, sql.c_str());
    s.bind(1, ms(now)).bind(2, static_cast<std::int64_t>(limit));
    while (s.row()) {
        out.push_back(message_of(s));
    }
    if (!s.error().empty()) {
        return unexpected(s.error());
    }
    return out;
}

OutboxResult<std::optional<WallTime>> Outbox::next_due() {
    Statement s(db_, "SELECT min(next_ms) FROM messages WHERE state IN ('pending', 'retrying')");
    if (s.row() && !s.is_null(0)) {
        return std::optional<WallTime>(wall(s.integer(0)));
    }
    if (!s.error().empty()) {
        return unexpected(s.error());
    }
    return std::optional<WallTime>{};
}

OutboxResult<bool> Outbox::attempted(const std::string& key, DeliveryState state, int attempts,
                                     WallTime next_attempt, const std::string& error,
                                     WallTime now) {
    Statement s(db_,
                "UPDATE messages SET state = ?, attempts = ?, next_ms = ?, last_error = ?, "
                "sent_ms = CASE WHEN ? = 'sent' THEN ? ELSE sent_ms END WHERE key = ?");
    s.bind(1, to_string(state))
        .bind(2, std::int64_t{attempts})
        .bind(3, ms(next_attempt))
        .bind(4, error)
        .bind(5, to_string(state))
        .bind(6, ms(now))
        .bind(7, key);
    return s.run();
}

OutboxResult<std::vector<OpenEscalation>> Outbox::open_escalations() {
    std::vector<OpenEscalation> out;
    Statement s(db_,
                "SELECT transition_id, route, opened_s, reminders, steps_done, event "
                "FROM escalations WHERE state = 'open' ORDER BY opened_s");
    while (s.row()) {
        out.push_back(escalation_of(s));
    }
    if (!s.error().empty()) {
        return unexpected(s.error());
    }
    return out;
}

OutboxResult<OutboxCounts> Outbox::counts() {
    OutboxCounts c;
    Statement by(db_, "SELECT state, kind, count(*) FROM messages GROUP BY state, kind");
    while (by.row()) {
        c.by_state_and_kind[{by.text(0), by.text(1)}] = by.integer(2);
    }
    Statement oldest(db_,
                     "SELECT min(created_ms) FROM messages WHERE state IN ('pending', 'retrying')");
    if (oldest.row() && !oldest.is_null(0)) {
        c.oldest_unsent = wall(oldest.integer(0));
    }
    Statement open(db_, "SELECT count(*) FROM escalations WHERE state = 'open'");
    if (open.row()) {
        c.open_escalations = open.integer(0);
    }
    Statement waiting(db_, "SELECT count(*) FROM deliveries WHERE message IS NULL");
    if (waiting.row()) {
        c.waiting_deliveries = waiting.integer(0);
    }
    for (const Statement* s : {&by, &oldest, &open, &waiting}) {
        if (!s->error().empty()) {
            return unexpected(s->error());
        }
    }
    return c;
}

}  // namespace opel::notifyd

// Store: opel-escalatord's durable history and state in one SQLite database (WAL).
// Not thread-safe: one thread at a time uses a Store (opel-escalatord has two, one per
// thread: the storage thread writes, the engine thread reads). Every write happens inside a
// transaction the caller opens and commits, so a batch of submissions is one commit (group commit)
// and an ACCEPTED reply is only sent after the commit that holds it returns.
//
// Tables
//   sitreps      every accepted or late sitrep with the reply sent (without its site result,
//                which is the results row `result_sequence`); unique on a time-first key of
//                its submission_id (submission_key_sql below)
//   results      every published node result, by publisher sequence, indexed by time
//   events       every published event (alerts), by publisher sequence, indexed by node and
//                time
//   node_state   each node's state for restart, without its result (`result_sequence`)
//   state_log    node states as commits write them, appended; a node's newest row here
//                overrides its node_state row, and the log is folded into node_state every
//                state_log_limit rows (store.cc)
//   commands     every accepted acknowledgement and declaration (opel ack / declare) with the
//                reply sent (without its result, the results row `result_sequence`), keyed
//                by its idempotency key (engine::command_key)
//   meta         key/value: schema version
//
// Why this layout: a commit costs one fsync plus one WAL page per B-tree page it changes, so
// the tables and indexes are chosen to let a commit's rows share pages (results indexed by
// time alone, the sequence derived from stored rows rather than a meta row, states appended
// to a log). docs/storage.md has the cost model, the WAL file and the schema versions.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "base/time.h"

struct sqlite3;
struct sqlite3_stmt;

namespace opel::store {

enum class Errc {
    busy,      // locked by another process or connection (SQLITE_BUSY/LOCKED)
    readonly,  // the file or directory is not writable (SQLITE_READONLY)
    full,      // the disk is full (SQLITE_FULL, or an I/O error with almost no space left)
    io,        // an I/O error (SQLITE_IOERR, SQLITE_CANTOPEN)
    corrupt,   // not a database, or damaged (SQLITE_CORRUPT/NOTADB)
    schema,    // a database from an incompatible version
    other,     // anything else SQLite reports
};

struct StoreError {
    Errc code = Errc::other;
    std::string message;  // SQLite's message with the operation that failed
};

using Done = std::monostate;
template <typename T>
using StoreResult = Result<T, StoreError>;

// One accepted or late sitrep as stored.
struct SitrepRow {
    std::string submission_id;
    std::string site_id;
    TimePoint as_at;
    TimePoint received_at;
    std::string status;  // "accepted" or "late"
    std::string sitrep;  // serialized opel.v1.Sitrep
    std::string reply;   // serialized opel.v1.SubmitReply without `result`
    // Sequence of the results row holding the site result the reply carried (none for LATE).
    std::optional<std::uint64_t> result_sequence;
};

// One accepted command as stored.
struct CommandRow {
    std::string key;      // engine::command_key
    std::string kind;     // "acknowledgement", "declaration" or "unacknowledged"
    std::string node_id;  // the node acknowledged or the site declared for
    TimePoint received_at;
    std::string request;  // the serialized opel.v1.Acknowledgement / Declaration as sent
    std::string reply;    // serialized opel.v1.SubmitReply without `result`
    std::optional<std::uint64_t> result_sequence;  // the results row the reply carried
};

// What find_reply (find_command) returns: the stored reply, the payload of its results row, if any,
// and the sitrep (to tell a resend from other content under the same key).
struct StoredReply {
    std::string reply;                  // serialized opel.v1.SubmitReply without `result`
    std::optional<std::string> result;  // the results row payload (opel.v1.Publication)
    std::string sitrep;                 // serialized opel.v1.Sitrep (the command) as stored
};

// One node's stored state, as node_states returns it.
struct StoredState {
    std::string node_id;
    std::string state;  // serialized opel.v1.NodeState, without `result` if result_sequence
    std::optional<std::uint64_t> result_sequence;
    std::optional<std::string> result;  // that results row's payload (opel.v1.Publication)
};

// One published message kept as history. Views: the caller keeps the bytes alive for the
// call that stores the row (the daemon's rows point into the publications they record).
struct PublishedRow {
    std::uint64_t sequence = 0;
    std::string_view node_id;
    TimePoint at;
    std::string_view kind;     // results: status ("OPEL 3"); events: event kind
    std::string_view payload;  // serialized opel.v1.NodeResult / opel.v1.Event
};

// History as the query endpoint reads it (history.cc): rows in storage order, after a
// cursor, at most `limit`.
enum class HistoryTable { sitreps, results, events };

struct HistoryFilter {
    std::vector<std::string> node_ids;  // results/events: node ids; sitreps: site ids; empty = all
    std::optional<TimePoint> from, to;  // inclusive; sitreps by as_at, the others by time
    std::uint64_t after = 0;            // the cursor: a sequence, or a sitrep's row id
    std::size_t limit = 1000;
};

struct HistoryRow {
    std::uint64_t cursor = 0;  // sequence (results, events, publications) or sitrep row id
    std::string payload;       // serialized opel.v1.Publication, or opel.v1.Sitrep
    TimePoint received_at;     // sitreps only
    std::string status;        // sitreps only: "accepted" or "late"
    std::string node_id;       // publications only: the node it is about
};

class Store {
public:
    // Opens (creating if needed) the database at `path` in WAL mode with synchronous=FULL so
    // a commit survives kill -9 and power loss. An existing empty file is refused
    // (Errc::corrupt): it is not a database this daemon wrote. A new database is 0600. With
    // `group`, the database and its -wal and -shm files are 0640 and owned by that group
    // (made before SQLite opens them, so SQLite keeps their owner and mode): readers in the
    // group (opel backup, replay) can read; a chown the process may not do is Errc::io.
    static StoreResult<std::unique_ptr<Store>> open(const std::string& path,
                                                    std::optional<gid_t> group = std::nullopt);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    StoreResult<Done> begin();
    StoreResult<Done> commit();
    void rollback();  // never fails observably; safe when no transaction is open

    // A read transaction: every read until end_read() sees one committed state, and the WAL
    // read lock is taken once rather than per statement (a batch's duplicate lookups).
    StoreResult<Done> begin_read();
    void end_read();  // never fails observably (nothing was written)

    // The stored reply and sitrep for a submission_id, if it was accepted or late before.
    StoreResult<std::optional<StoredReply>> find_reply(std::string_view submission_id);

    // The stored reply and request of an accepted command, by its key.
    StoreResult<std::optional<StoredReply>> find_command(std::string_view key);

    StoreResult<Done> add_sitrep(const SitrepRow& row);
    StoreResult<Done> add_command(const CommandRow& row);
    StoreResult<Done> add_result(const PublishedRow& row);
    // The same for several rows, up to eight per INSERT statement (one statement run
    // instead of one per row: a sitrep has five results).
    StoreResult<Done> add_results(std::span<const PublishedRow> rows);
    StoreResult<Done> add_event(const PublishedRow& row);
    // `state` without its result when `result_sequence` names the results row holding it.
    // Appended to state_log (a commit writes its states on one page, not a node_state page
    // per node); every 50,000 rows the log is folded into node_state within the caller's
    // transaction, which makes that one commit longer.
    StoreResult<Done> put_node_state(std::string_view node_id, std::string_view state,
                                     std::optional<std::uint64_t> result_sequence);
    StoreResult<Done> put_meta(std::string_view key, std::int64_t value);

    // Restart: every node's state, the last published sequence (0 for none; never below the
    // high-water mark the journal keeps in meta, so a number is never given twice), meta values.
    StoreResult<std::vector<StoredState>> node_states();
    StoreResult<std::uint64_t> last_sequence();
    StoreResult<std::optional<std::int64_t>> meta(std::string_view key);

    // Caps this connection's page cache (SQLite's default is 2000 KiB). For a connection that
    // only reads while another one writes: its cache is emptied whenever the other commits,
    // so a large one holds nothing for long.
    StoreResult<Done> limit_cache(int kib);

    // True when SQLite could only open the file read-only (every write will fail).
    bool read_only() const;
    // Why nothing could be written now, or none: the connection is read-only, or the file,
    // its WAL or -shm is immutable or append-only (Errc::readonly, naming the file). Reads
    // file flags only; for a readiness check between transactions.
    std::optional<StoreError> unwritable() const;

    // A start-up integrity check whose cost does not grow with the history: SQLite's
    // quick_check of the small tables (meta, node_state, state_log: bounded by the tree and
    // state_log_limit; commands: a row per person's acknowledgement or declaration) and their
    // indexes, and a read of the newest sitrep (the rightmost
    // path of its B-tree; restore reads the newest results and events rows itself). Damage inside
    // older history pages is not looked for; `PRAGMA quick_check` on a copy does that, in time
    // proportional to the file. Returns the sitreps stored, from the newest sitrep's row id (exact
    // unless rows were deleted), for the start-up log line; Errc::corrupt naming the first problem.
    StoreResult<std::int64_t> check_integrity();

    // --- history (history.cc), within begin_read()/end_read() for one consistent view ---
    // Stored publications (results and events) with a sequence above `after`, in order.
    StoreResult<std::vector<HistoryRow>> publications_after(std::uint64_t after, std::size_t limit);
    // The sequence of the first publication at or after `t` (nullopt: none yet).
    StoreResult<std::optional<std::uint64_t>> first_sequence_since(TimePoint t);
    StoreResult<std::vector<HistoryRow>> history(HistoryTable table, const HistoryFilter& filter);

    // Counts, for logs and tests.
    StoreResult<std::int64_t> count(std::string_view table);
    // This connection created the database (it had no schema yet).
    bool created() const { return created_; }

private:
    Store(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
    // open()'s steps on a new connection, in this order; set_up runs the others.
    StoreResult<Done> set_up();
    // WAL, synchronous=FULL and checkpoint pragmas; the transaction statements.
    StoreResult<Done> configure_connection();
    // The stored schema version (0: a new database); Errc::schema for one this build can
    // neither use nor upgrade.
    StoreResult<std::int64_t> schema_version_found();
    // Creates the tables, or upgrades them from version `found`, in one transaction.
    StoreResult<Done> create_tables(std::int64_t found);
    // The statements every commit uses, prepared once.
    StoreResult<Done> prepare_statements();
    // Prepares `sql` as the statement member `statement` (finalized in the destructor).
    StoreResult<Done> prepare_as(sqlite3_stmt* Store::*statement, const std::string& sql);
    // Writes the WAL file out to its working size once, and keeps it across restarts, so a
    // commit's fsync overwrites allocated blocks rather than growing the file. Best effort:
    // skipped when another connection holds the write lock.
    void preallocate_wal();
    StoreResult<Done> exec(const char* sql);
    StoreResult<sqlite3_stmt*> prepare(const char* sql);
    // Runs a prepared statement that returns no rows (`what` names it in an error).
    StoreResult<Done> step(sqlite3_stmt* s, const char* what);
    StoreResult<Done> add_published(sqlite3_stmt* s, const PublishedRow& row, const char* what);
    // Fails (Errc::schema) unless SQLite's plan for `statement` searches `index`.
    StoreResult<Done> uses_index(sqlite3_stmt* statement, const char* index);
    // A statement prepared for one use, finalized when it goes (`what` names it in an error).
    using OneOff = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;
    StoreResult<OneOff> one_off(const std::string& sql, const char* what);
    // Runs a one-off query returning one integer (`what` names it in an error).
    StoreResult<std::int64_t> scalar(const char* sql, const char* what);
    StoreError error(int rc, std::string_view what) const;

    sqlite3* db_ = nullptr;
    std::string path_;
    bool created_ = false;
    std::vector<sqlite3_stmt*> statements_;  // finalized in the destructor
    sqlite3_stmt* find_reply_ = nullptr;
    sqlite3_stmt* add_sitrep_ = nullptr;
    sqlite3_stmt* find_command_ = nullptr;
    sqlite3_stmt* add_command_ = nullptr;
    std::array<sqlite3_stmt*, 8> add_results_{};  // [n - 1]: n rows; prepared on first use
    sqlite3_stmt* add_event_ = nullptr;
    sqlite3_stmt* log_state_ = nullptr;
    std::int64_t state_log_rows_ = 0;  // rows in state_log, as this connection wrote them
    sqlite3_stmt* put_meta_ = nullptr;
    sqlite3_stmt* get_meta_ = nullptr;
    sqlite3_stmt* begin_ = nullptr;
    sqlite3_stmt* commit_ = nullptr;
    sqlite3_stmt* begin_read_ = nullptr;
    sqlite3_stmt* rollback_ = nullptr;
};

std::string_view to_string(Errc code);

// The SQL expression the sitreps table's unique index is keyed on, applied to `operand` (a
// column or a parameter): a submission id with the default form "<site>@<as_at>" is keyed
// time first, so each commit's keys are neighbours in the index. A query by submission id
// compares this expression of the column with this expression of the id, to use the index.
std::string submission_key_sql(std::string_view operand);

}  // namespace opel::store

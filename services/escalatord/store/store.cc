#include "escalatord/store/store.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sqlite3.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "escalatord/store/columns.h"
#include "escalatord/store/wal_vfs.h"

namespace opel::store {
namespace {

// A file of the database (the file, its -wal or its -shm) that no descriptor may write, not
// even one already open: immutable or append-only (chattr +i / +a, FS_IOC_GETFLAGS). SQLite
// maps the -shm file into memory, and one that cannot grow faults (SIGBUS) instead of
// returning an error, so such files are refused before SQLite touches them: at open and at
// the start of every transaction; reading needs only the -shm (`shm_only`). Absent files are
// fine (SQLite creates them).
std::optional<StoreError> unwritable_file(const std::string& path, bool shm_only = false) {
    for (const char* suffix : {"-shm", "", "-wal"}) {
        if (shm_only && std::string_view(suffix) != "-shm") {
            break;
        }
        const std::string file = path + suffix;
        const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            continue;
        }
        int flags = 0;
        const bool known = ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0;
        ::close(fd);
        if (known && (flags & (FS_IMMUTABLE_FL | FS_APPEND_FL)) != 0) {
            const bool immutable = (flags & FS_IMMUTABLE_FL) != 0;
            return StoreError{Errc::readonly, file + " is " +
                                                  (immutable ? "immutable" : "append-only") +
                                                  " (chattr " + (immutable ? "+i" : "+a") +
                                                  "): nothing can be written until that is undone"};
        }
    }
    return std::nullopt;
}

// 2: sitreps.reply without the site result, sitreps.result_sequence; results indexed by time
//    only; node_state and meta WITHOUT ROWID; the sequence is no longer kept in meta.
// 3: node_state.result_sequence: the state is stored without its result, which is that
//    results row (NULL: the state carries its result, as every version-2 row does).
//    Version 2 is upgraded in place; older versions are refused.
// 4: sitreps.submission_id is no longer UNIQUE by itself: a UNIQUE index on its key
//    (submission_key_sql) takes its place. Default ids are keyed time first, so a commit's
//    keys land together at one end of the index instead of one page per site. A version-3
//    database gains the index at its first open and keeps its old one (dropping that would
//    mean rebuilding the table): correct, only not faster.
// 5: state_log: node states are appended (one page per commit) and folded into node_state
//    every state_log_limit rows, instead of rewriting a node_state page per site reporting
//    (at 10,000 sites, one random page per sitrep). Earlier versions gain the empty table.
// 6: commands: acknowledgements and declarations (opel ack / declare) with their replies,
//    keyed by their idempotency key. Earlier versions gain the empty table.
constexpr std::int64_t schema_version = 6;

// state_log rows that trigger folding them into node_state. It bounds what a restart reads
// on top of node_state; the commit that crosses it takes longer (docs/storage.md).
constexpr std::int64_t state_log_limit = 50000;

// The state_log rows that hold each node's newest logged state.
#define OPEL_NEWEST_LOGGED "SELECT max(seq) FROM state_log GROUP BY node_id"
constexpr std::int64_t oldest_upgradable_version = 2;

// The WAL's working size: the autocheckpoint threshold (16384 pages of 4 KiB). It is written
// once (preallocate_wal) so commits overwrite allocated blocks instead of growing the file: a
// growing file's fsync must also write its new size, which makes it slower (docs/storage.md;
// the measurement is in bench/history.md).
constexpr sqlite3_int64 wal_bytes = sqlite3_int64{16384} * 4096;

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS sitreps (
  seq INTEGER PRIMARY KEY,
  submission_id TEXT NOT NULL,
  site_id TEXT NOT NULL,
  as_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  sitrep BLOB NOT NULL,
  reply BLOB NOT NULL,
  result_sequence INTEGER);
CREATE TABLE IF NOT EXISTS results (
  sequence INTEGER PRIMARY KEY,
  node_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  status TEXT NOT NULL,
  result BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS results_time ON results(at);
CREATE TABLE IF NOT EXISTS events (
  sequence INTEGER PRIMARY KEY,
  node_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  kind TEXT NOT NULL,
  event BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS events_node_time ON events(node_id, at);
CREATE TABLE IF NOT EXISTS state_log (
  seq INTEGER PRIMARY KEY,
  node_id TEXT NOT NULL,
  state BLOB NOT NULL,
  result_sequence INTEGER);
CREATE TABLE IF NOT EXISTS node_state (
  node_id TEXT PRIMARY KEY,
  state BLOB NOT NULL,
  result_sequence INTEGER) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commands (
  key TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  node_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  request BLOB NOT NULL,
  reply BLOB NOT NULL,
  result_sequence INTEGER) WITHOUT ROWID;
)sql";

// Created first: the schema version is read before anything else is created or changed.
constexpr const char* meta_schema = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value INTEGER NOT NULL) WITHOUT ROWID;
)sql";

// Below this much free space a failed write is taken as the disk being full: a commit
// writes at least a WAL frame and its sync.
constexpr std::uint64_t full_below_bytes = 1024 * 1024;

// Free bytes on the file system holding `path` (for an unprivileged writer), if it can tell.
std::optional<std::uint64_t> free_bytes(const std::string& path) {
    struct statvfs fs {};
    const std::string dir = std::filesystem::path(path).parent_path().string();
    if (statvfs(dir.empty() ? "." : dir.c_str(), &fs) != 0) {
        return std::nullopt;
    }
    return std::uint64_t{fs.f_bavail} * fs.f_frsize;
}

// Whether `path` is an existing regular file of 0 bytes with no WAL beside it holding data.
bool empty_file(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec || size != 0 || !std::filesystem::is_regular_file(path, ec)) {
        return false;
    }
    const auto wal = std::filesystem::file_size(path + "-wal", ec);
    return ec || wal == 0;
}

// Whether the file system holding `path` can take `bytes` more and keep as much again free:
// preallocation must never be what fills a disk.
bool has_room_for(const std::string& path, std::uint64_t bytes) {
    const auto free = free_bytes(path);
    return free && *free >= 2 * bytes;
}

Errc errc_of(int rc) {
    switch (rc & 0xff) {
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return Errc::busy;
        case SQLITE_READONLY:
        case SQLITE_PERM:
            return Errc::readonly;
        case SQLITE_FULL:
            return Errc::full;
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
            return Errc::io;
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            return Errc::corrupt;
        default:
            return Errc::other;
    }
}

// Bound without a copy (SQLITE_STATIC): every statement is stepped and reset (Reset) while
// the caller's value is alive.
void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

void bind_blob(sqlite3_stmt* s, int i, std::string_view v) {
    sqlite3_bind_blob(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

void bind_sequence(sqlite3_stmt* s, int i, std::optional<std::uint64_t> v) {
    if (v) {
        sqlite3_bind_int64(s, i, static_cast<sqlite3_int64>(*v));
    } else {
        sqlite3_bind_null(s, i);
    }
}

// Resets a prepared statement when the scope ends, whatever happened.
class Reset {
public:
    explicit Reset(sqlite3_stmt* s) : s_(s) {}
    ~Reset() {
        sqlite3_reset(s_);
        sqlite3_clear_bindings(s_);
    }
    Reset(const Reset&) = delete;
    Reset& operator=(const Reset&) = delete;

private:
    sqlite3_stmt* s_;
};

}  // namespace

std::string submission_key_sql(std::string_view operand) {
    // "<prefix>@<as_at as format_utc writes it>" -> "1<as_at><prefix>"; anything else ->
    // "0<id>". Injective (the time has a fixed 20 characters, the first character tells the
    // forms apart), so UNIQUE on the key is UNIQUE on the id. Built-in functions only: any
    // connection, the sqlite3 shell included, can write the table.
    const std::string x(operand);
    return "(CASE WHEN " + x +
           " GLOB '?*@[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9]"
           "[0-9]Z' THEN '1' || substr(" +
           x + ", -20) || substr(" + x + ", 1, length(" + x + ") - 21) ELSE '0' || " + x + " END)";
}

std::string_view to_string(Errc code) {
    switch (code) {
        case Errc::busy:
            return "busy";
        case Errc::readonly:
            return "readonly";
        case Errc::full:
            return "full";
        case Errc::io:
            return "io";
        case Errc::corrupt:
            return "corrupt";
        case Errc::schema:
            return "schema";
        case Errc::other:
            break;
    }
    return "other";
}

namespace {

// With a group: the database (when it exists) and its -wal and -shm files (made empty when
// missing: SQLite takes an empty one for an empty log or index) are mode 0640 and owned by
// `group`. SQLite opens existing files as they are, so each keeps this owner and mode.
StoreResult<Done> share_with_group(const std::string& path, gid_t group) {
    std::error_code ignored;
    for (const std::string& file : {path, path + "-wal", path + "-shm"}) {
        if (file == path && !std::filesystem::exists(path, ignored)) {
            continue;  // SQLite makes it; Store::open shares it right after
        }
        const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR);
        const bool ok = fd >= 0 && ::fchown(fd, static_cast<uid_t>(-1), group) == 0 &&
                        ::fchmod(fd, S_IRUSR | S_IWUSR | S_IRGRP) == 0;
        const int saved = errno;
        if (fd >= 0) {
            ::close(fd);
        }
        if (!ok) {
            return unexpected(
                StoreError{Errc::io, "cannot give " + file + " to group " + std::to_string(group) +
                                         ": " + std::strerror(saved) +
                                         " (is the daemon's user a member of the group?)"});
        }
    }
    return Done{};
}

}  // namespace

StoreResult<std::unique_ptr<Store>> Store::open(const std::string& path,
                                                std::optional<gid_t> group) {
    static std::once_flag configured;
    std::call_once(configured, [] {
        // No memory statistics: with them every SQLite allocation takes a global mutex.
        // Only possible before SQLite initializes; if something else initialized it first,
        // SQLite keeps its defaults (SQLITE_MISUSE, ignored): slower, not wrong.
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    });
    if (empty_file(path)) {
        // SQLite would take it for a new database and start the history, and the publisher
        // sequence, afresh without a word.
        return unexpected(StoreError{
            Errc::corrupt, "database '" + path +
                               "' is an empty file (0 bytes), not a database this daemon "
                               "wrote (a failed copy or restore?): restore it from a backup, or "
                               "remove it to start a new, empty history"});
    }
    if (auto bad = unwritable_file(path)) {
        return unexpected(std::move(*bad));
    }
    sqlite3* db = nullptr;
    std::error_code ignored;
    const bool created = !std::filesystem::exists(path, ignored);
    if (group) {
        if (auto shared = share_with_group(path, *group); !shared) {
            return unexpected(std::move(shared).error());
        }
    }
    // NOMUTEX: a connection is used by one thread at a time (the class comment), so SQLite
    // need not lock it around every call.
    const int rc = sqlite3_open_v2(path.c_str(), &db,
                                   SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                   gathering_vfs());
    if (rc == SQLITE_OK && created) {
        // The history is for the daemon's user alone (or its group), whatever the umask: a
        // new database is 0600 (0640 for the group) before anything is written to it, and
        // SQLite gives its -wal and -shm files the database's mode.
        ::chmod(path.c_str(), S_IRUSR | S_IWUSR);
        if (group) {
            if (auto shared = share_with_group(path, *group); !shared) {
                sqlite3_close(db);
                return unexpected(std::move(shared).error());
            }
        }
    }
    if (rc != SQLITE_OK) {
        StoreError e{errc_of(rc), "cannot open database '" + path + "': " +
                                      (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc))};
        sqlite3_close(db);
        return unexpected(std::move(e));
    }
    std::unique_ptr<Store> store(new Store(db, path));
    if (auto r = store->set_up(); !r) {
        return unexpected(std::move(r).error());
    }
    return store;
}

StoreResult<Done> Store::set_up() {
    sqlite3_busy_timeout(db_, 2000);
    if (auto r = configure_connection(); !r) {
        return r;
    }
    // A database of another schema version is refused before anything in it is changed.
    auto found = schema_version_found();
    if (!found) {
        return unexpected(std::move(found).error());
    }
    if (auto r = create_tables(*found); !r) {
        return r;
    }
    created_ = *found == 0;
    if (auto r = prepare_statements(); !r) {
        return r;
    }
    auto logged = scalar("SELECT count(*) FROM state_log", "count state log");
    if (!logged) {
        return unexpected(std::move(logged).error());
    }
    state_log_rows_ = *logged;
    // The planner must search the key index: a scan would read the whole history for every
    // submission. SQLite decides this, not our code, so a different SQLite is checked here.
    if (auto r = uses_index(find_reply_, "sitreps_key"); !r) {
        return r;
    }
    preallocate_wal();
    return Done{};
}

StoreResult<Done> Store::prepare_as(sqlite3_stmt* Store::*statement, const std::string& sql) {
    auto s = prepare(sql.c_str());
    if (!s) {
        return unexpected(std::move(s).error());
    }
    this->*statement = *s;
    return Done{};
}

StoreResult<Done> Store::configure_connection() {
    for (const char* sql :
         {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
          // Checkpoint the WAL into the database every 64 MiB (wal_bytes) rather than 4 MiB:
          // fewer checkpoint fsyncs on the commit path, same durability.
          "PRAGMA wal_autocheckpoint=16384"}) {
        if (auto r = exec(sql); !r) {
            return r;
        }
    }
    // Transaction control, prepared once and first (creation and upgrades use them too):
    // parsing these on every batch cost more than running them.
    for (auto r :
         {prepare_as(&Store::begin_, "BEGIN IMMEDIATE"), prepare_as(&Store::commit_, "COMMIT"),
          prepare_as(&Store::begin_read_, "BEGIN DEFERRED"),
          prepare_as(&Store::rollback_, "ROLLBACK")}) {
        if (!r) {
            return r;
        }
    }
    return Done{};
}

StoreResult<std::int64_t> Store::schema_version_found() {
    if (auto r = exec(meta_schema); !r) {
        return unexpected(std::move(r).error());
    }
    if (auto r = prepare_as(&Store::get_meta_, "SELECT value FROM meta WHERE key = ?"); !r) {
        return unexpected(std::move(r).error());
    }
    auto version = meta("schema_version");
    if (!version) {
        return unexpected(std::move(version).error());
    }
    const std::int64_t found = version->value_or(0);  // 0: a new database
    if (found != 0 && (found < oldest_upgradable_version || found > schema_version)) {
        return unexpected(StoreError{Errc::schema, "database '" + path_ + "' has schema version " +
                                                       std::to_string(found) + "; this is " +
                                                       std::to_string(schema_version)});
    }
    return found;
}

StoreResult<Done> Store::create_tables(std::int64_t found) {
    const std::string tables = std::string(schema) +
                               "CREATE UNIQUE INDEX IF NOT EXISTS sitreps_key ON sitreps(" +
                               submission_key_sql("submission_id") + ");";
    if (found == schema_version) {
        return exec(tables.c_str());
    }
    // Created or upgraded in one transaction: a crash leaves the old version whole.
    const std::string set_version = "INSERT INTO meta (key, value) VALUES ('schema_version', " +
                                    std::to_string(schema_version) +
                                    ") ON CONFLICT(key) DO UPDATE SET value = excluded.value";
    auto done = begin();
    if (done && found == 2) {
        done = exec("ALTER TABLE node_state ADD COLUMN result_sequence INTEGER");
    }
    for (const std::string* sql : {&tables, &set_version}) {
        done = done ? exec(sql->c_str()) : done;
    }
    done = done ? commit() : done;
    if (!done) {
        rollback();
        return unexpected(StoreError{
            done.error().code, found == 0
                                   ? "creating database '" + path_ + "': " + done.error().message
                                   : "upgrading database '" + path_ + "' from schema version " +
                                         std::to_string(found) + ": " + done.error().message});
    }
    return Done{};
}

StoreResult<Done> Store::prepare_statements() {
    for (auto r : {
             prepare_as(&Store::find_reply_,
                        "SELECT s.reply, r.result, s.sitrep FROM sitreps s LEFT JOIN results r "
                        "ON r.sequence = s.result_sequence WHERE " +
                            // Only the keys compared: a further "s.submission_id = ?1" lets
                            // SQLite substitute ?1 into the left side, which then no longer
                            // matches the index (a full scan; LookupBySubmissionId… test).
                            submission_key_sql("s.submission_id") + " = " +
                            submission_key_sql("?1")),
             prepare_as(&Store::add_sitrep_,
                        "INSERT INTO sitreps (submission_id, site_id, as_at, received_at, status, "
                        "sitrep, reply, result_sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
             prepare_as(&Store::find_command_,
                        "SELECT c.reply, r.result, c.request FROM commands c LEFT JOIN results r "
                        "ON r.sequence = c.result_sequence WHERE c.key = ?1"),
             prepare_as(&Store::add_command_,
                        "INSERT INTO commands (key, kind, node_id, received_at, request, reply, "
                        "result_sequence) VALUES (?, ?, ?, ?, ?, ?, ?)"),
             prepare_as(&Store::add_event_,
                        "INSERT INTO events (sequence, node_id, at, kind, event) "
                        "VALUES (?, ?, ?, ?, ?)"),
             prepare_as(&Store::log_state_,
                        "INSERT INTO state_log (node_id, state, result_sequence) VALUES (?, ?, ?)"),
             prepare_as(&Store::put_meta_,
                        "INSERT INTO meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
         }) {
        if (!r) {
            return r;
        }
    }
    return Done{};
}

void Store::preallocate_wal() {
    // Keep the WAL file (at its size) when the last connection closes, so a restart starts
    // on blocks that are already allocated.
    int persist = 1;
    sqlite3_file_control(db_, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
    // Holding the write lock, no other connection appends frames; bytes beyond the WAL's end
    // are not frames to any reader, and recovery ignores them (no valid checksum).
    if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
        return;  // locked elsewhere: the WAL simply grows as it is written
    }
    sqlite3_file* wal = nullptr;
    sqlite3_file_control(db_, "main", SQLITE_FCNTL_JOURNAL_POINTER, &wal);
    sqlite3_int64 size = 0;
    if (wal != nullptr && wal->pMethods != nullptr &&
        wal->pMethods->xFileSize(wal, &size) == SQLITE_OK && size < wal_bytes &&
        has_room_for(path_, static_cast<std::uint64_t>(wal_bytes - size))) {
        // The unix VFS writes less than 128 KiB per call (it masks the length to 17 bits).
        const std::string zeros(std::size_t{64} * 1024, '\0');
        bool written = true;
        for (sqlite3_int64 at = size; at < wal_bytes && written;
             at += static_cast<sqlite3_int64>(zeros.size())) {
            written = wal->pMethods->xWrite(wal, zeros.data(), static_cast<int>(zeros.size()),
                                            at) == SQLITE_OK;
        }
        if (!written) {  // never leave a half-written WAL holding the disk's last space
            wal->pMethods->xTruncate(wal, size);
        }
        wal->pMethods->xSync(wal, SQLITE_SYNC_NORMAL);
    }
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
}

Store::~Store() {
    for (sqlite3_stmt* s : statements_) {
        sqlite3_finalize(s);
    }
    if (unwritable_file(path_)) {
        // The last connection's close checkpoints through the -shm mapping, which faults if
        // that file cannot grow; the WAL is kept and checkpointed by the next open instead.
        sqlite3_db_config(db_, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    }
    sqlite3_close(db_);
}

StoreError Store::error(int rc, std::string_view what) const {
    StoreError e{errc_of(rc), std::string(what) + ": " + sqlite3_errmsg(db_)};
    if (e.code == Errc::io || e.code == Errc::full) {
        // A write that fails for want of space surfaces as SQLITE_FULL or as a plain I/O
        // error (a sync or a checkpoint): the free space says which, and what to do.
        const auto free = free_bytes(path_);
        if (free && *free < full_below_bytes) {
            e.code = Errc::full;
            e.message = "the disk holding " + path_ + " is full (" + std::to_string(*free) +
                        " bytes free): " + e.message +
                        "; nothing was stored, and writes resume once space is freed";
        }
    }
    return e;
}

StoreResult<Done> Store::exec(const char* sql) {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
        StoreError e{errc_of(rc), std::string(sql).substr(0, 40) + ": " +
                                      (message != nullptr ? message : sqlite3_errstr(rc))};
        sqlite3_free(message);
        return unexpected(std::move(e));
    }
    return Done{};
}

StoreResult<sqlite3_stmt*> Store::prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) {
        return unexpected(error(rc, "prepare"));
    }
    statements_.push_back(s);
    return s;
}

bool Store::read_only() const { return sqlite3_db_readonly(db_, "main") == 1; }

std::optional<StoreError> Store::unwritable() const {
    if (read_only()) {
        return StoreError{Errc::readonly, path_ + " could only be opened read-only"};
    }
    return unwritable_file(path_);
}

StoreResult<Done> Store::step(sqlite3_stmt* s, const char* what) {
    const Reset reset(s);
    const int rc = sqlite3_step(s);
    if (rc != SQLITE_DONE) {
        return unexpected(error(rc, what));
    }
    return Done{};
}

StoreResult<Done> Store::begin() {
    if (auto bad = unwritable_file(path_)) {
        return unexpected(std::move(*bad));
    }
    return step(begin_, "BEGIN IMMEDIATE");
}

StoreResult<Done> Store::commit() { return step(commit_, "COMMIT"); }

StoreResult<Done> Store::limit_cache(int kib) {
    const std::string sql = "PRAGMA cache_size=-" + std::to_string(kib);
    return exec(sql.c_str());
}

StoreResult<Done> Store::begin_read() {
    if (auto bad = unwritable_file(path_, true)) {  // reading maps the -shm
        return unexpected(std::move(*bad));
    }
    return step(begin_read_, "BEGIN DEFERRED");
}

void Store::end_read() { rollback(); }

void Store::rollback() {
    if (sqlite3_get_autocommit(db_) == 0) {
        (void)step(rollback_, "ROLLBACK");
    }
}

StoreResult<std::optional<StoredReply>> Store::find_reply(std::string_view submission_id) {
    const Reset reset(find_reply_);
    bind_text(find_reply_, 1, submission_id);
    const int rc = sqlite3_step(find_reply_);
    if (rc == SQLITE_ROW) {
        StoredReply found{column_blob(find_reply_, 0), std::nullopt, column_blob(find_reply_, 2)};
        if (sqlite3_column_type(find_reply_, 1) != SQLITE_NULL) {
            found.result = column_blob(find_reply_, 1);
        }
        return std::optional<StoredReply>(std::move(found));
    }
    if (rc == SQLITE_DONE) {
        return std::optional<StoredReply>();
    }
    return unexpected(error(rc, "find reply"));
}

StoreResult<std::optional<StoredReply>> Store::find_command(std::string_view key) {
    const Reset reset(find_command_);
    bind_text(find_command_, 1, key);
    const int rc = sqlite3_step(find_command_);
    if (rc == SQLITE_ROW) {
        StoredReply found{column_blob(find_command_, 0), std::nullopt,
                          column_blob(find_command_, 2)};
        if (sqlite3_column_type(find_command_, 1) != SQLITE_NULL) {
            found.result = column_blob(find_command_, 1);
        }
        return std::optional<StoredReply>(std::move(found));
    }
    if (rc == SQLITE_DONE) {
        return std::optional<StoredReply>();
    }
    return unexpected(error(rc, "find command"));
}

StoreResult<Done> Store::add_command(const CommandRow& row) {
    const Reset reset(add_command_);
    bind_text(add_command_, 1, row.key);
    bind_text(add_command_, 2, row.kind);
    bind_text(add_command_, 3, row.node_id);
    sqlite3_bind_int64(add_command_, 4, row.received_at.time_since_epoch().count());
    bind_blob(add_command_, 5, row.request);
    bind_blob(add_command_, 6, row.reply);
    bind_sequence(add_command_, 7, row.result_sequence);
    const int rc = sqlite3_step(add_command_);
    if (rc != SQLITE_DONE) {
        return unexpected(error(rc, "store command"));
    }
    return Done{};
}

StoreResult<Done> Store::add_sitrep(const SitrepRow& row) {
    const Reset reset(add_sitrep_);
    bind_text(add_sitrep_, 1, row.submission_id);
    bind_text(add_sitrep_, 2, row.site_id);
    sqlite3_bind_int64(add_sitrep_, 3, row.as_at.time_since_epoch().count());
    sqlite3_bind_int64(add_sitrep_, 4, row.received_at.time_since_epoch().count());
    bind_text(add_sitrep_, 5, row.status);
    bind_blob(add_sitrep_, 6, row.sitrep);
    bind_blob(add_sitrep_, 7, row.reply);
    bind_sequence(add_sitrep_, 8, row.result_sequence);
    const int rc = sqlite3_step(add_sitrep_);
    if (rc != SQLITE_DONE) {
        return unexpected(error(rc, "store sitrep"));
    }
    return Done{};
}

namespace {

// Binds `row` to parameters first..first+4 of an INSERT INTO results/events.
void bind_published(sqlite3_stmt* s, int first, const PublishedRow& row) {
    sqlite3_bind_int64(s, first, static_cast<sqlite3_int64>(row.sequence));
    bind_text(s, first + 1, row.node_id);
    sqlite3_bind_int64(s, first + 2, row.at.time_since_epoch().count());
    bind_text(s, first + 3, row.kind);
    bind_blob(s, first + 4, row.payload);
}

}  // namespace

StoreResult<Done> Store::add_published(sqlite3_stmt* s, const PublishedRow& row, const char* what) {
    bind_published(s, 1, row);
    return step(s, what);  // resets the statement and its bindings
}

StoreResult<Done> Store::add_result(const PublishedRow& row) {
    return add_results(std::span<const PublishedRow>(&row, 1));
}

StoreResult<Done> Store::add_results(std::span<const PublishedRow> rows) {
    while (!rows.empty()) {
        const std::size_t n = std::min(rows.size(), add_results_.size());
        sqlite3_stmt*& s = add_results_[n - 1];
        if (s == nullptr) {
            std::string sql = "INSERT INTO results (sequence, node_id, at, status, result) VALUES ";
            for (std::size_t i = 0; i < n; ++i) {
                sql += i == 0 ? "(?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?)";
            }
            auto prepared = prepare(sql.c_str());
            if (!prepared) {
                return unexpected(std::move(prepared).error());
            }
            s = *prepared;
        }
        for (std::size_t i = 0; i < n; ++i) {
            bind_published(s, static_cast<int>(1 + 5 * i), rows[i]);
        }
        if (auto r = step(s, "store results"); !r) {
            return r;
        }
        rows = rows.subspan(n);
    }
    return Done{};
}

StoreResult<Done> Store::add_event(const PublishedRow& row) {
    return add_published(add_event_, row, "store event");
}

StoreResult<Done> Store::put_node_state(std::string_view node_id, std::string_view state,
                                        std::optional<std::uint64_t> result_sequence) {
    bind_text(log_state_, 1, node_id);
    bind_blob(log_state_, 2, state);
    bind_sequence(log_state_, 3, result_sequence);
    if (auto r = step(log_state_, "store node state"); !r) {
        return r;
    }
    ++state_log_rows_;
    if (state_log_rows_ < state_log_limit) {
        return Done{};
    }
    // Fold: each node's newest logged state replaces its node_state row, then the log is
    // emptied (same transaction as the caller's writes).
    if (auto r = exec("INSERT INTO node_state (node_id, state, result_sequence) "
                      "SELECT node_id, state, result_sequence FROM state_log "
                      "WHERE seq IN (" OPEL_NEWEST_LOGGED ") "
                      "ON CONFLICT(node_id) DO UPDATE SET state = excluded.state, "
                      "result_sequence = excluded.result_sequence");
        !r) {
        return r;
    }
    if (auto r = exec("DELETE FROM state_log"); !r) {
        return r;
    }
    state_log_rows_ = 0;
    return Done{};
}

StoreResult<Done> Store::put_meta(std::string_view key, std::int64_t value) {
    const Reset reset(put_meta_);
    bind_text(put_meta_, 1, key);
    sqlite3_bind_int64(put_meta_, 2, value);
    const int rc = sqlite3_step(put_meta_);
    if (rc != SQLITE_DONE) {
        return unexpected(error(rc, "store meta"));
    }
    return Done{};
}

StoreResult<std::optional<std::int64_t>> Store::meta(std::string_view key) {
    const Reset reset(get_meta_);
    bind_text(get_meta_, 1, key);
    const int rc = sqlite3_step(get_meta_);
    if (rc == SQLITE_ROW) {
        return std::optional<std::int64_t>(sqlite3_column_int64(get_meta_, 0));
    }
    if (rc == SQLITE_DONE) {
        return std::optional<std::int64_t>();
    }
    return unexpected(error(rc, "read meta"));
}

StoreResult<std::uint64_t> Store::last_sequence() {
    // The high-water mark keeps the sequence from going back when rows were removed (an
    // emptied results table, a partial restore): a number is never given twice.
    auto last = scalar(
        "SELECT max(coalesce((SELECT max(sequence) FROM results), 0), "
        "coalesce((SELECT max(sequence) FROM events), 0), "
        "coalesce((SELECT value FROM meta WHERE key = 'sequence_high_water'), 0))",
        "read last sequence");
    if (!last) {
        return unexpected(std::move(last).error());
    }
    return static_cast<std::uint64_t>(*last);
}

StoreResult<std::vector<StoredState>> Store::node_states() {
    if (auto bad = unwritable_file(path_, true)) {  // reading maps the -shm
        return unexpected(std::move(*bad));
    }
    // node_state, overlaid by each node's newest logged state
    auto s = one_off(
        "SELECT n.node_id, n.state, n.result_sequence, r.result "
        "FROM node_state n LEFT JOIN results r ON r.sequence = n.result_sequence "
        "WHERE n.node_id NOT IN (SELECT node_id FROM state_log) "
        "UNION ALL "
        "SELECT l.node_id, l.state, l.result_sequence, r.result "
        "FROM state_log l LEFT JOIN results r ON r.sequence = l.result_sequence "
        "WHERE l.seq IN (" OPEL_NEWEST_LOGGED ")",
        "read node state");
    if (!s) {
        return unexpected(std::move(s).error());
    }
    std::vector<StoredState> out;
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) {
        StoredState& state = out.emplace_back();
        state.node_id = reinterpret_cast<const char*>(sqlite3_column_text(s->get(), 0));
        state.state = column_blob(s->get(), 1);
        if (sqlite3_column_type(s->get(), 2) != SQLITE_NULL) {
            state.result_sequence = static_cast<std::uint64_t>(sqlite3_column_int64(s->get(), 2));
        }
        if (sqlite3_column_type(s->get(), 3) != SQLITE_NULL) {
            state.result = column_blob(s->get(), 3);
        }
    }
    if (rc != SQLITE_DONE) {
        return unexpected(error(rc, "read node state"));
    }
    return out;
}

StoreResult<std::int64_t> Store::count(std::string_view table) {
    if (table != "sitreps" && table != "results" && table != "events" && table != "node_state" &&
        table != "state_log" && table != "commands") {
        return unexpected(StoreError{Errc::other, "no table '" + std::string(table) + "'"});
    }
    const std::string sql = "SELECT count(*) FROM " + std::string(table);
    return scalar(sql.c_str(), "count");
}

StoreResult<std::int64_t> Store::check_integrity() {
    for (const char* table : {"meta", "node_state", "state_log", "commands"}) {
        const std::string sql = std::string("PRAGMA quick_check(") + table + ")";
        auto s = one_off(sql, "integrity check");
        if (!s) {
            return unexpected(std::move(s).error());
        }
        const int rc = sqlite3_step(s->get());
        if (rc != SQLITE_ROW) {
            return unexpected(error(rc, "integrity check"));
        }
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s->get(), 0));
        const std::string found = text == nullptr ? "" : text;
        if (found != "ok") {
            return unexpected(StoreError{
                Errc::corrupt, "database '" + path_ + "' is damaged (" + table + "): " + found});
        }
    }
    // The newest results and events rows are read by every restart (last_sequence).
    return scalar("SELECT coalesce(max(seq), 0) FROM sitreps", "integrity check: newest row");
}

StoreResult<Done> Store::uses_index(sqlite3_stmt* statement, const char* index) {
    auto s = one_off(std::string("EXPLAIN QUERY PLAN ") + sqlite3_sql(statement), "query plan");
    if (!s) {
        return unexpected(std::move(s).error());
    }
    std::string plan;
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(s->get())) == SQLITE_ROW) {
        plan += reinterpret_cast<const char*>(sqlite3_column_text(s->get(), 3));
        plan += "; ";
    }
    if (rc != SQLITE_DONE) {
        return unexpected(error(rc, "query plan"));
    }
    if (plan.find(std::string("USING INDEX ") + index) == std::string::npos) {
        return unexpected(StoreError{
            Errc::schema, "this SQLite (" + std::string(sqlite3_libversion()) +
                              ") would not use index " + index + " for: " + sqlite3_sql(statement) +
                              " (plan: " + plan + ")"});
    }
    return Done{};
}

StoreResult<Store::OneOff> Store::one_off(const std::string& sql, const char* what) {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &raw, nullptr);
    OneOff s(raw, sqlite3_finalize);
    if (rc != SQLITE_OK) {
        return unexpected(error(rc, what));
    }
    return s;
}

StoreResult<std::int64_t> Store::scalar(const char* sql, const char* what) {
    auto s = one_off(sql, what);
    if (!s) {
        return unexpected(std::move(s).error());
    }
    if (const int rc = sqlite3_step(s->get()); rc != SQLITE_ROW) {
        return unexpected(error(rc, what));
    }
    return static_cast<std::int64_t>(sqlite3_column_int64(s->get(), 0));
}

}  // namespace opel::store

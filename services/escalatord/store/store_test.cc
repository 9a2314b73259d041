#include "escalatord/store/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

namespace opel::store {
namespace {

namespace fs = std::filesystem;

class StoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("opel-store-test-" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
    }
    void TearDown() override {
        fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::add);
        fs::remove_all(dir_);
    }
    std::unique_ptr<Store> open() {
        auto s = Store::open((dir_ / "opel.db").string());
        EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
        return s ? std::move(s).value() : nullptr;
    }
    static SitrepRow row(std::string id) {
        return {std::move(id),
                "RWJ",
                TimePoint{Duration{100}},
                TimePoint{Duration{101}},
                "accepted",
                "sitrep-bytes",
                "reply-bytes",
                std::nullopt};
    }
    // A database as an earlier version left it: its meta table and `tables` (SQL).
    void old_database(int version, const std::string& tables) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open((dir_ / "opel.db").c_str(), &db), SQLITE_OK);
        const std::string sql =
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
            "INSERT INTO meta VALUES ('schema_version', " +
            std::to_string(version) + ");" + tables;
        ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    }
    fs::path dir_;
};

// A 0-byte file (a failed copy or restore) is not taken for a new database: that would start
// the history and the publisher sequence afresh without a word.
TEST_F(StoreTest, AnEmptyExistingFileIsRefusedNotStartedAfresh) {
    std::ofstream((dir_ / "opel.db").string()).close();
    const auto s = Store::open((dir_ / "opel.db").string());
    ASSERT_FALSE(s.has_value());
    EXPECT_EQ(s.error().code, Errc::corrupt);
    EXPECT_NE(s.error().message.find("is an empty file (0 bytes)"), std::string::npos)
        << s.error().message;
    EXPECT_EQ(fs::file_size(dir_ / "opel.db"), 0U);  // left as it was
    // A new database, created by the store, reopens.
    fs::remove(dir_ / "opel.db");
    ASSERT_NE(open(), nullptr);
    EXPECT_GT(fs::file_size(dir_ / "opel.db"), 0U);
    ASSERT_NE(open(), nullptr);
}

// Commands are found by their key with their reply, request and the result row the reply
// carried; a key is stored once.
TEST_F(StoreTest, CommandsAreFoundByKeyAndStoredOnce) {
    {
        auto store = open();
        ASSERT_TRUE(store->begin());
        const PublishedRow result{7, "RWJ", TimePoint{Duration{100}}, "OPEL 3", "result-bytes"};
        ASSERT_TRUE(store->add_result(result));
        ASSERT_TRUE(
            store->add_command({"ack/RWJ#3", "acknowledgement", "RWJ", TimePoint{Duration{101}},
                                "request-bytes", "reply-bytes", 7}));
        ASSERT_TRUE(
            store->add_command({"declare/cli-1", "declaration", "RWJ", TimePoint{Duration{102}},
                                "declaration", "reply2", std::nullopt}));
        ASSERT_TRUE(store->commit());
        ASSERT_TRUE(store->begin());
        EXPECT_FALSE(
            store->add_command({"ack/RWJ#3", "acknowledgement", "RWJ", TimePoint{Duration{103}},
                                "again", "again", std::nullopt}));
        store->rollback();
    }
    auto store = open();
    const auto found = store->find_command("ack/RWJ#3");
    ASSERT_TRUE(found.has_value() && found->has_value());
    EXPECT_EQ((*found)->reply, "reply-bytes");
    EXPECT_EQ((*found)->sitrep, "request-bytes");
    EXPECT_EQ((*found)->result, std::optional<std::string>("result-bytes"));
    const auto second = store->find_command("declare/cli-1");
    ASSERT_TRUE(second.has_value() && second->has_value());
    EXPECT_EQ((*second)->result, std::nullopt);
    EXPECT_EQ(*store->find_command("ack/RWJ#4"), std::nullopt);
    EXPECT_EQ(*store->count("commands"), 2);
    EXPECT_EQ(*store->find_reply("ack/RWJ#3"), std::nullopt);  // not a sitrep's key
}

// A version-5 database gains the commands table at its first open, its history kept.
TEST_F(StoreTest, Version5DatabaseGainsTheCommandsTable) {
    {
        auto store = open();
        ASSERT_TRUE(store->begin());
        ASSERT_TRUE(store->add_sitrep(row("RWJ@1")));
        ASSERT_TRUE(store->commit());
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "opel.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "DROP TABLE commands; UPDATE meta SET value = 5 WHERE key = "
                           "'schema_version'",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
    auto store = open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(*store->meta("schema_version"), std::optional<std::int64_t>(6));
    EXPECT_EQ(*store->count("commands"), 0);
    EXPECT_EQ(*store->count("sitreps"), 1);
    ASSERT_TRUE(store->begin());
    EXPECT_TRUE(store->add_command(
        {"ack/RWJ#1", "acknowledgement", "RWJ", TimePoint{Duration{1}}, "r", "r", std::nullopt}));
    ASSERT_TRUE(store->commit());
}

TEST_F(StoreTest, ANewDatabaseAndItsWalAreTheOwnersAloneWhateverTheUmask) {
    const mode_t old = ::umask(0);
    auto store = open();
    ::umask(old);
    ASSERT_TRUE(store->begin());
    ASSERT_TRUE(store->add_sitrep(row("a")));
    ASSERT_TRUE(store->commit());
    const auto owner_only = fs::perms::owner_read | fs::perms::owner_write;
    EXPECT_EQ(fs::status(dir_ / "opel.db").permissions(), owner_only);
    ASSERT_TRUE(fs::exists(dir_ / "opel.db-wal"));
    EXPECT_EQ(fs::status(dir_ / "opel.db-wal").permissions(), owner_only);
}

TEST_F(StoreTest, WithAGroupTheDatabaseAndItsWalAndShmAreItsToReadWhateverTheUmask) {
    const gid_t group = ::getegid();  // one the process may always give files to
    const mode_t old = ::umask(0);
    auto opened = Store::open((dir_ / "opel.db").string(), group);
    ::umask(old);
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    auto store = std::move(opened).value();
    ASSERT_TRUE(store->begin());
    ASSERT_TRUE(store->add_sitrep(row("a")));
    ASSERT_TRUE(store->commit());
    for (const char* file : {"opel.db", "opel.db-wal", "opel.db-shm"}) {
        struct stat st {};
        ASSERT_EQ(::stat((dir_ / file).c_str(), &st), 0) << file;
        EXPECT_EQ(st.st_mode & 0777U, 0640U) << file;
        EXPECT_EQ(st.st_gid, group) << file;
    }
    // An existing database opened with the group again keeps working and stays shared.
    store.reset();
    auto again = Store::open((dir_ / "opel.db").string(), group);
    ASSERT_TRUE(again.has_value()) << again.error().message;
    EXPECT_TRUE((*again)->find_reply("a")->has_value());
}

TEST_F(StoreTest, CommittedRowsSurviveReopening) {
    {
        auto store = open();
        ASSERT_TRUE(store->begin());
        ASSERT_TRUE(store->add_sitrep(row("a")));
        ASSERT_TRUE(store->put_node_state("RWJ", "state-1", std::nullopt));
        ASSERT_TRUE(store->put_node_state("RWJ", "state-2", 1));
        ASSERT_TRUE(store->put_meta("answer", 42));
        ASSERT_TRUE(store->add_result({1, "RWJ", TimePoint{Duration{5}}, "OPEL 3", "r"}));
        ASSERT_TRUE(store->add_event({2, "RWJ", TimePoint{Duration{5}}, "escalated", "e"}));
        ASSERT_TRUE(store->commit());
    }
    auto store = open();
    const auto found = store->find_reply("a");
    ASSERT_TRUE(found.has_value() && found->has_value());
    EXPECT_EQ((*found)->reply, "reply-bytes");
    EXPECT_EQ((*found)->result, std::nullopt);  // no result_sequence: LATE
    EXPECT_FALSE(store->find_reply("b")->has_value());
    EXPECT_EQ(*store->meta("answer"), std::optional<std::int64_t>(42));
    EXPECT_EQ(*store->last_sequence(), 2U);  // the event's
    const auto states = store->node_states();
    ASSERT_TRUE(states.has_value());
    ASSERT_EQ(states->size(), 1U);
    EXPECT_EQ((*states)[0].node_id, "RWJ");
    EXPECT_EQ((*states)[0].state, "state-2");
    EXPECT_EQ((*states)[0].result_sequence, std::optional<std::uint64_t>(1));
    EXPECT_EQ((*states)[0].result, std::optional<std::string>("r"));  // results row 1
    EXPECT_EQ(*store->count("results"), 1);
    EXPECT_EQ(*store->count("events"), 1);
}

// A commit far larger than one gathered WAL run (1 MiB) and than one write of the unix VFS
// (128 KiB): every row is there for another connection, through the default VFS.
TEST_F(StoreTest, LargeCommitIsWrittenWhole) {
    auto store = open();
    ASSERT_TRUE(store->begin());
    const std::string payload(10000, 'p');
    for (std::uint64_t i = 1; i <= 400; ++i) {
        ASSERT_TRUE(store->add_result({i, "RWJ", TimePoint{Duration{5}}, "OPEL 3", payload}));
    }
    ASSERT_TRUE(store->commit());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "opel.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT count(*), sum(length(result)) FROM results", -1, &s,
                                 nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(s, 0), 400);
    EXPECT_EQ(sqlite3_column_int64(s, 1), 400 * 10000);
    sqlite3_finalize(s);
    sqlite3_close(db);
    store.reset();
    EXPECT_EQ(*open()->count("results"), 400);
}

TEST_F(StoreTest, FoundReplyCarriesItsResultRow) {
    auto store = open();
    ASSERT_TRUE(store->begin());
    SitrepRow accepted = row("a");
    accepted.result_sequence = 7;
    ASSERT_TRUE(store->add_sitrep(accepted));
    ASSERT_TRUE(store->add_result({7, "RWJ", TimePoint{Duration{100}}, "OPEL 2", "result-7"}));
    ASSERT_TRUE(store->add_result({8, "stockport", TimePoint{Duration{100}}, "OPEL 1", "r-8"}));
    ASSERT_TRUE(store->commit());
    const auto found = store->find_reply("a");
    ASSERT_TRUE(found.has_value() && found->has_value());
    EXPECT_EQ((*found)->reply, "reply-bytes");
    EXPECT_EQ((*found)->result, std::optional<std::string>("result-7"));
}

// Rows go in up to eight per statement: 13 rows are one full statement and one of five,
// every row stored with its own values; a bad row fails the call and names it.
TEST_F(StoreTest, ResultsStoredSeveralPerStatementKeepEveryRow) {
    auto store = open();
    std::vector<std::string> payloads;
    std::vector<PublishedRow> rows;
    for (std::uint64_t i = 1; i <= 13; ++i) {
        payloads.push_back("result-" + std::to_string(i));
    }
    for (std::uint64_t i = 1; i <= 13; ++i) {
        rows.push_back({i, i % 2 == 0 ? "RWJ" : "stockport", TimePoint{Duration{100 + i}}, "OPEL 2",
                        payloads[i - 1]});
    }
    ASSERT_TRUE(store->begin());
    ASSERT_TRUE(store->add_results(rows));
    ASSERT_TRUE(store->commit());
    EXPECT_EQ(*store->count("results"), 13);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "opel.db").string().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(
                  db, "SELECT sequence, node_id, at, result FROM results ORDER BY sequence", -1, &s,
                  nullptr),
              SQLITE_OK);
    for (std::uint64_t i = 1; i <= 13; ++i) {
        ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
        EXPECT_EQ(sqlite3_column_int64(s, 0), static_cast<sqlite3_int64>(i));
        EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 1)),
                     i % 2 == 0 ? "RWJ" : "stockport");
        EXPECT_EQ(sqlite3_column_int64(s, 2), static_cast<sqlite3_int64>(100 + i));
        EXPECT_EQ(reinterpret_cast<const char*>(sqlite3_column_text(s, 3)), payloads[i - 1]);
    }
    EXPECT_EQ(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    sqlite3_close(db);
    // A sequence already stored: the call fails with the constraint, and nothing of the
    // rolled-back transaction stays.
    ASSERT_TRUE(store->begin());
    const std::vector<PublishedRow> again = {{14, "RWJ", TimePoint{}, "OPEL 1", "r"},
                                             {3, "RWJ", TimePoint{}, "OPEL 1", "r"}};
    const auto failed = store->add_results(again);
    ASSERT_FALSE(failed);
    EXPECT_NE(failed.error().message.find("store results"), std::string::npos);
    store->rollback();
    EXPECT_EQ(*store->count("results"), 13);
}

// States are appended to a log and folded into node_state every 50,000 rows: before and
// after the fold, and across a reopen, each node's newest state is the one read back.
TEST_F(StoreTest, NewestStateOfEachNodeWinsAcrossTheLogAndItsFold) {
    auto store = open();
    const auto newest = [&store] {
        std::map<std::string, std::pair<std::string, std::optional<std::uint64_t>>> out;
        const auto states = store->node_states();
        EXPECT_TRUE(states.has_value());
        for (const StoredState& s : *states) {
            EXPECT_TRUE(out.emplace(s.node_id, std::pair(s.state, s.result_sequence)).second)
                << "node " << s.node_id << " read twice";
        }
        return out;
    };
    ASSERT_TRUE(store->begin());
    ASSERT_TRUE(store->put_node_state("RWJ", "rwj-1", 1));
    ASSERT_TRUE(store->put_node_state("stockport", "stockport-2", 2));
    ASSERT_TRUE(store->put_node_state("RWJ", "rwj-3", 3));
    ASSERT_TRUE(store->commit());
    using Row = std::pair<std::string, std::optional<std::uint64_t>>;
    EXPECT_EQ(newest()["RWJ"], Row("rwj-3", 3));
    EXPECT_EQ(newest()["stockport"], Row("stockport-2", 2));
    EXPECT_EQ(newest().size(), 2U);
    // Past the limit: the log is folded (one row per node into node_state) and emptied.
    ASSERT_TRUE(store->begin());
    for (std::uint64_t i = 4; i <= 50001; ++i) {
        ASSERT_TRUE(
            store->put_node_state(i % 2 == 0 ? "RWJ" : "QOP", "state-" + std::to_string(i), i));
    }
    ASSERT_TRUE(store->commit());
    EXPECT_LT(*store->count("state_log"), 10);
    EXPECT_EQ(*store->count("node_state"), 3);
    EXPECT_EQ(newest()["RWJ"], Row("state-50000", 50000));
    EXPECT_EQ(newest()["QOP"], Row("state-50001", 50001));
    EXPECT_EQ(newest()["stockport"], Row("stockport-2", 2));
    ASSERT_TRUE(store->begin());
    ASSERT_TRUE(store->put_node_state("stockport", "stockport-9", std::nullopt));
    ASSERT_TRUE(store->commit());
    store.reset();
    store = open();
    EXPECT_EQ(newest()["stockport"], Row("stockport-9", std::nullopt));
    EXPECT_EQ(newest()["RWJ"], Row("state-50000", 50000));
    EXPECT_EQ(newest().size(), 3U);
}

TEST_F(StoreTest, LastSequenceIsTheLargestStoredOfResultsAndEvents) {
    auto store = open();
    EXPECT_EQ(*store->last_sequence(), 0U);
    ASSERT_TRUE(store->begin());
    ASSERT_TRUE(store->add_event({4, "RWJ", TimePoint{Duration{5}}, "escalated", "e"}));
    ASSERT_TRUE(store->add_result({9, "RWJ", TimePoint{Duration{5}}, "OPEL 3", "r"}));
    ASSERT_TRUE(store->commit());
    EXPECT_EQ(*store->last_sequence(), 9U);
}

TEST_F(StoreTest, RolledBackRowsAreGone) {
    auto store = open();
    ASSERT_TRUE(store->begin());
    ASSERT_TRUE(store->add_sitrep(row("a")));
    store->rollback();
    EXPECT_FALSE(store->find_reply("a")->has_value());
    EXPECT_EQ(*store->count("sitreps"), 0);
}

TEST_F(StoreTest, DuplicateSubmissionIdIsAnError) {
    auto store = open();
    ASSERT_TRUE(store->begin());
    ASSERT_TRUE(store->add_sitrep(row("a")));
    const auto again = store->add_sitrep(row("a"));
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().code, Errc::other);
    store->rollback();
}

TEST_F(StoreTest, ReadOnlyDatabaseFailsToWriteWithReadonly) {
    open().reset();
    if (::geteuid() == 0) {
        // Permission bits do not bind root; the escalatord system test covers this case by
        // running the daemon as an unprivileged user.
        GTEST_SKIP() << "running as root: permission bits do not apply";
    }
    fs::permissions(dir_ / "opel.db", fs::perms::owner_read, fs::perm_options::replace);
    auto store = Store::open((dir_ / "opel.db").string());
    if (store) {
        auto begin = (*store)->begin();
        const auto write = begin ? (*store)->add_sitrep(row("a")) : unexpected(begin.error());
        ASSERT_FALSE(write.has_value());
        EXPECT_EQ(write.error().code, Errc::readonly);
    } else {
        EXPECT_EQ(store.error().code, Errc::readonly);
    }
}

TEST_F(StoreTest, OtherSchemaVersionIsRefusedAndLeftUnchanged) {
    {
        auto store = open();
        ASSERT_TRUE(store->put_meta("schema_version", 1));
    }
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "opel.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP INDEX results_time", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);

    auto store = Store::open((dir_ / "opel.db").string());
    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.error().code, Errc::schema);
    EXPECT_NE(store.error().message.find("has schema version 1; this is 6"), std::string::npos)
        << store.error().message;
    ASSERT_EQ(sqlite3_open((dir_ / "opel.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE name = 'results_time'", -1, &s,
                       nullptr);
    ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(s, 0), 0);  // nothing was created in the old database
    sqlite3_finalize(s);
    sqlite3_close(db);
}

TEST_F(StoreTest, StateWithoutItsResultRowComesBackWithoutAResult) {
    auto store = open();
    ASSERT_TRUE(store->begin());
    ASSERT_TRUE(store->put_node_state("RWJ", "state", 5));  // no results row 5
    ASSERT_TRUE(store->commit());
    const auto states = store->node_states();
    ASSERT_TRUE(states.has_value());
    ASSERT_EQ(states->size(), 1U);
    EXPECT_EQ((*states)[0].result_sequence, std::optional<std::uint64_t>(5));
    EXPECT_EQ((*states)[0].result, std::nullopt);
}

// Default ids ("<site>@<as_at>") and any other id are one key space: an explicit id that
// rearranges a default one is a different submission, the same id twice is refused, and
// each is found with its own reply.
TEST_F(StoreTest, SubmissionIdsOfEveryFormAreKeyedApartAndFoundExactly) {
    auto store = open();
    const std::vector<std::string> ids = {"RWJ@2026-01-13T04:00:00Z", "2026-01-13T04:00:00ZRWJ",
                                          "12026-01-13T04:00:00ZRWJ", "RWJ@2026-01-13T04:00:01Z",
                                          "@2026-01-13T04:00:00Z",    "bi-export-7"};
    ASSERT_TRUE(store->begin());
    for (const std::string& id : ids) {
        SitrepRow r = row(id);
        r.reply = "reply-" + id;
        ASSERT_TRUE(store->add_sitrep(r)) << id;
    }
    ASSERT_TRUE(store->commit());
    for (const std::string& id : ids) {
        const auto found = store->find_reply(id);
        ASSERT_TRUE(found.has_value() && found->has_value()) << id;
        EXPECT_EQ((*found)->reply, "reply-" + id);
    }
    for (const char* absent : {"RWJ@2026-01-13T04:00:02Z", "RWJ"}) {
        const auto found = store->find_reply(absent);
        ASSERT_TRUE(found.has_value()) << found.error().message;  // a lookup, not an error
        EXPECT_FALSE(found->has_value()) << absent;
    }
    ASSERT_TRUE(store->begin());
    const auto again = store->add_sitrep(row("RWJ@2026-01-13T04:00:00Z"));
    ASSERT_FALSE(again);
    EXPECT_NE(again.error().message.find("UNIQUE"), std::string::npos) << again.error().message;
    store->rollback();
}

// A lookup by submission id is a search of the key index, never a scan of the history.
TEST_F(StoreTest, LookupBySubmissionIdSearchesTheKeyIndex) {
    open();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "opel.db").c_str(), &db), SQLITE_OK);
    const std::string sql = "EXPLAIN QUERY PLAN SELECT reply FROM sitreps s WHERE " +
                            submission_key_sql("s.submission_id") + " = " +
                            submission_key_sql("?1");
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql;
    std::string plan;
    while (sqlite3_step(s) == SQLITE_ROW) {
        plan += reinterpret_cast<const char*>(sqlite3_column_text(s, 3));
        plan += '\n';
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    EXPECT_NE(plan.find("USING INDEX sitreps_key"), std::string::npos) << plan;
}

// A version-3 database (submission_id UNIQUE by itself) gains the key index at its first
// open; its stored submissions are still found and still refuse a second copy.
TEST_F(StoreTest, Version3DatabaseIsUpgradedInPlaceKeepingItsSubmissions) {
    old_database(3,
                 "CREATE TABLE sitreps (seq INTEGER PRIMARY KEY, submission_id TEXT NOT NULL "
                 "UNIQUE, site_id TEXT NOT NULL, as_at INTEGER NOT NULL, received_at INTEGER "
                 "NOT NULL, status TEXT NOT NULL, sitrep BLOB NOT NULL, reply BLOB NOT NULL, "
                 "result_sequence INTEGER);"
                 "INSERT INTO sitreps VALUES (1, 'RWJ@2026-01-13T04:00:00Z', 'RWJ', 0, 0, "
                 "'accepted', 's', 'old-reply', NULL);");
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(*store->meta("schema_version"), std::optional<std::int64_t>(6));
    const auto found = store->find_reply("RWJ@2026-01-13T04:00:00Z");
    ASSERT_TRUE(found.has_value() && found->has_value());
    EXPECT_EQ((*found)->reply, "old-reply");
    ASSERT_TRUE(store->begin());
    EXPECT_FALSE(store->add_sitrep(row("RWJ@2026-01-13T04:00:00Z")));
    store->rollback();
}

TEST_F(StoreTest, Version2DatabaseIsUpgradedInPlaceKeepingItsStates) {
    // A version-2 database: node_state without result_sequence, its states carrying their
    // results.
    old_database(2,
                 "CREATE TABLE node_state (node_id TEXT PRIMARY KEY, state BLOB NOT NULL) "
                 "WITHOUT ROWID;"
                 "INSERT INTO node_state VALUES ('RWJ', 'state-with-result');");
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(*store->meta("schema_version"), std::optional<std::int64_t>(6));
    const auto states = store->node_states();
    ASSERT_TRUE(states.has_value());
    ASSERT_EQ(states->size(), 1U);
    EXPECT_EQ((*states)[0].state, "state-with-result");
    EXPECT_EQ((*states)[0].result_sequence, std::nullopt);  // the state carries its result
    ASSERT_TRUE(store->begin());
    ASSERT_TRUE(store->put_node_state("RWJ", "state", 1));
    ASSERT_TRUE(store->commit());
    store.reset();
    EXPECT_EQ(open()->node_states()->at(0).result_sequence, std::optional<std::uint64_t>(1));
}

TEST_F(StoreTest, GarbageFileIsReportedAsCorrupt) {
    { std::ofstream(dir_ / "opel.db") << std::string(8192, 'x'); }
    auto store = Store::open((dir_ / "opel.db").string());
    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.error().code, Errc::corrupt);
}

}  // namespace
}  // namespace opel::store

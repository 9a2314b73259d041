// opel backup: a consistent copy of opel-escalatord's database while it keeps ingesting
// (SQLite's online backup API, in one read transaction of the WAL: writers are not held up).
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "adapters/clock/stopwatch.h"
#include "cli.h"

namespace opel::cli {
namespace {

constexpr const char* help = R"(usage: opel backup --to FILE [--database PATH] [--config DIR|FILE]

Copies opel-escalatord's SQLite database to FILE while the daemon runs: one consistent
snapshot of everything committed when the copy started (every acknowledged sitrep up to
then, with results, alerts and node state), taken in a single read transaction, so ingest
is never held up. The copy is written to FILE.partial, synced, checked with SQLite's
quick_check and only then renamed to FILE. To restore, stop the daemon and put FILE in
place of its database (or start it with --database FILE).

  --to FILE          the backup; refused if it exists
  --database PATH    the live database (default $OPEL_DATABASE_PATH, else the
                     configuration's escalatord.database_path, relative to the daemon's
                     working directory)
  --config DIR|FILE  configuration to read the database path from

Exit 0 with "backed up ..."; 1 when the database cannot be read or FILE written (the reason
is printed, and nothing is left at FILE); 2 for usage errors.
)";

using Db = std::unique_ptr<sqlite3, int (*)(sqlite3*)>;

Result<Db, std::string> open_db(const std::string& path, int flags) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    Db db(raw, sqlite3_close);
    if (rc != SQLITE_OK) {
        return unexpected("cannot open " + path + ": " +
                          (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    }
    sqlite3_busy_timeout(raw, 5000);
    return db;
}

std::int64_t scalar(sqlite3* db, const char* sql) {
    sqlite3_stmt* s = nullptr;
    std::int64_t value = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        value = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return value;
}

// Copies `from` into a new file `to`, synced; the error says what failed.
Result<std::monostate, std::string> copy(const std::string& from, const std::string& to) {
    auto source = open_db(from, SQLITE_OPEN_READONLY);
    if (!source) {
        return unexpected(source.error());
    }
    if (scalar(source->get(), "SELECT count(*) FROM sqlite_master WHERE name = 'sitreps'") != 1) {
        return unexpected(from + " is not an opel-escalatord database (no sitreps table)");
    }
    auto target = open_db(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!target) {
        return unexpected(target.error());
    }
    sqlite3_backup* backup = sqlite3_backup_init(target->get(), "main", source->get(), "main");
    if (backup == nullptr) {
        return unexpected(std::string("cannot start the backup: ") + sqlite3_errmsg(target->get()));
    }
    // All pages in one step: one read transaction, so the copy is one committed state.
    const int rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) {
        return unexpected(std::string("backup failed: ") + sqlite3_errstr(rc));
    }
    sqlite3_stmt* check = nullptr;
    sqlite3_prepare_v2(target->get(), "PRAGMA quick_check", -1, &check, nullptr);
    const bool ok =
        sqlite3_step(check) == SQLITE_ROW &&
        std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(check, 0))) == "ok";
    sqlite3_finalize(check);
    if (!ok) {
        return unexpected(std::string("the copy failed SQLite's quick_check"));
    }
    return std::monostate{};
}

bool synced(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    const bool ok = fd >= 0 && ::fsync(fd) == 0;
    if (fd >= 0) {
        ::close(fd);
    }
    return ok;
}

// The database path: the flag (or OPEL_DATABASE_PATH), else the configuration's.
std::optional<std::string> database_of(const std::optional<std::string>& given,
                                       const std::optional<std::string>& config) {
    if (given) {
        return given;
    }
    const auto loaded = load_config_or_report(options::config_path(config), std::cerr);
    if (!loaded) {
        return std::nullopt;
    }
    return loaded->escalatord.database_path;
}

int backup(const std::string& from, const std::string& to) {
    namespace fs = std::filesystem;
    const std::string partial = to + ".partial";
    std::error_code ec;
    fs::remove(partial, ec);
    Stopwatch watch;
    auto copied = copy(from, partial);
    if (copied && !synced(partial)) {
        copied = unexpected("cannot sync " + partial);
    }
    if (copied) {
        fs::rename(partial, to, ec);
        if (ec) {
            copied = unexpected("cannot rename " + partial + " to " + to + ": " + ec.message());
        }
    }
    if (!copied) {
        fs::remove(partial, ec);
        std::cerr << "opel backup: " << copied.error() << '\n';
        return exit_failed;
    }
    const auto check = open_db(to, SQLITE_OPEN_READONLY);
    std::cout << "backed up " << from << " to " << to << ": "
              << (check ? scalar(check->get(), "SELECT count(*) FROM sitreps") : -1) << " sitreps, "
              << fs::file_size(to, ec) << " bytes, in "
              << static_cast<double>(watch.lap() / 1000000) / 1000.0 << " s\n";
    return exit_ok;
}

}  // namespace

int backup_main(const std::vector<std::string>& argv) {
    std::optional<std::string> config, database, to;
    options::CommandLine cl("opel backup", help);
    cl.config(config);
    cl.text("--database", database, "OPEL_DATABASE_PATH");
    cl.text("--to", to);
    if (auto stop = cl.parse(argv)) {
        return options::report(*stop, std::cout, std::cerr);
    }
    if (!to) {
        return options::report(cl.usage_error("--to FILE is required"), std::cout, std::cerr);
    }
    if (std::filesystem::exists(*to)) {
        std::cerr << "opel backup: " << *to << " exists; choose another name or remove it\n";
        return exit_failed;
    }
    const auto from = database_of(database, config);
    if (!from) {
        return exit_failed;
    }
    return backup(*from, *to);
}

}  // namespace opel::cli

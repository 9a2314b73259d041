// History reads for the query endpoint: the same tables the journal writes, read in storage
// order after a cursor, a page at a time (the caller bounds `limit`).
#include <sqlite3.h>

#include "escalatord/store/columns.h"
#include "escalatord/store/store.h"

namespace opel::store {
namespace {

struct Rows {
    std::vector<HistoryRow> rows;
    int rc = SQLITE_DONE;
};

// Steps `s` to the end: columns cursor, payload[, received_at, status].
Rows read_rows(sqlite3_stmt* s, bool sitreps) {
    Rows out;
    while ((out.rc = sqlite3_step(s)) == SQLITE_ROW) {
        HistoryRow& row = out.rows.emplace_back();
        row.cursor = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
        row.payload = column_blob(s, 1);
        if (sitreps) {
            row.received_at = TimePoint{Duration{sqlite3_column_int64(s, 2)}};
            row.status = column_blob(s, 3);
        } else if (sqlite3_column_count(s) > 2) {
            row.node_id = column_blob(s, 2);
        }
    }
    return out;
}

// "?, ?, ... ?" for `n` values.
std::string placeholders(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out += i == 0 ? "?" : ", ?";
    }
    return out;
}

std::string history_sql(HistoryTable table, const HistoryFilter& f) {
    const char* select = table == HistoryTable::sitreps
                             ? "SELECT seq, sitrep, received_at, status FROM sitreps WHERE seq > ?"
                         : table == HistoryTable::results
                             ? "SELECT sequence, result FROM results WHERE sequence > ?"
                             : "SELECT sequence, event FROM events WHERE sequence > ?";
    const char* time = table == HistoryTable::sitreps ? "as_at" : "at";
    const char* node = table == HistoryTable::sitreps ? "site_id" : "node_id";
    const char* order = table == HistoryTable::sitreps ? "seq" : "sequence";
    std::string sql = select;
    sql += std::string(" AND ") + time + " BETWEEN ? AND ?";
    if (!f.node_ids.empty()) {
        sql += std::string(" AND ") + node + " IN (" + placeholders(f.node_ids.size()) + ")";
    }
    return sql + " ORDER BY " + order + " LIMIT ?";
}

}  // namespace

StoreResult<std::vector<HistoryRow>> Store::publications_after(std::uint64_t after,
                                                               std::size_t limit) {
    auto s = one_off(
        "SELECT sequence, result, node_id FROM results WHERE sequence > ?1 "
        "UNION ALL SELECT sequence, event, node_id FROM events WHERE sequence > ?1 "
        "ORDER BY 1 LIMIT ?2",
        "read publications");
    if (!s) {
        return unexpected(std::move(s).error());
    }
    sqlite3_bind_int64(s->get(), 1, static_cast<sqlite3_int64>(after));
    sqlite3_bind_int64(s->get(), 2, static_cast<sqlite3_int64>(limit));
    Rows out = read_rows(s->get(), false);
    if (out.rc != SQLITE_DONE) {
        return unexpected(error(out.rc, "read publications"));
    }
    return std::move(out.rows);
}

StoreResult<std::optional<std::uint64_t>> Store::first_sequence_since(TimePoint t) {
    // results are indexed by time; events by node and time, and are few beside results.
    auto s = one_off(
        "SELECT min(coalesce((SELECT min(sequence) FROM results WHERE at >= ?1), 1e19), "
        "coalesce((SELECT min(sequence) FROM events WHERE at >= ?1), 1e19))",
        "find first publication since");
    if (!s) {
        return unexpected(std::move(s).error());
    }
    sqlite3_bind_int64(s->get(), 1, t.time_since_epoch().count());
    const int rc = sqlite3_step(s->get());
    if (rc != SQLITE_ROW) {
        return unexpected(error(rc, "find first publication since"));
    }
    if (sqlite3_column_type(s->get(), 0) != SQLITE_INTEGER) {
        return std::optional<std::uint64_t>{};
    }
    return std::optional(static_cast<std::uint64_t>(sqlite3_column_int64(s->get(), 0)));
}

StoreResult<std::vector<HistoryRow>> Store::history(HistoryTable table,
                                                    const HistoryFilter& filter) {
    auto s = one_off(history_sql(table, filter), "read history");
    if (!s) {
        return unexpected(std::move(s).error());
    }
    sqlite3_stmt* st = s->get();
    int i = 1;
    sqlite3_bind_int64(st, i++, static_cast<sqlite3_int64>(filter.after));
    sqlite3_bind_int64(st, i++, filter.from ? filter.from->time_since_epoch().count() : INT64_MIN);
    sqlite3_bind_int64(st, i++, filter.to ? filter.to->time_since_epoch().count() : INT64_MAX);
    for (const std::string& id : filter.node_ids) {
        sqlite3_bind_text(st, i++, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
    }
    sqlite3_bind_int64(st, i, static_cast<sqlite3_int64>(filter.limit));
    Rows out = read_rows(st, table == HistoryTable::sitreps);
    if (out.rc != SQLITE_DONE) {
        return unexpected(error(out.rc, "read history"));
    }
    return std::move(out.rows);
}

}  // namespace opel::store

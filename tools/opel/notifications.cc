// opel notifications: what opel-notifyd has sent, is sending and has given up on, and the
// escalations still waiting for someone to acknowledge them, read from its outbox.
#include <sqlite3.h>

#include <iostream>
#include <memory>

#include "adapters/config/loader.h"
#include "base/time.h"
#include "cli.h"
#include "engine/model.h"
#include "report.h"

namespace opel::cli {
namespace {

constexpr const char* help =
    R"(usage: opel notifications [--open] [--node PATH] [--limit N] [--json]
                          [--database PATH] [--config DIR|FILE]

Lists opel-notifyd's outbox: escalations to OPEL 3 or 4 with their state (open until
acknowledged, with reminders and escalation steps taken; acknowledged by whom; superseded
by a later change), then messages newest first with their state (pending, retrying, sent,
failed), attempts, last answer, receiver and subject. Webhook URLs are shown as
scheme://host/… (their paths are credentials). Reads the outbox read-only while the daemon
runs.

  --open             only open escalations, and messages not yet sent or given up
  --node PATH        only this subtree (QOP/stockport, RWJ)
  --limit N          at most N messages and N escalations (default 50)
  --json             JSON lines: {"escalation":{...}} then {"message":{...}}
  --database PATH    the outbox (default $OPEL_NOTIFY_DATABASE_PATH, else the
                     configuration's notifyd.database_path)
  --config DIR|FILE  configuration (node paths, the outbox's path)

Exit 0; 1 when the outbox cannot be read; 2 for usage errors.
)";

using Db = std::unique_ptr<sqlite3, int (*)(sqlite3*)>;

struct Statement {
    sqlite3_stmt* s = nullptr;
    ~Statement() { sqlite3_finalize(s); }
    std::string text(int i) const {
        const auto* p = sqlite3_column_text(s, i);
        return p == nullptr ? "" : reinterpret_cast<const char*>(p);  // NOLINT: SQLite's API
    }
    std::int64_t integer(int i) const { return sqlite3_column_int64(s, i); }
    bool null(int i) const { return sqlite3_column_type(s, i) == SQLITE_NULL; }
};

std::string london_ms(std::int64_t ms) { return format_london(TimePoint{Duration{ms / 1000}}); }
std::string london_s(std::int64_t s) { return format_london(TimePoint{Duration{s}}); }

struct Listing {
    sqlite3* db;
    const engine::Model* model;  // null: no node filter possible
    std::string node;
    bool open_only = false;
    long limit = 50;
    bool json = false;

    bool in_subtree(const std::string& node_id) const {
        if (node.empty()) {
            return true;
        }
        const auto i = model->find_node(node_id);
        return i && engine::path_matches(model->node(*i).path, node);
    }

    int escalations(std::ostream& out) const {
        Statement st;
        const std::string sql =
            std::string(
                "SELECT transition_id, route, node, opened_s, reminders, steps_done, "
                "state, closed_by, closed_s FROM escalations") +
            (open_only ? " WHERE state = 'open'" : "") + " ORDER BY opened_s DESC";
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st.s, nullptr) != SQLITE_OK) {
            std::cerr << "opel notifications: " << sqlite3_errmsg(db) << '\n';
            return exit_failed;
        }
        long shown = 0;
        if (!json) {
            out << "ESCALATIONS (open until acknowledged)\n";
        }
        while (shown < limit && sqlite3_step(st.s) == SQLITE_ROW) {
            if (!in_subtree(st.text(2))) {
                continue;
            }
            ++shown;
            const std::string state = st.text(6);
            if (json) {
                out << R"({"escalation":{"transition_id":)" << json_string(st.text(0))
                    << R"(,"route":)" << json_string(st.text(1)) << R"(,"node":)"
                    << json_string(st.text(2)) << R"(,"opened_at":)"
                    << json_string(format_utc(TimePoint{Duration{st.integer(3)}}))
                    << R"(,"reminders":)" << st.integer(4) << R"(,"steps":)" << st.integer(5)
                    << R"(,"state":)" << json_string(state) << R"(,"closed_by":)"
                    << json_string(st.text(7)) << "}}\n";
                continue;
            }
            out << "  " << pad(st.text(0), 14) << pad(state, 14) << "opened "
                << london_s(st.integer(3)) << ", route " << st.text(1) << ", " << st.integer(4)
                << " reminder" << (st.integer(4) == 1 ? "" : "s") << ", " << st.integer(5)
                << " step" << (st.integer(5) == 1 ? "" : "s");
            if (state != "open") {
                out << "; " << state << " by " << st.text(7)
                    << (st.null(8) ? "" : " at " + london_s(st.integer(8)));
            }
            out << '\n';
        }
        if (!json && shown == 0) {
            out << "  none\n";
        }
        return exit_ok;
    }

    int messages(std::ostream& out) const {
        Statement st;
        const std::string sql =
            std::string(
                "SELECT m.key, m.kind, m.target, m.state, m.attempts, m.created_ms, "
                "m.sent_ms, m.next_ms, m.last_error, m.subject, "
                "(SELECT group_concat(d.node, ' ') FROM deliveries d "
                " WHERE d.message = m.key) FROM messages m") +
            (open_only ? " WHERE m.state IN ('pending', 'retrying')" : "") +
            " ORDER BY m.created_ms DESC, m.key";
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st.s, nullptr) != SQLITE_OK) {
            std::cerr << "opel notifications: " << sqlite3_errmsg(db) << '\n';
            return exit_failed;
        }
        if (!json) {
            out << "MESSAGES (newest first)\n";
        }
        long shown = 0;
        while (shown < limit && sqlite3_step(st.s) == SQLITE_ROW) {
            const std::string key = st.text(0);
            const std::string first_node = key.substr(0, key.find_first_of("#/"));
            if (!in_subtree(first_node)) {
                continue;
            }
            ++shown;
            const config::Receiver receiver{config::receiver_kind(st.text(1)), st.text(2)};
            const std::string state = st.text(3);
            if (json) {
                out << R"({"message":{"key":)" << json_string(key) << R"(,"kind":)"
                    << json_string(st.text(1)) << R"(,"receiver":)"
                    << json_string(config::redacted(receiver)) << R"(,"state":)"
                    << json_string(state) << R"(,"attempts":)" << st.integer(4)
                    << R"(,"created_at":)"
                    << json_string(format_utc(TimePoint{Duration{st.integer(5) / 1000}}))
                    << R"(,"last_answer":)" << json_string(st.text(8)) << R"(,"subject":)"
                    << json_string(st.text(9)) << "}}\n";
                continue;
            }
            out << "  " << london_ms(st.integer(5)) << "  " << pad(state, 9) << " "
                << pad(st.text(1), 8) << config::redacted(receiver) << '\n'
                << "      " << st.text(9) << '\n'
                << "      key " << key << ", " << st.integer(4) << " attempt"
                << (st.integer(4) == 1 ? "" : "s");
            if (!st.text(8).empty()) {
                out << ", last: " << st.text(8);
            }
            if (state == "sent" && !st.null(6)) {
                out << ", sent " << london_ms(st.integer(6));
            } else if (state == "retrying" || state == "pending") {
                out << ", next " << london_ms(st.integer(7));
            }
            out << '\n';
        }
        if (!json && shown == 0) {
            out << "  none\n";
        }
        return exit_ok;
    }
};

}  // namespace

int notifications_main(const std::vector<std::string>& argv) {
    std::optional<std::string> config, database, node;
    std::optional<long> limit;
    bool open_only = false;
    bool json = false;
    options::CommandLine cl("opel notifications", help);
    cl.config(config);
    cl.text("--database", database, "OPEL_NOTIFY_DATABASE_PATH");
    cl.text("--node", node);
    cl.whole("--limit", limit, {1, 100000, ""});
    cl.flag("--open", open_only);
    cl.flag("--json", json);
    if (const auto stop = cl.parse(argv)) {
        return options::report(*stop, std::cout, std::cerr);
    }
    auto loaded = load_config_or_report(options::config_path(config), std::cerr);
    if (!loaded) {
        return exit_failed;
    }
    std::string path = database.value_or("");
    if (path.empty()) {
        auto notifyd = config::load_notifyd_config(*loaded);
        if (!notifyd) {
            report_problems(notifyd.error(), std::cerr);
            return exit_failed;
        }
        path = *notifyd ? (*notifyd)->database_path : config::NotifydSettings{}.database_path;
    }
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    Db db(raw, sqlite3_close);
    if (rc != SQLITE_OK) {
        std::cerr << "opel notifications: cannot open " << path << ": "
                  << (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)) << '\n';
        return exit_failed;
    }
    sqlite3_busy_timeout(raw, 5000);
    const engine::Model model(loaded->engine);
    const Listing listing{raw, &model, node.value_or(""), open_only, limit.value_or(50), json};
    if (const int r = listing.escalations(std::cout); r != exit_ok) {
        return r;
    }
    if (!json) {
        std::cout << '\n';
    }
    return listing.messages(std::cout);
}

}  // namespace opel::cli

// opel replay: a new or changed configuration run over the sitreps a daemon stored, offline,
// beside what the daemon actually published: hours at each level per node, escalations and
// stand-downs, first OPEL 4, the longest spell at OPEL 3 or above, and the sitreps whose
// level would differ. Reads the database read-only (never the daemon's writer), a row at a
// time, so memory stays flat however long the history.
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <map>
#include <memory>

#include "adapters/codec/csv.h"
#include "adapters/codec/wire.h"
#include "cli.h"
#include "engine/engine.h"
#include "engine/model.h"
#include "engine/text.h"
#include "report.h"

namespace opel::cli {
namespace {

constexpr const char* help =
    R"(usage: opel replay --config DIR|FILE [--database FILE] [--from T] [--to T] [--node PATH]
                   [--csv | --json] [--differences N]

Runs the configuration at --config (new or changed cards, thresholds, tree) over every
sitrep stored in opel-escalatord's database, in the order the daemon received them, with
the same engine, offline. Per node it reports, under the stored results (what the daemon
published) and under the new configuration: hours at each level, escalations and
stand-downs, the first time at OPEL 4 and the longest spell at OPEL 3 or above; then the
sitreps whose site level differs (the first N). Test thresholds on last winter before they
go live.

  --config DIR|FILE  the configuration to try (required)
  --database FILE    the database (default $OPEL_DATABASE_PATH, else that configuration's
                     escalatord.database_path); opened read-only, so a running daemon is
                     not disturbed; a backup (opel backup) works as well
  --from T, --to T   count hours only inside this range (RFC 3339); sitreps before T are
                     still replayed, for the state they leave
  --node PATH        report only this subtree (a path or any run of its segments)
  --csv              one row per node and side: node_id,path,side,hours_opel1..4,
                     hours_unknown,hours_stale,escalations,stand_downs,first_opel4_utc,
                     longest_opel3_plus_hours
  --json             one JSON object per node
  --differences N    how many differing sitreps to list (default 20; 0 = none)

Exit 0 with the report; 1 when the configuration or the database cannot be read; 2 for
usage errors.
)";

constexpr std::array<engine::Status, 6> statuses{engine::Status::opel1,   engine::Status::opel2,
                                                 engine::Status::opel3,   engine::Status::opel4,
                                                 engine::Status::unknown, engine::Status::stale};

// One node's level over time, on one side (stored or new), within [from, to].
class Timeline {
public:
    void at(TimePoint t, engine::Status s, std::optional<TimePoint> from,
            std::optional<TimePoint> to) {
        close(t, from, to);
        if (started_ && engine::is_level(s) && engine::is_level(status_)) {
            const bool up = engine::level_of(s) > engine::level_of(status_);
            const bool counted = (!from || t >= *from) && (!to || t <= *to);
            escalations_ += up && counted ? 1 : 0;
            stand_downs_ += !up && s != status_ && counted ? 1 : 0;
        }
        if (s == engine::Status::opel4 && !first_opel4_ && (!from || t >= *from)) {
            first_opel4_ = t;
        }
        const bool high = engine::is_level(s) && engine::level_of(s) >= 3;
        if (high && !spell_start_) {
            spell_start_ = t;
        } else if (!high) {
            spell_start_.reset();
        }
        started_ = true;
        status_ = s;
        since_ = t;
    }
    // Counts the time from the last change to `t` (clipped to the range) at the last status.
    void close(TimePoint t, std::optional<TimePoint> from, std::optional<TimePoint> to) {
        if (!started_) {
            return;
        }
        const TimePoint a = from ? std::max(since_, *from) : since_;
        const TimePoint b = to ? std::min(t, *to) : t;
        if (b > a) {
            seconds_[index(status_)] += (b - a).count();
        }
        if (spell_start_) {
            longest_ =
                std::max(longest_, b - std::max(*spell_start_, from.value_or(*spell_start_)));
        }
        since_ = std::max(since_, t);
    }

    double hours(engine::Status s) const {
        return static_cast<double>(seconds_[index(s)]) / 3600.0;
    }
    int escalations() const { return escalations_; }
    int stand_downs() const { return stand_downs_; }
    std::optional<TimePoint> first_opel4() const { return first_opel4_; }
    double longest_high_hours() const { return static_cast<double>(longest_.count()) / 3600.0; }

private:
    static std::size_t index(engine::Status s) {
        return static_cast<std::size_t>(std::find(statuses.begin(), statuses.end(), s) -
                                        statuses.begin());
    }
    bool started_ = false;
    engine::Status status_ = engine::Status::unknown;
    TimePoint since_;
    std::array<std::int64_t, statuses.size()> seconds_{};
    int escalations_ = 0;
    int stand_downs_ = 0;
    std::optional<TimePoint> first_opel4_;
    std::optional<TimePoint> spell_start_;
    Duration longest_{0};
};

struct Difference {
    std::string site;
    TimePoint as_at;
    std::string stored;
    std::string replayed;
};

struct Flags {
    std::optional<std::string> config, database;
    std::optional<TimePoint> from, to;
    std::string node;
    bool csv = false;
    bool json = false;
    long differences = 20;
};

engine::Status status_of(std::string_view text) {
    for (const engine::Status s : statuses) {
        if (engine::to_string(s) == text) {
            return s;
        }
    }
    return engine::Status::unknown;
}

using Statement = std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)>;

Result<Statement, std::string> prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
        return unexpected(std::string("cannot read the database: ") + sqlite3_errmsg(db));
    }
    return Statement(raw, sqlite3_finalize);
}

std::string_view text_at(sqlite3_stmt* s, int i) {
    const auto* p = sqlite3_column_blob(s, i);
    return p == nullptr ? std::string_view{}
                        : std::string_view(static_cast<const char*>(p),
                                           static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
}

class Replay {
public:
    Replay(const Flags& flags, engine::EngineConfig config)
        // Stored sitreps are unique already: no memory of submission ids, which would grow with
        // the history.
        : flags_(flags),
          engine_(std::move(config), engine::EngineOptions{.track_submissions = false}),
          replayed_(engine_.model().node_count()) {}

    // What the daemon published: every stored result, in sequence order.
    Result<std::monostate, std::string> read_stored(sqlite3* db) {
        auto s = prepare(db, "SELECT node_id, at, status FROM results ORDER BY sequence");
        if (!s) {
            return unexpected(s.error());
        }
        while (sqlite3_step(s->get()) == SQLITE_ROW) {
            const TimePoint t{Duration{sqlite3_column_int64(s->get(), 1)}};
            stored_[std::string(text_at(s->get(), 0))].at(t, status_of(text_at(s->get(), 2)),
                                                          flags_.from, flags_.to);
            end_ = std::max(end_, t);
        }
        return std::monostate{};
    }

    // The new configuration over every stored sitrep, in the order the daemon received them.
    Result<std::monostate, std::string> replay(sqlite3* db) {
        auto s = prepare(db,
                         "SELECT s.sitrep, s.received_at, r.status, s.submission_id FROM sitreps s "
                         "LEFT JOIN results r ON r.sequence = s.result_sequence ORDER BY s.seq");
        if (!s) {
            return unexpected(s.error());
        }
        while (sqlite3_step(s->get()) == SQLITE_ROW) {
            const TimePoint received{Duration{sqlite3_column_int64(s->get(), 1)}};
            if (flags_.to && received > *flags_.to) {
                break;
            }
            auto sitrep = codec::decode_sitrep(text_at(s->get(), 0));
            if (!sitrep) {
                ++unreadable_;
                continue;
            }
            // The key the daemon stored, as the daemon hands it to the engine: the engine would
            // otherwise compute a default key again (a digest of every measure).
            sitrep->submission_id = text_at(s->get(), 3);
            record(engine_.advance_to(received).results, received);
            engine::SubmitOutcome outcome = engine_.submit(*sitrep, received);
            ++sitreps_;
            record(outcome.results, received);
            compare(*sitrep, outcome, text_at(s->get(), 2));
            end_ = std::max(end_, received);
        }
        return std::monostate{};
    }

    void print(std::ostream& out) {
        const TimePoint end = flags_.to.value_or(end_);
        for (auto& [id, t] : stored_) {
            t.close(end, flags_.from, flags_.to);
        }
        for (Timeline& t : replayed_) {
            t.close(end, flags_.from, flags_.to);
        }
        if (!flags_.csv && !flags_.json) {
            out << "hours at each level; up/down: escalations/stand-downs; >=3: longest spell "
                   "at OPEL 3+ (hours)\n"
                << pad("node", 12) << pad("side", 7)
                << "OPEL 1  OPEL 2  OPEL 3  OPEL 4  UNKNOWN STALE   up/down >=3     first "
                   "OPEL 4\n";
        }
        if (flags_.csv) {
            out << "node_id,path,side,hours_opel1,hours_opel2,hours_opel3,hours_opel4,"
                   "hours_unknown,hours_stale,escalations,stand_downs,first_opel4_utc,"
                   "longest_opel3_plus_hours\n";
        }
        const engine::Model& model = engine_.model();
        for (engine::NodeIndex i = 0; i < model.node_count(); ++i) {
            const engine::ModelNode& n = model.node(i);
            if (engine::path_matches(n.path, flags_.node)) {
                const auto found = stored_.find(n.config.id);
                print_node(out, n, found == stored_.end() ? Timeline{} : found->second,
                           replayed_[i]);
            }
        }
        if (!flags_.csv && !flags_.json) {
            print_differences(out);
        }
    }

private:
    void record(const std::vector<engine::NodeResult>& results, TimePoint received) {
        for (const engine::NodeResult& r : results) {
            if (const auto i = engine_.model().find_node(r.node_id)) {
                replayed_[*i].at(r.as_at.value_or(received), r.status, flags_.from, flags_.to);
            }
        }
    }

    void compare(const engine::Sitrep& sitrep, const engine::SubmitOutcome& outcome,
                 std::string_view stored) {
        if (stored.empty() || outcome.results.empty() || !sitrep.as_at) {
            return;  // stored without a result (late), or not accepted now
        }
        // The site's last result is its sitrep's (deadlines that fired first come before it).
        const auto site =
            std::find_if(outcome.results.rbegin(), outcome.results.rend(),
                         [&](const engine::NodeResult& r) { return r.node_id == sitrep.site_id; });
        if (site == outcome.results.rend()) {
            return;
        }
        const std::string_view now = engine::to_string(site->status);
        if (now == stored) {
            return;
        }
        ++differing_;
        if (static_cast<long>(differences_.size()) < flags_.differences) {
            differences_.push_back(
                {sitrep.site_id, *sitrep.as_at, std::string(stored), std::string(now)});
        }
    }

    void print_node(std::ostream& out, const engine::ModelNode& n, const Timeline& stored,
                    const Timeline& replayed) const {
        for (const auto& [side, t] : {std::pair{"stored", &stored}, {"new", &replayed}}) {
            const std::string first = t->first_opel4() ? format_utc(*t->first_opel4()) : "";
            if (flags_.csv) {
                out << codec::csv_cell(n.config.id) << ',' << codec::csv_cell(n.path) << ','
                    << side;
                for (const engine::Status s : statuses) {
                    out << ',' << engine::format_exact(t->hours(s));
                }
                out << ',' << t->escalations() << ',' << t->stand_downs() << ',' << first << ','
                    << engine::format_exact(t->longest_high_hours()) << '\n';
            } else if (flags_.json) {
                out << (std::string_view(side) == "stored"
                            ? R"({"node_id":")" + n.config.id + R"(","stored":)"
                            : R"(,"new":)")
                    << "{\"hours\":{";
                for (std::size_t k = 0; k < statuses.size(); ++k) {
                    out << (k == 0 ? "" : ",") << '"' << engine::to_string(statuses[k])
                        << "\":" << engine::format_exact(t->hours(statuses[k]));
                }
                out << "},\"escalations\":" << t->escalations()
                    << ",\"stand_downs\":" << t->stand_downs()
                    << ",\"first_opel4\":" << (first.empty() ? "null" : '"' + first + '"')
                    << ",\"longest_opel3_plus_hours\":"
                    << engine::format_exact(t->longest_high_hours()) << '}'
                    << (std::string_view(side) == "new" ? "}\n" : "");
            } else {
                out << pad(std::string_view(side) == "stored" ? n.config.id : "", 12)
                    << pad(side, 7);
                for (const engine::Status s : statuses) {
                    out << pad(engine::format_number(t->hours(s)), 8);
                }
                out << pad(std::to_string(t->escalations()) + "/" +
                               std::to_string(t->stand_downs()),
                           8)
                    << pad(engine::format_number(t->longest_high_hours()), 8) << first << '\n';
            }
        }
    }

    void print_differences(std::ostream& out) const {
        out << sitreps_ << " sitreps replayed";
        if (unreadable_ > 0) {
            out << " (" << unreadable_ << " unreadable, skipped)";
        }
        out << "; " << differing_ << " would be at another level";
        out << (differing_ > 0 ? ":\n" : "\n");
        for (const Difference& d : differences_) {
            out << "  " << pad(d.site, 10) << format_utc(d.as_at) << "  " << d.stored << " -> "
                << d.replayed << '\n';
        }
    }

    const Flags& flags_;
    engine::Engine engine_;
    std::map<std::string, Timeline> stored_;
    std::vector<Timeline> replayed_;
    std::vector<Difference> differences_;
    TimePoint end_;
    long sitreps_ = 0;
    long unreadable_ = 0;
    long differing_ = 0;
};

Result<Flags, options::Stop> parse_flags(const std::vector<std::string>& argv) {
    Flags f;
    std::optional<std::string> node;
    std::optional<long> differences;
    options::CommandLine cl("opel replay", help);
    cl.config(f.config);
    cl.text("--database", f.database, "OPEL_DATABASE_PATH");
    cl.time("--from", f.from);
    cl.time("--to", f.to);
    cl.text("--node", node);
    cl.flag("--csv", f.csv);
    cl.flag("--json", f.json);
    cl.whole("--differences", differences, {0, 100000, ""});
    if (auto stop = cl.parse(argv)) {
        return unexpected(std::move(*stop));
    }
    if (!f.config) {
        return unexpected(cl.usage_error("--config: the configuration to replay is required"));
    }
    if (f.csv && f.json) {
        return unexpected(cl.usage_error("--csv and --json: choose one"));
    }
    if (f.from && f.to && *f.to < *f.from) {
        return unexpected(cl.usage_error("--to is before --from"));
    }
    f.node = node.value_or("");
    f.differences = differences.value_or(f.differences);
    return f;
}

}  // namespace

int replay_main(const std::vector<std::string>& argv) {
    const auto flags = parse_flags(argv);
    if (!flags) {
        return options::report(flags.error(), std::cout, std::cerr);
    }
    auto loaded = load_config_or_report(options::config_path(flags->config), std::cerr);
    if (!loaded) {
        return exit_failed;
    }
    const std::string path = flags->database.value_or(loaded->escalatord.database_path);
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
    const std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close);
    if (rc != SQLITE_OK) {
        std::cerr << "opel replay: cannot open " << path << ": "
                  << (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)) << '\n';
        return exit_failed;
    }
    sqlite3_busy_timeout(raw, 5000);
    Replay replay(*flags, std::move(loaded->engine));
    auto done = replay.read_stored(raw);
    if (done) {
        done = replay.replay(raw);
    }
    if (!done) {
        std::cerr << "opel replay: " << path << ": " << done.error() << '\n';
        return exit_failed;
    }
    replay.print(std::cout);
    return exit_ok;
}

}  // namespace opel::cli

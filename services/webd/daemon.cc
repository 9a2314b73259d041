#include "webd/daemon.h"

#include <spdlog/logger.h>
#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <zmq.hpp>

#include "adapters/clock/real_clock.h"
#include "adapters/clock/stopwatch.h"
#include "adapters/codec/board.h"
#include "adapters/codec/command.h"
#include "adapters/codec/messages.h"
#include "adapters/codec/query.h"
#include "adapters/config/loader.h"
#include "adapters/http/monitoring.h"
#include "adapters/http/server.h"
#include "adapters/metrics/exposition.h"
#include "adapters/net/client.h"
#include "adapters/options/options.h"
#include "adapters/systemd/notify.h"
#include "webd/board.h"
#include "webd/fanout.h"
#include "webd/gate.h"
#include "webd/submitter.h"
#include "webd/upload.h"

namespace opel::webd {
namespace {

using metrics::add;
using metrics::family;
using metrics::MetricFamily;
using metrics::MetricType;
using metrics::number;
using metrics::single;

// Messages a browser may have waiting before it is dropped and sent the whole state again.
constexpr std::size_t max_queue = 256;
// Requests to the escalator wait this long per attempt (a snapshot is tried three times, a
// catch-up page once); after a failure the next try is retry_after later.
constexpr std::chrono::milliseconds snapshot_timeout{300};
constexpr std::chrono::milliseconds query_timeout{1000};
constexpr std::chrono::seconds retry_after{1};

const char* const json_type = "application/json";

// An upload's limits: its body, and the sitreps in it (a day of every site's hourly sitreps
// is a few hundred).
constexpr std::size_t max_upload_bytes = std::size_t{8} << 20U;
constexpr std::size_t max_upload_rows = 20000;
// A history answer holds at most this many pages of results (of 1,000).
constexpr int max_history_pages = 10;

// The page's files, read once at start (a missing one stops the daemon with its path).
Result<std::map<std::string, http::Response, std::less<>>, std::string> load_assets(
    const std::filesystem::path& dir) {
    const std::pair<const char*, const char*> files[] = {
        {"index.html", "text/html; charset=utf-8"},
        {"app.js", "text/javascript; charset=utf-8"},
        {"style.css", "text/css; charset=utf-8"},
    };
    std::map<std::string, http::Response, std::less<>> out;
    for (const auto& [name, type] : files) {
        std::ifstream in(dir / name, std::ios::binary);
        std::stringstream text;
        text << in.rdbuf();
        if (!in) {
            return unexpected("cannot read " + (dir / name).string() +
                              " (the wallboard's files; --assets or $OPEL_WEB_ASSETS names their "
                              "directory)");
        }
        out["/" + std::string(name)] = {200, type, text.str()};
    }
    out["/"] = out["/index.html"];
    return out;
}

// The users file, checked against the tree; every problem as text. A file others may read
// is logged (it names who may do what; the hashes resist guessing, but need not be shown).
Result<config::WebAccess, std::vector<std::string>> load_users(const std::string& file,
                                                               const engine::Model& model,
                                                               spdlog::logger& log) {
    auto users = config::load_web_access(file, model);
    if (!users) {
        std::vector<std::string> out;
        for (const config::ConfigError& e : users.error()) {
            out.push_back(e.to_string());
        }
        return unexpected(std::move(out));
    }
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 077U) != 0) {
        log.warn("the users file {} may be read by other users (mode {:o}): chmod 600 it", file,
                 st.st_mode & 0777U);
    }
    log.info("users: {} users and {} upload tokens from {}", users->users.size(),
             users->tokens.size(), file);
    return std::move(*users);
}

http::Response error(unsigned status, const std::string& message) {
    return {status, "text/plain; charset=utf-8", message + "\n"};
}

// The HTTP status for a reply from the escalator: 200 (ACCEPTED, DUPLICATE, LATE), 400
// (REJECTED), 503 (UNAVAILABLE, no answer).
unsigned http_status(const codec::CommandReply& reply) {
    return reply.outcome == codec::CommandReply::Outcome::done      ? 200
           : reply.outcome == codec::CommandReply::Outcome::refused ? 400
                                                                    : 503;
}

// POST /api/v1/ack: an acknowledgement from the page ({"transition_id", "by", "note"}) sent
// to the escalator like `opel ack`; its reply as JSON (opel.v1.SubmitReply) with http_status
// (400 too for a body that is not an acknowledgement). A logged-in user's name is the
// acknowledger, whatever "by" says.
void acknowledge(Submitter& submitter, const std::string& body, const std::optional<Principal>& who,
                 spdlog::logger& log, const http::Respond& respond) {
    auto ack = codec::acknowledgement_from_json(body);
    if (!ack) {
        const codec::CommandReply reply = not_sent_reply(ack.error());
        respond({400, json_type, reply.json});
        return;
    }
    if (who) {
        ack->by = who->name;
    }
    Submitter::Outgoing request{engine::command_key(*ack), codec::acknowledgement_request(*ack)};
    submitter.submit({std::move(request)}, [ack = *ack, &log, respond](auto replies) {
        const codec::CommandReply& reply = replies.front();
        log.info("acknowledgement of {} by {} from the page: {}", ack.transition_id, ack.by,
                 reply.detail);
        respond({http_status(reply), json_type, reply.json});
    });
}

// POST /api/v1/sitreps: the rows of a CSV, JSON lines or JSON body sent to the escalator,
// up to a window at a time; one reply per row (upload.h: upload_answer). A row for a site
// outside the user's or token's sites is REJECTED site_id/not_allowed and not sent.
void upload(Submitter& submitter, const engine::Model& model, const http::Request& request,
            const std::optional<Principal>& who, spdlog::logger& log,
            const http::Respond& respond) {
    const auto format = upload_format(request.content_type);
    if (!format) {
        respond({415, json_type, upload_error_json(415, format.error())});
        return;
    }
    auto rows = read_upload(*format, request.body, model, max_upload_rows);
    if (!rows) {
        respond({400, json_type, upload_error_json(400, rows.error())});
        return;
    }
    for (UploadRow& row : *rows) {
        if (who && row.sitrep && !may_upload_for(*who, row.sitrep->site_id)) {
            std::string sites;
            for (const std::string& site : who->sites) {
                sites += (sites.empty() ? "" : ", ") + site;
            }
            row.sitrep = unexpected(std::vector<engine::FieldError>{
                {"site_id", "not_allowed",
                 "'" + row.sitrep->site_id + "' is not a site " + who->name + " may submit for (" +
                     sites + ")"}});
        }
    }
    std::vector<Submitter::Outgoing> requests;
    std::vector<std::size_t> sent;  // the rows sent, in request order
    for (std::size_t i = 0; i < rows->size(); ++i) {
        if (const auto& sitrep = (*rows)[i].sitrep) {
            requests.push_back({sitrep->effective_submission_id(), codec::sitrep_request(*sitrep)});
            sent.push_back(i);
        }
    }
    const std::string by = who ? who->name : "anyone (no users file)";
    submitter.submit(std::move(requests), [rows = std::move(*rows), sent = std::move(sent), &log,
                                           by, respond](std::vector<codec::CommandReply> answers) {
        std::vector<codec::CommandReply> replies(rows.size());
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (!rows[i].sitrep) {
                replies[i] = not_sent_reply(rows[i].sitrep.error());
            }
        }
        for (std::size_t k = 0; k < sent.size(); ++k) {
            replies[sent[k]] = std::move(answers[k]);
        }
        UploadAnswer answer = upload_answer(rows, replies);
        log.info("upload of {} sitreps ({} sent) by {}: HTTP {}", rows.size(), sent.size(), by,
                 answer.status);
        respond({answer.status, json_type, std::move(answer.json)});
    });
}

// GET /api/v1/history?node=ID[&from=T][&to=T][&format=csv]: the node's results over the
// range (RFC 3339; default the 24 hours to the feed's now) from the escalator's query endpoint,
// page after page (at most max_history_pages), as opel.v1.History JSON or CSV.
void history(Submitter& queries, const engine::Model& model, TimePoint now, const http::Request& r,
             const http::Respond& respond) {
    const auto param = [&r](const char* name) { return http::query_value(r.query, name); };
    const auto node = param("node");
    const auto from_text = param("from");
    const auto to_text = param("to");
    const auto format = param("format");
    for (const auto* p : {&node, &from_text, &to_text, &format}) {
        if (!*p) {
            respond(error(400, p->error()));
            return;
        }
    }
    const auto index = model.find_node(node->value_or(""));
    if (!index) {
        respond(error(node->value_or("").empty() ? 400 : 404,
                      node->value_or("").empty() ? "node: give the node's id (node=RWJ)"
                                                 : "no node '" + **node + "' in the tree"));
        return;
    }
    const auto time = [](const std::optional<std::string>& text, const char* name,
                         TimePoint fallback) -> Result<TimePoint, std::string> {
        if (!text) {
            return fallback;
        }
        auto t = parse_rfc3339(*text);
        return t ? Result<TimePoint, std::string>(*t)
                 : unexpected(std::string(name) + ": '" + *text +
                              "' is not an RFC 3339 time (2026-01-13T08:00:00Z)");
    };
    const auto to = time(*to_text, "to", now);
    const auto from = to ? time(*from_text, "from", *to - std::chrono::hours(24)) : to;
    if (!to || !from) {
        respond(error(400, !to ? to.error() : from.error()));
        return;
    }
    if (*to < *from) {
        respond(
            error(400, "to (" + format_utc(*to) + ") is before from (" + format_utc(*from) + ")"));
        return;
    }
    const bool csv = format->value_or("json") == "csv";
    if (!csv && format->value_or("json") != "json") {
        respond(error(400, "format: '" + **format + "' is not json or csv"));
        return;
    }
    struct Fetch {
        codec::QueryAsk ask;
        codec::HistorySeries series;
        int pages = 0;
        std::function<void()> next;
    };
    auto fetch = std::make_shared<Fetch>();
    fetch->ask.kind = codec::QueryAsk::Kind::results;
    fetch->ask.node = model.node(*index).config.id;
    fetch->ask.only_node = true;
    fetch->ask.from = *from;
    fetch->ask.to = *to;
    fetch->series = {*index, *from, *to, {}, false};
    fetch->next = [&queries, &model, fetch_weak = std::weak_ptr<Fetch>(fetch), csv, respond] {
        auto f = fetch_weak.lock();
        queries.query(codec::history_request(f->ask), [f, &model, csv, respond](
                                                          Result<std::string, std::string> reply) {
            auto page = reply ? codec::read_results_page(*reply)
                              : Result<codec::ResultsPage, std::string>(unexpected(reply.error()));
            if (!page) {
                f->next = nullptr;
                respond(error(503, "history: " + page.error()));
                return;
            }
            for (engine::NodeResult& result : page->results) {
                f->series.results.push_back(std::move(result));
            }
            if (page->more && ++f->pages < max_history_pages) {
                f->ask.after = page->next_cursor;
                f->next();
                return;
            }
            f->series.truncated = page->more;
            f->next = nullptr;
            respond(csv ? http::Response{200, "text/csv; charset=utf-8",
                                         codec::history_csv(model, f->series)}
                        : http::Response{200, json_type, codec::history_json(model, f->series)});
        });
    };
    fetch->next();
}

// The fan-out as the HTTP server's WebSocket feed.
class LiveBoard final : public http::LiveFeed {
public:
    LiveBoard(Fanout& fanout, Fanout::MakeState make_state)
        : fanout_(fanout), make_state_(std::move(make_state)) {}
    std::uint64_t join(std::function<void()> wake) override {
        return fanout_.join(std::move(wake));
    }
    std::optional<std::shared_ptr<const std::string>> next(std::uint64_t id) override {
        return fanout_.next(id, make_state_);
    }
    void done(std::uint64_t id) override { fanout_.done(id); }
    void leave(std::uint64_t id) override { fanout_.leave(id); }

private:
    Fanout& fanout_;
    Fanout::MakeState make_state_;
};

// The escalator's feed on the io_context: a snapshot first (retried until it answers), then
// the follower, woken by its socket's ZMQ_FD and by a timer (catch-up retries, silence).
class FeedIn {
public:
    // `publish`: a live message for every browser; `resync`: the board was replaced (a
    // snapshot), every browser needs the whole state.
    FeedIn(boost::asio::io_context& io, zmq::context_t& context, feed::Endpoints endpoints,
           Board& board, std::function<void(const Shared&)> publish, std::function<void()> resync,
           std::chrono::seconds silent_after, spdlog::logger& log)
        : context_(context),
          endpoints_(std::move(endpoints)),
          board_(board),
          publish_(std::move(publish)),
          resync_(std::move(resync)),
          silent_after_(silent_after),
          log_(log),
          io_(io),
          timer_(io) {}
    ~FeedIn() { stop(); }
    FeedIn(const FeedIn&) = delete;
    FeedIn& operator=(const FeedIn&) = delete;

    void start() { tick(); }
    void stop() {
        stopped_ = true;
        timer_.cancel();
        if (watch_) {
            watch_->stop();
        }
    }

    codec::BoardFeed health() const {
        codec::BoardFeed out;
        const TimePoint wall{
            std::chrono::duration_cast<Duration>(wall_time_ms().time_since_epoch())};
        // The publisher's clock when heard (a drill's simulated clock), else the wall.
        out.now = publisher_now_
                      ? *publisher_now_ + std::chrono::duration_cast<Duration>(
                                              std::chrono::nanoseconds(since_heartbeat_.elapsed()))
                      : wall;
        out.heard_at = heard_at_;
        if (!follower_ || !follower_->synchronised() || !problem_.empty()) {
            out.problem = problem_.empty() ? "waiting for the escalator's feed" : problem_;
        } else if (std::chrono::nanoseconds(since_heard_.elapsed()) > silent_after_) {
            out.problem = "the escalator's feed is silent (nothing for " +
                          std::to_string(silent_after_.count()) + " s)";
        }
        out.live = out.problem.empty();
        return out;
    }
    const feed::Follower* follower() const { return follower_.get(); }

private:
    void tick() {
        if (stopped_) {
            return;
        }
        pump();
        const codec::BoardFeed now = health();
        // Browsers hear the feed's health when it changes and every few seconds (their
        // watchdog: a page that hears nothing says the wallboard server is not answering).
        if (now.live != last_live_ || now.problem != last_problem_ ||
            std::chrono::nanoseconds(since_health_.elapsed()) > std::chrono::seconds(5)) {
            if (now.live != last_live_) {
                if (now.live) {
                    log_.info("feed: live at sequence {}", board_.sequence());
                } else {
                    log_.warn("feed: not live: {}", now.problem);
                }
            }
            last_live_ = now.live;
            last_problem_ = now.problem;
            since_health_.lap();
            publish_(std::make_shared<const std::string>(
                codec::board_feed_message(now, board_.sequence())));
        }
        timer_.expires_after(std::chrono::milliseconds(250));
        timer_.async_wait([this](const boost::system::error_code& ec) {
            if (!ec) {
                tick();
            }
        });
    }

    // Takes the snapshot (once) and hands the follower's items to the board. Both may wait
    // on the escalator (a bounded request); after a failure they are tried again at most
    // once a second, so an absent escalator never keeps the loop from serving browsers.
    void pump() {
        if (stopped_ ||
            (failing_ && std::chrono::nanoseconds(since_failure_.elapsed()) < retry_after)) {
            return;
        }
        if (!follower_) {
            auto state = feed::fetch_state(context_, endpoints_.snapshot, "", snapshot_timeout,
                                           endpoints_.curve);
            if (!state) {
                problem_ = "the escalator's snapshot endpoint: " + state.error();
                failed();
                return;
            }
            board_.reset(*state);
            follower_ = std::make_unique<feed::Follower>(context_, endpoints_, state->sequence,
                                                         query_timeout);
            since_heard_.lap();
            log_.info("snapshot: {} results at sequence {}", state->results.size(),
                      state->sequence);
            resync_();
            arm();
        }
        auto pumped = follower_->pump([this](const feed::Item& item) {
            since_heard_.lap();
            heard_at_ =
                TimePoint{std::chrono::duration_cast<Duration>(wall_time_ms().time_since_epoch())};
            if (item.heartbeat_at) {
                publisher_now_ = *item.heartbeat_at;
                since_heartbeat_.lap();
            }
            if (auto message = board_.apply(item)) {
                publish_(std::make_shared<const std::string>(std::move(*message)));
            }
            return true;
        });
        problem_ = pumped ? std::string() : "the escalator's feed: " + pumped.error();
        if (pumped) {
            failing_ = false;
        } else {
            failed();
        }
    }

    void failed() {
        failing_ = true;
        since_failure_.lap();
    }

    // The follower's socket on the loop: each signal of its descriptor pumps it.
    void arm() {
        watch_ = std::make_unique<ZmqWatch>(io_, follower_->poll_item().socket, [this] { pump(); });
        (void)watch_->start();  // without a descriptor the timer alone drives it
    }

    zmq::context_t& context_;
    feed::Endpoints endpoints_;
    Board& board_;
    std::function<void(const Shared&)> publish_;
    std::function<void()> resync_;
    std::chrono::seconds silent_after_;
    spdlog::logger& log_;
    boost::asio::io_context& io_;
    boost::asio::steady_timer timer_;
    std::unique_ptr<feed::Follower> follower_;
    std::unique_ptr<ZmqWatch> watch_;  // follower_'s socket
    std::string problem_ = "waiting for the escalator's snapshot";
    std::optional<TimePoint> heard_at_;
    std::optional<TimePoint> publisher_now_;
    Stopwatch since_heard_;
    Stopwatch since_heartbeat_;
    Stopwatch since_health_;
    Stopwatch since_failure_;
    bool failing_ = false;
    bool last_live_ = false;
    std::string last_problem_;
    bool stopped_ = false;
};

}  // namespace

int run_daemon(const Options& options, const config::LoadedConfig& loaded, spdlog::logger& log) {
    const config::EscalatordSettings escalator =
        options::with_endpoints(loaded.escalatord, options.endpoints);
    const engine::Model model(loaded.engine);
    const config::WebdSettings web = settings(options, loaded.webd);
    auto assets = load_assets(web.assets);
    if (!assets) {
        log.critical("{}", assets.error());
        return 1;
    }
    if (web.tls_certificate.empty() != web.tls_private_key.empty()) {
        log.critical(
            "TLS needs both a certificate and its private key (--tls-certificate and "
            "--tls-private-key, or webd.tls_certificate and webd.tls_private_key)");
        return 1;
    }
    std::optional<Access> access;
    if (!web.users_file.empty()) {
        auto users = load_users(web.users_file, model, log);
        if (!users) {
            for (const std::string& e : users.error()) {
                log.critical("users: {}", e);
            }
            return 1;
        }
        access.emplace(std::move(*users), web.session_idle);
    }
    Board board(model);
    Fanout fanout(max_queue);
    zmq::context_t context;
    boost::asio::io_context io(1);
    auto keys = options::client_keys(options.endpoints, web.curve, escalator);
    if (!keys) {
        log.critical("{}", keys.error());
        return 1;
    }
    FeedIn in(
        io, context,
        {escalator.publish_endpoint, escalator.snapshot_endpoint, escalator.query_endpoint, *keys},
        board, [&](const Shared& message) { fanout.publish(message); }, [&] { fanout.resync(); },
        web.feed_silence, log);
    LiveBoard live(fanout, [&](std::uint64_t dropped) {
        codec::BoardFeed health = in.health();
        health.dropped = dropped;
        return board.state_message(health);
    });

    Submitter submitter(io, context, escalator.submit_endpoint, {web.submit_timeout, 2, 64, *keys});
    Submitter queries(io, context, escalator.query_endpoint, {web.submit_timeout, 2, 1, *keys});

    http::Limits limits;
    limits.max_connections = 1024;
    limits.max_body_bytes = max_upload_bytes;
    http::Server server(io, limits);
    if (!web.tls_certificate.empty()) {
        if (auto tls = server.use_tls(web.tls_certificate, web.tls_private_key); !tls) {
            log.critical("{}", tls.error().message);
            return 1;
        }
    }
    // Beyond loopback only with TLS and logins, or when told to serve without them.
    bool remote_ok = server.secure() && access.has_value();
    if (const auto endpoint = http::parse_address(web.address);
        endpoint && !endpoint->address().is_loopback() && !remote_ok) {
        if (!options.allow_insecure_remote) {
            log.critical(
                "refusing to serve the wallboard on non-loopback address {} without {}{}"
                "{}: configure webd.tls_certificate, webd.tls_private_key and "
                "webd.users_file, use a loopback address, or pass "
                "--allow-insecure-remote",
                web.address, server.secure() ? "" : "TLS", server.secure() || access ? "" : " and ",
                access ? "" : "logins");
            return 1;
        }
        log.warn(
            "serving the wallboard on non-loopback address {} without {}: anyone who can "
            "reach it may read{}; --allow-insecure-remote is set",
            web.address, server.secure() ? "logins" : "TLS",
            access ? "" : ", upload sitreps and acknowledge alerts");
        remote_ok = true;
    }
    Gate gate(io, std::move(access), server.secure(), log);
    for (const auto& [path, response] : *assets) {
        server.route(path, [&response = response] { return response; });
    }
    server.route("/upload", [&] { return assets->at("/index.html"); });  // the upload form
    server.live("/api/v1/live", live, [&gate](const http::Request& r) { return gate.live(r); });
    // GET /api/v1/...: the board's state, a node, the latest alerts.
    const auto get = [&](const http::Request& r) -> http::Response {
        if (r.path == "/api/v1/state") {
            return {200, json_type, board.state_json(in.health())};
        }
        if (r.path.rfind("/api/v1/nodes/", 0) == 0) {
            const std::string id = r.path.substr(std::string_view("/api/v1/nodes/").size());
            auto node = board.node_json(id);
            return node ? http::Response{200, json_type, std::move(*node)}
                        : error(404, "no node '" + id + "' in the tree");
        }
        if (r.path == "/api/v1/alerts") {
            const auto limit_text = http::query_value(r.query, "limit");
            const auto node = http::query_value(r.query, "node");
            if (!limit_text || !node) {
                return error(400, !limit_text ? limit_text.error() : node.error());
            }
            std::size_t limit = 50;
            if (const auto& text = *limit_text) {
                const auto [end, ec] =
                    std::from_chars(text->data(), text->data() + text->size(), limit);
                if (ec != std::errc() || end != text->data() + text->size() || limit == 0 ||
                    limit > 1000) {
                    return error(400, "limit: '" + *text + "' is not a number from 1 to 1000");
                }
            }
            return {200, json_type, board.alerts_json(limit, node->value_or(""))};
        }
        return error(404, "no route " + r.path);
    };
    // A node's page (the link notification messages carry) is the page itself: app.js reads
    // the node id from the path.
    server.prefix("/node/", [&](const http::Request& r, const http::Respond& respond) {
        respond(r.method == "GET" ? assets->at("/index.html")
                                  : error(405, "method not allowed: " + r.method + " (GET only)"));
    });
    server.prefix("/api/v1/", [&](const http::Request& r, const http::Respond& respond) {
        if (r.path == "/api/v1/login") {
            gate.login(r, respond);
            return;
        }
        if (r.path == "/api/v1/logout") {
            respond(gate.logout(r));
            return;
        }
        if (r.path == "/api/v1/ack" || r.path == "/api/v1/sitreps") {
            const bool ack = r.path == "/api/v1/ack";
            if (r.method != "POST") {
                respond(error(405, "method not allowed: " + r.method + " (POST only)"));
                return;
            }
            auto who = gate.check(r, ack ? Action::acknowledge : Action::upload);
            if (!who) {
                respond(std::move(who).error());
            } else if (ack) {
                acknowledge(submitter, r.body, *who, log, respond);
            } else {
                upload(submitter, model, r, *who, log, respond);
            }
            return;
        }
        if (r.method != "GET") {
            respond(error(405, "method not allowed: " + r.method + " (GET only)"));
            return;
        }
        if (r.path == "/api/v1/me") {
            respond(gate.me(r));
            return;
        }
        if (auto who = gate.check(r, Action::read); !who) {
            respond(std::move(who).error());
        } else if (r.path == "/api/v1/history") {
            history(queries, model, in.health().now, r, respond);
        } else {
            respond(get(r));
        }
    });
    const auto metrics_text = [&] {
        std::vector<MetricFamily> out;
        out.push_back(single("opel_webd_connections", "Open HTTP and WebSocket connections",
                             MetricType::Gauge, number(server.connections())));
        out.push_back(single("opel_webd_live_clients", "Browsers on the live WebSocket",
                             MetricType::Gauge, number(fanout.subscribers())));
        out.push_back(single("opel_webd_sessions", "Logged-in sessions open", MetricType::Gauge,
                             number(gate.sessions())));
        MetricFamily logins =
            family("opel_webd_logins_total", "Login attempts by outcome", MetricType::Counter);
        add(logins, number(gate.logins_ok()), {{"outcome", "ok"}});
        add(logins, number(gate.logins_refused()), {{"outcome", "refused"}});
        out.push_back(std::move(logins));
        MetricFamily refused = family("opel_webd_refused_total",
                                      "Requests refused: 401 no or unknown login or token, 403 "
                                      "not the caller's right",
                                      MetricType::Counter);
        add(refused, number(gate.unauthenticated()), {{"status", "401"}});
        add(refused, number(gate.forbidden()), {{"status", "403"}});
        out.push_back(std::move(refused));
        out.push_back(single("opel_webd_submits_in_flight",
                             "Uploaded sitreps and acknowledgements sent, not yet answered",
                             MetricType::Gauge, number(submitter.in_flight())));
        const std::pair<const char*, std::pair<const char*, std::uint64_t>> counters[] = {
            {"opel_webd_published_total", {"Changes fanned out", fanout.published()}},
            {"opel_webd_sent_total", {"WebSocket messages written", fanout.sent()}},
            {"opel_webd_dropped_total",
             {"Messages dropped for browsers that could not keep up", fanout.dropped()}},
            {"opel_webd_resyncs_total",
             {"Whole states sent (on connecting and after a drop)", fanout.resyncs()}},
        };
        for (const auto& [name, help_value] : counters) {
            out.push_back(
                single(name, help_value.first, MetricType::Counter, number(help_value.second)));
        }
        MetricFamily levels =
            family("opel_webd_nodes", "Nodes by held status on the board", MetricType::Gauge);
        const auto counts = board.counts();
        const char* names[] = {"UNKNOWN", "OPEL_1", "OPEL_2", "OPEL_3", "OPEL_4", "STALE"};
        for (std::size_t i = 0; i < counts.size(); ++i) {
            add(levels, number(counts[i]), {{"status", names[i]}});
        }
        out.push_back(std::move(levels));
        out.push_back(single("opel_webd_feed_sequence", "The last feed sequence on the board",
                             MetricType::Gauge, number(board.sequence())));
        return metrics::serialize(out);
    };
    const auto not_ready = [&]() -> std::optional<std::string> {
        const codec::BoardFeed h = in.health();
        return h.live ? std::nullopt : std::optional(h.problem);
    };
    if (!http::serve_monitoring(server, web.address, remote_ok, {metrics_text, not_ready}, log)) {
        return 1;
    }
    log.info("wallboard for {} nodes; feed {} (snapshot {}, catch-up {}); assets {}; {}",
             model.node_count(), escalator.publish_endpoint, escalator.snapshot_endpoint,
             escalator.query_endpoint, web.assets,
             gate.open() ? "no users file: anyone who reaches it may read, upload and acknowledge"
                         : "logins required (users " + web.users_file + ")");
    systemd::Notifier service(io);
    // SIGHUP: the users file again (a broken one is logged and the old one kept).
    boost::asio::signal_set hangup(io, SIGHUP);
    std::function<void()> await_hangup = [&] {
        hangup.async_wait([&](const boost::system::error_code& ec, int) {
            if (ec) {
                return;
            }
            service.reloading();
            if (web.users_file.empty() || gate.open()) {
                log.info("SIGHUP: no users file to re-read");
            } else if (auto users = load_users(web.users_file, model, log); users) {
                gate.replace(std::move(*users));
            } else {
                for (const std::string& e : users.error()) {
                    log.error("users: {}", e);
                }
                log.error("SIGHUP: the users file has problems; the users read before stay");
            }
            service.ready("serving the wallboard");
            await_hangup();
        });
    };
    await_hangup();
    in.start();
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) {
            return;
        }
        log.info("signal {}: stopping", signal);
        service.stopping();
        hangup.cancel();
        gate.stop();
        in.stop();
        submitter.stop();
        queries.stop();
        server.stop();
        io.stop();
    });
    service.ready("serving the wallboard");
    io.run();
    log.info(
        "stopped cleanly: {} changes fanned out, {} messages sent, {} dropped, feed sequence {}",
        fanout.published(), fanout.sent(), fanout.dropped(), board.sequence());
    return 0;
}

}  // namespace opel::webd

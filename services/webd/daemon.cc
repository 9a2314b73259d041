#include "webd/daemon.h"

#include <spdlog/logger.h>
#include <zmq.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
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
#include "adapters/codec/command.h"
#include "adapters/codec/messages.h"
#include "adapters/http/monitoring.h"
#include "adapters/http/server.h"
#include "adapters/metrics/exposition.h"
#include "adapters/net/client.h"
#include "webd/board.h"
#include "webd/fanout.h"

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

// A query parameter's value ("" when absent); values are not percent-decoded beyond '+'.
std::string query_value(std::string_view query, std::string_view name) {
    for (std::size_t at = 0; at <= query.size();) {
        const std::size_t end = std::min(query.find('&', at), query.size());
        const std::string_view pair = query.substr(at, end - at);
        const std::size_t eq = pair.find('=');
        if (pair.substr(0, eq) == name) {
            std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
            std::replace(value.begin(), value.end(), '+', ' ');
            return value;
        }
        at = end + 1;
    }
    return {};
}

http::Response error(unsigned status, const std::string& message) {
    return {status, "text/plain; charset=utf-8", message + "\n"};
}

// POST /api/v1/ack: an acknowledgement from the page ({"transition_id", "by", "note"}) sent
// to the escalator like `opel ack`; its reply as JSON (opel.v1.SubmitReply) with 200
// (ACCEPTED, DUPLICATE), 400 (REJECTED, or a body that is not an acknowledgement) or 503
// (UNAVAILABLE, no answer). Waits for the escalator (bounded): acknowledgements are rare.
http::Response acknowledge(zmq::context_t& context, const std::string& submit_endpoint,
                           const std::string& body, spdlog::logger& log) {
    const auto as_json = [](const std::string& reply, unsigned status) {
        return http::Response{status, json_type, codec::read_command_reply(reply).json};
    };
    auto ack = codec::acknowledgement_from_json(body);
    if (!ack) {
        engine::SubmitOutcome bad;
        bad.status = engine::SubmitStatus::rejected;
        bad.errors = std::move(ack).error();
        return as_json(codec::outcome_reply(bad, {}, 0), 400);
    }
    net::RequestClient client(context, submit_endpoint);
    auto answer = client.request(codec::acknowledgement_request(*ack), std::chrono::seconds(2), 1);
    if (!answer) {
        log.warn("acknowledgement of {} by {}: {}", ack->transition_id, ack->by,
                 answer.error().message);
        return as_json(codec::unavailable_reply(engine::command_key(*ack), answer.error().message),
                       503);
    }
    const codec::CommandReply reply = codec::read_command_reply(*answer);
    log.info("acknowledgement of {} by {} from the page: {}", ack->transition_id, ack->by,
             reply.detail);
    const unsigned status = reply.outcome == codec::CommandReply::Outcome::done      ? 200
                            : reply.outcome == codec::CommandReply::Outcome::refused ? 400
                                                                                     : 503;
    return {status, json_type, reply.json};
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
          timer_(io),
          descriptor_(io) {}
    ~FeedIn() { stop(); }
    FeedIn(const FeedIn&) = delete;
    FeedIn& operator=(const FeedIn&) = delete;

    void start() { tick(); }
    void stop() {
        stopped_ = true;
        timer_.cancel();
        if (descriptor_.is_open()) {
            descriptor_.cancel();
            (void)descriptor_.release();  // ZeroMQ owns the descriptor
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
            auto state = feed::fetch_state(context_, endpoints_.snapshot, "", snapshot_timeout);
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

    // Waits for the subscriber's ZMQ_FD: it signals a change, after which the socket is
    // drained (pump) and ZMQ_EVENTS read, which re-arms it (ZeroMQ's edge-triggered fd).
    void arm() {
        if (!descriptor_.is_open()) {
            int fd = -1;
            std::size_t size = sizeof fd;
            if (zmq_getsockopt(follower_->poll_item().socket, ZMQ_FD, &fd, &size) != 0) {
                return;  // the timer alone drives it
            }
            descriptor_.assign(fd);
        }
        descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                               [this](const boost::system::error_code& ec) {
                                   if (ec || stopped_) {
                                       return;
                                   }
                                   pump();
                                   int events = 0;
                                   std::size_t size = sizeof events;
                                   zmq_getsockopt(follower_->poll_item().socket, ZMQ_EVENTS,
                                                  &events, &size);
                                   if ((events & ZMQ_POLLIN) != 0) {
                                       pump();
                                   }
                                   arm();
                               });
    }

    zmq::context_t& context_;
    feed::Endpoints endpoints_;
    Board& board_;
    std::function<void(const Shared&)> publish_;
    std::function<void()> resync_;
    std::chrono::seconds silent_after_;
    spdlog::logger& log_;
    boost::asio::steady_timer timer_;
    boost::asio::posix::stream_descriptor descriptor_;
    std::unique_ptr<feed::Follower> follower_;
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
    auto assets = load_assets(options.assets);
    if (!assets) {
        log.critical("{}", assets.error());
        return 1;
    }
    Board board(model);
    Fanout fanout(max_queue);
    zmq::context_t context;
    boost::asio::io_context io(1);
    FeedIn in(
        io, context,
        {escalator.publish_endpoint, escalator.snapshot_endpoint, escalator.query_endpoint}, board,
        [&](const Shared& message) { fanout.publish(message); }, [&] { fanout.resync(); },
        options.feed_silence, log);
    LiveBoard live(fanout, [&](std::uint64_t dropped) {
        codec::BoardFeed health = in.health();
        health.dropped = dropped;
        return board.state_message(health);
    });

    http::Limits limits;
    limits.max_connections = 1024;
    limits.max_body_bytes = 1 << 20;  // no route takes a body yet; a POST is answered 405
    http::Server server(io, limits);
    for (const auto& [path, response] : *assets) {
        server.route(path, [&response = response] { return response; });
    }
    server.live("/api/v1/live", live);
    // A node's page (the link notification messages carry) is the page itself: app.js reads
    // the node id from the path.
    server.prefix("/node/", [&](const http::Request& r) -> http::Response {
        return r.method == "GET" ? assets->at("/index.html")
                                 : error(405, "method not allowed: " + r.method + " (GET only)");
    });
    server.prefix("/api/v1/", [&](const http::Request& r) -> http::Response {
        if (r.path == "/api/v1/ack") {
            return r.method == "POST"
                       ? acknowledge(context, escalator.submit_endpoint, r.body, log)
                       : error(405, "method not allowed: " + r.method + " (POST only)");
        }
        if (r.method != "GET") {
            return error(405, "method not allowed: " + r.method + " (GET only)");
        }
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
            std::size_t limit = 50;
            const std::string text = query_value(r.query, "limit");
            if (!text.empty()) {
                const auto [end, ec] =
                    std::from_chars(text.data(), text.data() + text.size(), limit);
                if (ec != std::errc() || end != text.data() + text.size() || limit == 0 ||
                    limit > 1000) {
                    return error(400, "limit: '" + text + "' is not a number from 1 to 1000");
                }
            }
            return {200, json_type, board.alerts_json(limit, query_value(r.query, "node"))};
        }
        return error(404, "no route " + r.path);
    });
    const auto metrics_text = [&] {
        std::vector<MetricFamily> out;
        out.push_back(single("opel_webd_connections", "Open HTTP and WebSocket connections",
                             MetricType::Gauge, number(server.connections())));
        out.push_back(single("opel_webd_live_clients", "Browsers on the live WebSocket",
                             MetricType::Gauge, number(fanout.subscribers())));
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
    if (!http::serve_monitoring(server, options.address, options.allow_insecure_remote,
                                {metrics_text, not_ready}, log)) {
        return 1;
    }
    log.info("wallboard for {} nodes; feed {} (snapshot {}, catch-up {}); assets {}",
             model.node_count(), escalator.publish_endpoint, escalator.snapshot_endpoint,
             escalator.query_endpoint, options.assets);
    in.start();
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (ec) {
            return;
        }
        log.info("signal {}: stopping", signal);
        in.stop();
        server.stop();
        io.stop();
    });
    io.run();
    log.info(
        "stopped cleanly: {} changes fanned out, {} messages sent, {} dropped, feed sequence {}",
        fanout.published(), fanout.sent(), fanout.dropped(), board.sequence());
    return 0;
}

}  // namespace opel::webd

// Server: opel-escalatord's transport shell. Owns the ZeroMQ sockets, the Asio timers and
// the batching; hands payloads to the Escalator and sends what it returns.
//
//   submit   ROUTER  bind  ◀── SubmitRequest      ──▶ SubmitReply (one per request)
//   publish  XPUB    bind  ──▶ [topic, Publication] status/<path>, alert/<path>, heartbeat
//   snapshot ROUTER  bind  ◀── SnapshotRequest    ──▶ Snapshot (results + sequence)
//
// With CURVE (ServerOptions::curve_secret) each socket is a CURVE server behind a ZAP handler
// that admits only the allow-list's keys; a request is checked against its key's scope by
// the escalator, the publish socket runs with ZMQ_XPUB_MANUAL so that each subscription is
// narrowed to the key's subtrees here (or refused and counted), and a snapshot holds only the
// key's subtrees.
//
// On every wake the submit socket is drained into one batch (at most max_batch requests),
// which the escalator prepares and the storage thread (writer.h) commits; once it is
// committed its replies are sent and its publications published, in that order and in the
// order the batches were read. While one batch waits for its commit the next is prepared,
// up to pipeline_depth batches in flight; beyond that requests wait in the socket. A lone
// request with nothing in flight is committed on this thread (no hand-offs to add latency). A
// snapshot request is answered when nothing is in flight (so it shows committed state
// only): reading new batches pauses until then. A reload (SIGHUP) waits the same way. The publish
// socket has a bounded queue per subscriber (high-water mark): a subscriber that stops reading
// loses messages, never slows ingest. Losses are counted: the XPUB socket runs with
// ZMQ_XPUB_NODROP, so a send that would overflow any matching subscriber's queue fails with EAGAIN;
// that message is counted as dropped (for at least one subscriber) and sent again lossily, so every
// other subscriber still gets it. Subscribers see the loss as a gap in sequence numbers and
// re-synchronise from the snapshot socket.
//
// Threads: everything runs on the io_context's thread except the commits, which run on the
// writer's storage thread through the journal, the database's only writer. metrics() and
// not_ready() are for the HTTP routes (adapters/http), which run on the io_context's thread
// too, so they read the state without locks.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "adapters/config/settings.h"
#include "adapters/net/asio_socket.h"
#include "adapters/net/curve.h"
#include "base/result.h"
#include "escalatord/escalator.h"
#include "escalatord/metrics.h"
#include "escalatord/scope.h"
#include "escalatord/writer.h"

namespace opel::escalatord {

struct ServerOptions {
    bool allow_insecure_remote = false;    // listen on non-loopback endpoints unencrypted
    std::size_t max_batch = 256;           // requests per commit
    int publish_high_water_mark = 100000;  // messages queued per subscriber before dropping
    double clock_rate = 1;                 // simulated seconds per real second (the clock's rate)
    std::size_t pipeline_depth = 4;        // batches prepared and not yet answered
    std::optional<gid_t> group;            // owns the ipc:// socket files (escalatord.group)
    // The escalator's CURVE secret key (escalatord.curve): every socket is a CURVE server,
    // a ZAP handler admits the keys of settings.curve's clients, and each request,
    // subscription and snapshot is limited to its key's scope (scope.h). None: no CURVE.
    std::optional<net::CurveKey> curve_secret;
    // How often the warning about unencrypted non-loopback endpoints is repeated.
    std::chrono::milliseconds insecure_warning_every{std::chrono::hours(1)};
};

struct Envelope;  // a request: its routing envelope and payload frames

class Server {
public:
    // `journal` writes on its own connection to the escalator's database, on the storage
    // thread.
    Server(boost::asio::io_context& io, zmq::context_t& context, Escalator& escalator,
           Journal& journal, const Clock& clock, config::EscalatordSettings settings,
           ServerOptions options, spdlog::logger& log);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds the three endpoints. Errors: net::Errc::bad_endpoint or address_in_use for an
    // endpoint that cannot be bound, net::Errc::insecure_endpoint for a non-loopback one
    // without CURVE or allow_insecure_remote (with it: a warning now and every hour).
    net::NetResult<std::monostate> bind();
    // Starts serving: socket handlers, the staleness timer and the heartbeat.
    void start();
    // Takes a new engine configuration (SIGHUP) at the first moment no batch is in flight, so
    // it applies atomically between batches: reading new requests and firing deadlines
    // pause until then. The escalator restores every node's state into the new engine, and
    // its config event is committed and published like any other event. `applied` runs (on
    // this thread) once the new configuration is in effect. A second reload while one is
    // pending replaces it.
    // With CURVE, `clients` is the new allow-list, applied with the configuration.
    void reload(engine::EngineConfig config, std::string config_hash,
                std::vector<config::CurveClient> clients, std::function<void()> applied);
    // The scope of each client name (with CURVE; empty otherwise). For the query service,
    // which runs on its own thread: the object is never changed, a reload makes a new one.
    std::shared_ptr<const Scopes> scopes() const { return scopes_; }

    // Stops reading, answers every batch in flight once it is committed, stops timers and
    // closes the sockets (linger 0 for the feed, 1 s for replies).
    void stop();

    std::uint64_t dropped() const { return dropped_; }
    // Replies (submit and snapshot) a client never got: it had gone, or stopped reading.
    std::uint64_t undelivered() const { return undelivered_; }
    std::uint64_t subscriptions() const { return subscriptions_; }
    std::uint64_t publish_ns() const { return publish_ns_; }

    // Every metric in Prometheus text format (text format 0.0.4).
    std::string metrics() const;
    // Why the daemon cannot take submissions now, for /readyz: the sockets are not bound (or
    // it is stopping), or the escalator cannot store (Escalator::unavailable). None: ready.
    std::optional<std::string> not_ready() const;

private:
    struct InFlight;  // a batch's requests, waiting for its commit

    void on_submit();
    void on_committed();
    // Sends a committed (or failed) batch's replies and publications.
    void answer(InFlight& batch, BatchPtr done);
    void answer_snapshots();
    // Applies a pending reload if nothing is in flight.
    void apply_reload();
    void on_snapshot();
    void on_subscription();
    void arm_stats();
    // Warns of every non-loopback endpoint without CURVE, now and every hour.
    void warn_insecure();
    void arm_insecure_warning();
    void publish(const std::vector<Publication>& publications);
    // Who sent `payload` (its User-Id under CURVE), for the escalator.
    Sender sender_of(const zmq::message_t& payload) const;
    // The allow-list and scopes from `clients`, on the current tree.
    void set_clients(const std::vector<config::CurveClient>& clients);
    // A subscription under CURVE: the topics inside the subscriber's scope, or refused.
    void subscribe_within_scope(const zmq::message_t& request, bool subscribe);
    void arm_deadline();
    void arm_heartbeat();

    boost::asio::io_context& io_;
    zmq::context_t& context_;
    Escalator& escalator_;
    const Clock& clock_;
    config::EscalatordSettings settings_;
    ServerOptions options_;
    spdlog::logger& log_;
    net::AsioSocket submit_;
    net::AsioSocket publish_;
    net::AsioSocket snapshot_;
    boost::asio::steady_timer deadline_timer_;
    boost::asio::steady_timer heartbeat_timer_;
    boost::asio::steady_timer stats_timer_;
    boost::asio::steady_timer insecure_timer_;         // hourly, while an endpoint is unencrypted
    std::deque<std::unique_ptr<InFlight>> in_flight_;  // oldest first
    std::vector<Envelope> snapshot_requests_;          // waiting for no batch in flight
    struct PendingReload {
        engine::EngineConfig config;
        std::string config_hash;
        std::vector<config::CurveClient> clients;
        std::function<void()> applied;
    };
    std::optional<PendingReload> pending_reload_;  // waiting for no batch in flight
    std::uint64_t dropped_ = 0;                    // publications lost by at least one subscriber
    std::uint64_t subscriptions_ = 0;              // currently active topic subscriptions
    std::uint64_t undelivered_ = 0;                // replies a client never got (see undelivered())
    std::uint64_t publish_ns_ = 0;                 // time spent handing messages to the socket
    std::vector<std::string> insecure_endpoints_;  // non-loopback, without CURVE
    std::uint64_t subscriptions_refused_ = 0;      // outside every subtree of the key (CURVE)
    std::unique_ptr<net::ZapHandler> zap_;         // with CURVE: admits the allow-list's keys
    std::shared_ptr<const Scopes> scopes_;         // with CURVE: each client's scope
    std::atomic<std::uint64_t> zap_refusals_{0};   // refusals seen (the handler's thread)
    bool bound_ = false;
    bool stopped_ = false;
    Metrics metrics_;
    Writer writer_;  // last: its thread posts on_committed, which uses everything above
};

}  // namespace opel::escalatord

#include "escalatord/server.h"

#include <spdlog/logger.h>

#include <boost/asio/post.hpp>
#include <zmq_addon.hpp>

#include "adapters/clock/stopwatch.h"
#include "engine/text.h"

namespace opel::escalatord {

// A ROUTER request: the routing envelope (identity, and the empty delimiter REQ clients
// add) and the payload frames after it.
struct Envelope {
    std::vector<zmq::message_t> route;
    std::vector<zmq::message_t> body;
};

// A batch in flight: its requests, in the order of its replies, and the replies already
// decided by the transport (bad framing), sent with the others once the batch commits.
struct Server::InFlight {
    std::vector<Envelope> requests;
    std::vector<std::size_t> index;            // request -> payload, or npos for bad framing
    std::vector<std::string> framing_replies;  // by request, for bad framing
};

namespace {

Envelope split(std::vector<zmq::message_t> frames) {
    Envelope e;
    std::size_t i = 0;
    if (!frames.empty()) {
        e.route.push_back(std::move(frames[0]));
        i = 1;
    }
    if (i < frames.size() && frames[i].size() == 0 && frames.size() > 2) {
        e.route.push_back(std::move(frames[i]));
        ++i;
    }
    for (; i < frames.size(); ++i) {
        e.body.push_back(std::move(frames[i]));
    }
    return e;
}

// Sends a reply; false when it could not be delivered: the peer has gone away
// (EHOSTUNREACH) or has a full queue because it stopped reading (EAGAIN). The sockets run
// with ZMQ_ROUTER_MANDATORY, so neither is dropped without the caller knowing.
bool reply(zmq::socket_t& socket, Envelope& envelope, const std::string& payload) {
    std::vector<zmq::message_t> out;
    for (zmq::message_t& m : envelope.route) {
        out.push_back(std::move(m));
    }
    out.emplace_back(payload.data(), payload.size());
    try {
        return zmq::send_multipart(socket, out, zmq::send_flags::dontwait).has_value();
    } catch (const zmq::error_t&) {
        return false;
    }
}

}  // namespace

Server::Server(boost::asio::io_context& io, zmq::context_t& context, Escalator& escalator,
               Journal& journal, const Clock& clock, config::EscalatordSettings settings,
               ServerOptions options, spdlog::logger& log)
    : io_(io),
      context_(context),
      escalator_(escalator),
      clock_(clock),
      settings_(std::move(settings)),
      options_(std::move(options)),
      log_(log),
      submit_(io, context, zmq::socket_type::router),
      publish_(io, context, zmq::socket_type::xpub),
      snapshot_(io, context, zmq::socket_type::router),
      deadline_timer_(io),
      heartbeat_timer_(io),
      stats_timer_(io),
      insecure_timer_(io),
      writer_(journal, [this] { boost::asio::post(io_, [this] { on_committed(); }); }) {}

Server::~Server() { stop(); }

net::NetResult<std::monostate> Server::bind() {
    const std::pair<net::AsioSocket*, const std::string*> endpoints[] = {
        {&submit_, &settings_.submit_endpoint},
        {&publish_, &settings_.publish_endpoint},
        {&snapshot_, &settings_.snapshot_endpoint}};
    // Hard cap well above the accepted size: a larger frame drops the connection rather
    // than the daemon's memory; up to max_message_bytes gets a precise REJECTED reply.
    const auto cap = static_cast<std::int64_t>(settings_.max_message_bytes) * 4 + 4096;
    submit_.socket().set(zmq::sockopt::maxmsgsize, cap);
    snapshot_.socket().set(zmq::sockopt::maxmsgsize, std::int64_t{4096});
    // A subscription is a topic prefix (a node path is far shorter): a longer one drops the
    // subscriber's connection, so no subscriber can fill the daemon's memory with long ones.
    // (libzmq's XPUB offers no per-connection count, so the number is not bounded here.)
    publish_.socket().set(zmq::sockopt::maxmsgsize, std::int64_t{1024});
    publish_.socket().set(zmq::sockopt::sndhwm, options_.publish_high_water_mark);
    publish_.socket().set(zmq::sockopt::xpub_nodrop, 1);
    submit_.socket().set(zmq::sockopt::router_mandatory, 1);  // undelivered replies counted
    snapshot_.socket().set(zmq::sockopt::router_mandatory, 1);
    if (options_.curve_secret) {
        // The handler first: a CURVE socket without one would admit every key.
        zap_ = std::make_unique<net::ZapHandler>(
            context_, [this](const std::string& key, const std::string& address) {
                // On the handler's thread. Logged at the 1st, 2nd, 4th, 8th, ... refusal, so
                // a client retrying for a day cannot fill the disk; every one is counted.
                const std::uint64_t n = ++zap_refusals_;
                if ((n & (n - 1)) == 0) {
                    log_.warn(
                        "CURVE: refused key {} from {}: not on the allow-list "
                        "(escalatord.curve.clients); refusal {} (logged at 1, 2, 4, 8, ...; "
                        "all counted in opel_escalatord_curve_handshakes_total)",
                        key, address, n);
                }
            });
        set_clients(settings_.curve ? settings_.curve->clients
                                    : std::vector<config::CurveClient>{});
        for (const auto& [socket, endpoint] : endpoints) {
            net::make_curve_server(socket->socket(), *options_.curve_secret);
        }
        publish_.socket().set(zmq::sockopt::xpub_manual, 1);
    }
    for (const auto& [socket, endpoint] : endpoints) {
        // With CURVE a non-loopback endpoint is encrypted and only the allow-list's keys
        // get in; without, it needs --allow-insecure-remote and is warned about every hour.
        if (auto bound = net::bind_listener(
                socket->socket(), *endpoint,
                options_.allow_insecure_remote || options_.curve_secret.has_value(),
                options_.group);
            !bound) {
            return bound;
        }
        if (!net::is_local_endpoint(*endpoint) && !options_.curve_secret) {
            insecure_endpoints_.push_back(*endpoint);
        }
    }
    warn_insecure();
    bound_ = true;
    return std::monostate{};
}

void Server::start() {
    submit_.start([this] { on_submit(); });
    snapshot_.start([this] { on_snapshot(); });
    publish_.start([this] { on_subscription(); });
    arm_deadline();
    arm_heartbeat();
    arm_stats();
    arm_insecure_warning();
    log_.info("serving: submit {}, publish {}, snapshot {}", settings_.submit_endpoint,
              settings_.publish_endpoint, settings_.snapshot_endpoint);
}

void Server::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    deadline_timer_.cancel();
    heartbeat_timer_.cancel();
    stats_timer_.cancel();
    insecure_timer_.cancel();
    writer_.close();  // every batch in flight is committed (or failed) and handed back
    on_committed();
    submit_.close(1000);
    snapshot_.close(0);
    publish_.close(0);
}

void Server::on_submit() {
    while (!stopped_ && snapshot_requests_.empty() && !pending_reload_ &&
           escalator_.in_flight() < options_.pipeline_depth && submit_.readable()) {
        auto batch = std::make_unique<InFlight>();
        while (batch->requests.size() < options_.max_batch) {
            std::vector<zmq::message_t> frames = net::receive_multipart(submit_.socket());
            if (frames.empty()) {
                break;
            }
            batch->requests.push_back(split(std::move(frames)));
        }
        if (batch->requests.empty()) {
            break;
        }
        std::vector<std::string_view> payloads;
        std::vector<Sender> senders;
        batch->framing_replies.resize(batch->requests.size());
        for (std::size_t i = 0; i < batch->requests.size(); ++i) {
            const Envelope& r = batch->requests[i];
            if (r.body.size() == 1) {
                batch->index.push_back(payloads.size());
                payloads.emplace_back(r.body[0].data<char>(), r.body[0].size());
                if (zap_) {
                    senders.push_back(sender_of(r.body[0]));
                }
            } else {
                batch->index.push_back(std::string::npos);
                batch->framing_replies[i] = escalator_.framing_error(r.body.size());
            }
        }
        BatchPtr prepared = escalator_.prepare(payloads, senders);
        if (batch->requests.size() == 1 && escalator_.in_flight() == 1 &&
            writer_.commit_here(*prepared)) {
            answer(*batch, std::move(prepared));
            submit_.after_send();
        } else {
            writer_.push(std::move(prepared));
            in_flight_.push_back(std::move(batch));
        }
        arm_deadline();
    }
}

void Server::answer(InFlight& batch, BatchPtr done) {
    if (done->ends_transaction) {
        metrics_.observe_commit(done->commit_ns);
    }
    Escalator::BatchOutput out = escalator_.finish(std::move(done));
    for (std::size_t i = 0; i < batch.requests.size(); ++i) {
        if (!reply(submit_.socket(), batch.requests[i],
                   batch.index[i] == std::string::npos ? batch.framing_replies[i]
                                                       : out.replies[batch.index[i]])) {
            ++undelivered_;
        }
    }
    publish(out.publications);
}

void Server::on_committed() {
    for (BatchPtr& done : writer_.take_done()) {
        const std::unique_ptr<InFlight> batch = std::move(in_flight_.front());
        in_flight_.pop_front();
        answer(*batch, std::move(done));
    }
    if (escalator_.in_flight() == 0) {
        answer_snapshots();
        apply_reload();
    }
    if (!stopped_) {
        arm_deadline();
        submit_.after_send();  // resumes reading if on_submit paused for the pipeline
    }
}

void Server::on_snapshot() {
    while (!stopped_ && snapshot_.readable()) {
        std::vector<zmq::message_t> frames = net::receive_multipart(snapshot_.socket());
        if (frames.empty()) {
            break;
        }
        snapshot_requests_.push_back(split(std::move(frames)));
    }
    if (escalator_.in_flight() == 0) {
        answer_snapshots();
    }
}

void Server::answer_snapshots() {
    if (snapshot_requests_.empty()) {
        return;
    }
    for (Envelope& request : snapshot_requests_) {
        if (!reply(snapshot_.socket(), request,
                   request.body.size() == 1
                       ? escalator_.snapshot(
                             std::string_view(request.body[0].data<char>(), request.body[0].size()),
                             zap_ ? sender_of(request.body[0]) : Sender{})
                       : escalator_.snapshot_framing_error(request.body.size()))) {
            ++undelivered_;
        }
    }
    snapshot_requests_.clear();
    snapshot_.after_send();
    if (!stopped_) {
        submit_.after_send();  // resumes reading if on_submit paused for the snapshots
    }
}

void Server::reload(engine::EngineConfig config, std::string config_hash,
                    std::vector<config::CurveClient> clients, std::function<void()> applied) {
    if (stopped_) {
        return;
    }
    if (pending_reload_) {
        log_.info("reload: configuration {} replaces {}, still waiting for the batches in flight",
                  config_hash, pending_reload_->config_hash);
    }
    pending_reload_ = PendingReload{std::move(config), std::move(config_hash), std::move(clients),
                                    std::move(applied)};
    if (escalator_.in_flight() == 0) {
        apply_reload();
    }
}

void Server::apply_reload() {
    if (!pending_reload_ || stopped_ || escalator_.in_flight() != 0) {
        return;
    }
    PendingReload pending = std::move(*pending_reload_);
    pending_reload_.reset();
    Escalator::Reloaded reloaded =
        escalator_.reload(std::move(pending.config), std::move(pending.config_hash));
    if (zap_) {
        set_clients(pending.clients);  // the new keys and scopes, on the new tree
    }
    if (reloaded.event) {
        // Committed on the storage thread and published in order, like a staleness tick.
        writer_.push(std::move(reloaded.event));
        in_flight_.push_back(std::make_unique<InFlight>());
    }
    if (pending.applied) {
        pending.applied();
    }
    arm_deadline();        // the new cards may have other reporting intervals
    submit_.after_send();  // resumes reading paused for the reload
}

void Server::on_subscription() {
    // Subscribe ("\x01topic") and unsubscribe ("\x00topic") messages from subscribers.
    while (!stopped_ && publish_.readable()) {
        std::vector<zmq::message_t> frames = net::receive_multipart(publish_.socket());
        if (frames.empty()) {
            break;
        }
        const zmq::message_t& m = frames.front();
        const bool subscribe = m.size() >= 1 && m.data<unsigned char>()[0] == 1;
        const bool unsubscribe = m.size() >= 1 && m.data<unsigned char>()[0] == 0;
        if (zap_ && (subscribe || unsubscribe)) {
            subscribe_within_scope(m, subscribe);  // ZMQ_XPUB_MANUAL: nothing is automatic
        } else if (subscribe) {
            ++subscriptions_;
        } else if (unsubscribe && subscriptions_ > 0) {
            --subscriptions_;
        }
    }
    publish_.after_send();
}

Sender Server::sender_of(const zmq::message_t& payload) const {
    Sender sender;
    sender.curve = true;
    if (const auto name = net::client_name(payload)) {
        sender.name = std::string(*name);
        sender.scope = scopes_ ? scopes_->find(*name) : nullptr;
    }
    return sender;
}

void Server::set_clients(const std::vector<config::CurveClient>& clients) {
    std::map<net::CurveKey, std::string> keys;
    for (const config::CurveClient& client : clients) {
        if (auto key = net::decode_key(client.public_key)) {  // checked at start and reload
            keys.emplace(std::move(*key), client.name);
        }
    }
    zap_->allow(std::move(keys));
    scopes_ = std::make_shared<const Scopes>(clients, escalator_.engine().model());
}

void Server::subscribe_within_scope(const zmq::message_t& request, bool subscribe) {
    const std::string_view prefix(request.data<char>() + 1, request.size() - 1);
    const Sender sender = sender_of(request);
    const std::vector<std::string> topics =
        sender.scope != nullptr ? sender.scope->narrow(prefix) : std::vector<std::string>{};
    // Called right after receiving `request`: ZMQ_XPUB_MANUAL applies these to its sender.
    for (const std::string& topic : topics) {
        if (subscribe) {
            publish_.socket().set(zmq::sockopt::subscribe, topic);
        } else {
            publish_.socket().set(zmq::sockopt::unsubscribe, topic);
        }
    }
    if (subscribe && topics.empty()) {
        ++subscriptions_refused_;
        log_.warn("subscription to '{}' by {} refused: no topic it matches is inside its subtrees",
                  engine::printable(prefix), sender.name.empty() ? "an unnamed key" : sender.name);
    } else if (subscribe) {
        ++subscriptions_;
    } else if (subscriptions_ > 0) {
        // An unsubscribe of a refused subscription is counted too (XPUB names no subscriber).
        --subscriptions_;
    }
}

void Server::publish(const std::vector<Publication>& publications) {
    Stopwatch watch;
    std::uint64_t dropped_now = 0;
    for (const Publication& p : publications) {
        std::array<zmq::const_buffer, 2> parts{zmq::buffer(p.topic), zmq::buffer(p.payload)};
        if (zmq::send_multipart(publish_.socket(), parts, zmq::send_flags::dontwait)) {
            continue;
        }
        // A matching subscriber's queue is full: count it, deliver to everyone else.
        ++dropped_now;
        publish_.socket().set(zmq::sockopt::xpub_nodrop, 0);
        (void)zmq::send_multipart(publish_.socket(), parts, zmq::send_flags::dontwait);
        publish_.socket().set(zmq::sockopt::xpub_nodrop, 1);
    }
    if (dropped_now > 0) {
        // Logged once per batch at most (rate-limited by batching), never per message.
        log_.warn(
            "publish: {} message(s) dropped for a subscriber that is not reading "
            "({} in total); ingest continues",
            dropped_now, dropped_ + dropped_now);
        dropped_ += dropped_now;
    }
    publish_.after_send();
    publish_ns_ += watch.lap();
}

std::string Server::metrics() const {
    ServerFigures figures;
    figures.dropped = dropped_;
    figures.undelivered = undelivered_;
    figures.subscriptions = subscriptions_;
    figures.snapshot_requests_waiting = snapshot_requests_.size();
    if (zap_) {
        figures.zap_admitted = zap_->admitted();
        figures.zap_refused = zap_->refused();
        figures.subscriptions_refused = subscriptions_refused_;
    }
    return metrics_.exposition(escalator_, figures, clock_.now());
}

std::optional<std::string> Server::not_ready() const {
    if (!bound_) {
        return "the sockets are not bound";
    }
    if (stopped_) {
        return "stopping";
    }
    return escalator_.unavailable();
}

void Server::warn_insecure() {
    for (const std::string& endpoint : insecure_endpoints_) {
        log_.warn(
            "listening UNENCRYPTED on non-loopback endpoint {}: anyone who can reach it can "
            "submit and read; --allow-insecure-remote is set (configure escalatord.curve); "
            "repeated every hour",
            endpoint);
    }
}

void Server::arm_insecure_warning() {
    if (stopped_ || insecure_endpoints_.empty()) {
        return;
    }
    insecure_timer_.expires_after(options_.insecure_warning_every);
    insecure_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped_) {
            return;
        }
        warn_insecure();
        arm_insecure_warning();
    });
}

void Server::arm_stats() {
    if (stopped_) {
        return;
    }
    stats_timer_.expires_after(std::chrono::seconds(60));
    stats_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped_) {
            return;
        }
        const Counters& c = escalator_.counters();
        log_.info(
            "stats: accepted {}, late {}, duplicate {}, rejected {}, unavailable {}, published "
            "{}, dropped {}, replies undelivered {}, subscriptions {}, commits {}, commit "
            "failures {}, sequence {}",
            c.accepted, c.late, c.duplicate, c.rejected, c.unavailable, c.published, dropped_,
            undelivered_, subscriptions_, c.commits, c.commit_failures, escalator_.sequence());
        arm_stats();
    });
}

void Server::arm_deadline() {
    const auto next = escalator_.next_deadline();
    if (stopped_ || !next) {
        deadline_timer_.cancel();
        return;
    }
    // The deadline is on the (possibly accelerated) clock; wait the matching real time.
    const auto simulated = std::chrono::duration<double>(*next - clock_.now());
    const auto real = std::chrono::ceil<std::chrono::milliseconds>(simulated / options_.clock_rate);
    deadline_timer_.expires_after(std::max(real, std::chrono::milliseconds(0)));
    deadline_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped_) {
            return;
        }
        if (escalator_.in_flight() >= options_.pipeline_depth || !snapshot_requests_.empty() ||
            pending_reload_) {
            return;  // re-armed when the next batch is committed
        }
        if (BatchPtr tick = escalator_.prepare_tick()) {
            writer_.push(std::move(tick));
            in_flight_.push_back(std::make_unique<InFlight>());
        }
        arm_deadline();
    });
}

void Server::arm_heartbeat() {
    if (stopped_) {
        return;
    }
    heartbeat_timer_.expires_after(settings_.heartbeat_interval);  // real time
    heartbeat_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopped_) {
            return;
        }
        publish({escalator_.heartbeat()});
        arm_heartbeat();
    });
}

}  // namespace opel::escalatord

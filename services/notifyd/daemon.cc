#include "notifyd/daemon.h"

#include <spdlog/logger.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <random>
#include <zmq.hpp>

#include "adapters/clock/real_clock.h"
#include "adapters/http/monitoring.h"
#include "adapters/http/server.h"
#include "adapters/metrics/exposition.h"
#include "adapters/options/options.h"
#include "adapters/systemd/notify.h"
#include "notifyd/sender.h"

namespace opel::notifyd {
namespace {

using metrics::add;
using metrics::family;
using metrics::MetricFamily;
using metrics::MetricType;
using metrics::number;
using metrics::single;

// The feed is silent when nothing (not even a heartbeat) came for this long.
constexpr std::chrono::seconds silent_after{15};

struct State {
    bool feed_ok = false;
    std::string feed_error;
    std::optional<WallTime> last_heard;
};

std::string exposition(const Notifier& notifier, Outbox& outbox, const feed::Follower& follower,
                       const Sender& sender, WallTime now) {
    std::vector<MetricFamily> out;
    const Figures& f = notifier.figures();
    auto counts = outbox.counts();
    MetricFamily messages =
        family("opel_notifyd_messages", "Messages in the outbox by state and receiver kind",
               MetricType::Gauge);
    if (counts) {
        for (const auto& [key, n] : counts->by_state_and_kind) {
            add(messages, static_cast<double>(n), {{"state", key.first}, {"kind", key.second}});
        }
    }
    out.push_back(std::move(messages));
    const double oldest = counts && counts->oldest_unsent
                              ? static_cast<double>((now - *counts->oldest_unsent).count()) / 1000.0
                              : 0.0;
    out.push_back(
        single("opel_notifyd_oldest_unsent_seconds",
               "Age of the oldest message not yet sent (pending or retrying); 0 when none",
               MetricType::Gauge, oldest));
    out.push_back(single("opel_notifyd_open_escalations",
                         "Escalations to OPEL 3 or 4 not yet acknowledged", MetricType::Gauge,
                         number(notifier.open_escalations().size())));
    out.push_back(single("opel_notifyd_waiting_deliveries",
                         "Deliveries held in their grouping window", MetricType::Gauge,
                         counts ? static_cast<double>(counts->waiting_deliveries) : 0.0));
    out.push_back(single("opel_notifyd_in_flight", "Attempts in progress", MetricType::Gauge,
                         number(sender.in_flight())));
    MetricFamily attempts =
        family("opel_notifyd_attempts_total", "Delivery attempts ended since start, by outcome",
               MetricType::Counter);
    add(attempts, number(f.sent), {{"outcome", "sent"}});
    add(attempts, number(f.retries), {{"outcome", "retry"}});
    add(attempts, number(f.failed), {{"outcome", "failed"}});
    out.push_back(std::move(attempts));
    const std::pair<const char*, std::pair<const char*, std::uint64_t>> counters[] = {
        {"opel_notifyd_alerts_total", {"Alert events handled from the feed", f.alerts}},
        {"opel_notifyd_deliveries_total", {"(event, receiver) deliveries stored", f.deliveries}},
        {"opel_notifyd_messages_formed_total", {"Messages formed", f.messages}},
        {"opel_notifyd_reminders_total", {"Reminders of unacknowledged escalations", f.reminders}},
        {"opel_notifyd_escalation_steps_total",
         {"Messages to a further group for an unacknowledged escalation", f.escalation_steps}},
        {"opel_notifyd_rate_limited_total",
         {"Attempts postponed by a receiver's rate limit", f.rate_limited}},
        {"opel_notifyd_store_failures_total",
         {"Outbox transactions that failed", f.store_failures}},
        {"opel_notifyd_silenced_total", {"Alerts covered by a silence", f.silenced}},
        {"opel_notifyd_escalations_opened_total",
         {"Escalations to OPEL 3 or 4 opened under a route's policy", f.escalations_opened}},
        {"opel_notifyd_escalations_closed_total",
         {"Escalations closed: acknowledged, or superseded by a later transition",
          f.escalations_closed}},
        {"opel_notifyd_feed_catch_ups_total",
         {"Gaps in the feed filled from the escalator's store", follower.catch_ups()}},
        {"opel_notifyd_feed_undecodable_total",
         {"Feed messages that could not be decoded (dropped)", follower.undecodable()}},
    };
    for (const auto& [name, help_value] : counters) {
        out.push_back(
            single(name, help_value.first, MetricType::Counter, number(help_value.second)));
    }
    out.push_back(single("opel_notifyd_policy_time_seconds",
                         "The clock reminders run on (Unix seconds): the wall, or the feed's time",
                         MetricType::Gauge,
                         static_cast<double>(notifier.policy_now(now).time_since_epoch().count())));
    out.push_back(single("opel_notifyd_feed_sequence", "The last feed sequence handled",
                         MetricType::Gauge, number(follower.last())));
    return metrics::serialize(out);
}

// SIGHUP: re-reads the configuration and takes its routing (groups, routes, silences). A bad
// configuration is refused with every problem logged and the running routing kept; other
// settings (outbox, addresses, SMTP, delivery, the tree) need a restart and say so.
void reload_routing(const Options& options, const config::NotifydSettings& running,
                    Notifier& notifier, spdlog::logger& log) {
    const std::string path = options::config_path(options.config);
    log.info("signal SIGHUP: reloading the routing from {}", path);
    const auto refuse = [&log](const std::vector<config::ConfigError>& errors, const char* why) {
        for (const config::ConfigError& e : errors) {
            log.error("reload: {}", e.to_string());
        }
        log.error("reload refused ({}); the running routing is kept", why);
    };
    auto loaded = config::load_config(path);
    if (!loaded) {
        refuse(loaded.error(), "problems above");
        return;
    }
    auto notifyd = config::load_notifyd_config(*loaded);
    if (!notifyd || !*notifyd) {
        refuse(notifyd ? std::vector<config::ConfigError>{} : notifyd.error(),
               notifyd ? "no notifyd section" : "problems above");
        return;
    }
    const config::NotifydSettings next = with_overrides(std::move(**notifyd), options);
    if (next.database_path != running.database_path ||
        next.metrics_address != running.metrics_address || next.smtp.url != running.smtp.url ||
        next.smtp.from != running.smtp.from || next.grouping != running.grouping ||
        next.wallboard_url != running.wallboard_url) {
        log.warn(
            "reload: outbox, metrics address, SMTP, grouping and wallboard settings are "
            "applied at the next restart; the routing now");
    }
    log.info("reload: {} recipient groups, {} routes, {} silences", next.routing.groups.size(),
             next.routing.routes.size(), next.routing.silences.size());
    notifier.set_routing(next.routing);
}

std::chrono::milliseconds until(std::optional<WallTime> t, WallTime now) {
    if (!t) {
        return std::chrono::milliseconds(1000);
    }
    return std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(*t - now),
                      std::chrono::milliseconds(0), std::chrono::milliseconds(1000));
}

}  // namespace

int run_daemon(const Options& options, const config::LoadedConfig& loaded,
               config::NotifydSettings settings, spdlog::logger& log) {
    settings = with_overrides(std::move(settings), options);
    const config::EscalatordSettings escalator = escalator_endpoints(loaded.escalatord, options);
    const engine::Model model(loaded.engine);
    auto outbox = Outbox::open(settings.database_path);
    if (!outbox) {
        log.critical("outbox: {}", outbox.error());
        return 1;
    }
    auto position = (*outbox)->position();
    if (!position) {
        log.critical("outbox {}: {}", settings.database_path, position.error());
        return 1;
    }
    log.info(
        "outbox {}; {} recipient groups, {} routes, {} silences; grouping {} s; feed {} from "
        "sequence {} (catch-up from {}); reminders on the {} clock",
        settings.database_path, settings.routing.groups.size(), settings.routing.routes.size(),
        settings.routing.silences.size(), settings.grouping.count(), escalator.publish_endpoint,
        position->sequence, escalator.query_endpoint,
        options.clock == PolicyClock::stream ? "feed's" : "wall");
    Notifier notifier(settings, model, **outbox, log, options.clock, escalator.submit_endpoint);
    if (auto restored = notifier.restore(); !restored) {
        log.critical("outbox {}: {}", settings.database_path, restored.error());
        return 1;
    }
    auto keys = options::client_keys(options.endpoints, settings.curve, escalator);
    if (!keys) {
        log.critical("{}", keys.error());
        return 1;
    }
    zmq::context_t context;
    feed::Follower follower(
        context,
        {escalator.publish_endpoint, escalator.snapshot_endpoint, escalator.query_endpoint, *keys},
        position->known ? std::optional(position->sequence) : std::nullopt,
        std::chrono::seconds(5));
    Sender sender(settings.smtp, settings.delivery.timeout, context, *keys);
    std::map<std::string, OutMessage, std::less<>> in_flight;
    State state;

    boost::asio::io_context io(1);
    http::Server monitoring(io);
    const auto metrics_text = [&] {
        return exposition(notifier, **outbox, follower, sender, wall_time_ms());
    };
    const auto not_ready = [&]() -> std::optional<std::string> {
        if (!state.feed_ok) {
            return "the escalator's feed: " + state.feed_error;
        }
        if (state.last_heard && wall_time_ms() - *state.last_heard > silent_after) {
            return std::string("the escalator's feed is silent (no heartbeat)");
        }
        return std::nullopt;
    };
    if (!http::serve_monitoring(monitoring, settings.metrics_address, options.allow_insecure_remote,
                                {metrics_text, not_ready}, log)) {
        return 1;
    }
    systemd::Notifier service(io);
    boost::asio::signal_set hangup(io, SIGHUP);
    std::function<void()> await_hangup = [&] {
        hangup.async_wait([&](const boost::system::error_code& ec, int /*signal*/) {
            if (ec) {
                return;
            }
            service.reloading();
            reload_routing(options, settings, notifier, log);
            service.ready("delivering alerts (routing reloaded or refused: see the log)");
            await_hangup();
        });
    };
    await_hangup();
    bool stopping = false;
    boost::asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int signal) {
        if (!ec) {
            log.info("signal {}: stopping", signal);
            stopping = true;
        }
    });
    service.ready("delivering alerts");
    std::mt19937_64 random{std::random_device{}()};
    std::uniform_real_distribution<double> draw(0.0, 1.0);
    std::string last_feed_error;
    WallTime remembered{};
    while (!stopping) {
        WallTime now = wall_time_ms();
        auto pumped = follower.pump([&](const feed::Item& item) {
            state.last_heard = now;
            return notifier.handle(item, now);
        });
        state.feed_ok = pumped.has_value() && follower.synchronised();
        if (!pumped && pumped.error() != last_feed_error) {
            log.error("feed: {}; retrying", pumped.error());
        } else if (pumped && !last_feed_error.empty()) {
            log.info("feed: caught up at sequence {}", follower.last());
        }
        last_feed_error = pumped ? "" : pumped.error();
        state.feed_error = last_feed_error;
        if (follower.synchronised() && now - remembered >= std::chrono::seconds(1)) {
            notifier.remember({0, follower.last(), true});  // at most one commit a second
            remembered = now;
        }
        notifier.tick(now);
        for (OutMessage& m : notifier.to_send(
                 now, [&](const std::string& key) { return in_flight.count(key) != 0; })) {
            sender.start(m);
            in_flight.emplace(m.key, std::move(m));
        }
        std::vector<zmq_pollitem_t> items{follower.poll_item()};
        const long curl_wait = sender.poll_items(items);
        std::chrono::milliseconds wait = until(notifier.next_wakeup(), now);
        if (curl_wait >= 0) {
            wait = std::min(wait, std::chrono::milliseconds(curl_wait));
        }
        if (!pumped) {
            wait = std::max(wait, std::chrono::milliseconds(500));  // the query endpoint is away
        }
        wait = std::min(wait, std::chrono::milliseconds(100));  // signals and /metrics
        // A signal interrupts the wait (EINTR); the io_context below handles it.
        zmq_poll(items.data(), static_cast<int>(items.size()), static_cast<long>(wait.count()));
        now = wall_time_ms();
        for (const Sender::Finished& f : sender.perform()) {
            const auto it = in_flight.find(f.key);
            if (it != in_flight.end()) {
                notifier.finished(it->second, f.attempt, now, draw(random));
                in_flight.erase(it);
            }
        }
        io.poll();
    }
    service.stopping();
    hangup.cancel();
    monitoring.stop();
    if (follower.synchronised()) {
        notifier.remember({0, follower.last(), true});
    }
    const Figures& f = notifier.figures();
    log.info(
        "stopped cleanly: {} alerts, {} deliveries, {} messages formed, {} sent, {} retries, {} "
        "failed, {} attempts abandoned in flight (sent again at the next start), feed sequence {}",
        f.alerts, f.deliveries, f.messages, f.sent, f.retries, f.failed, in_flight.size(),
        follower.last());
    return 0;
}

}  // namespace opel::notifyd

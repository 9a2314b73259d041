#include "notifyd/notifier.h"

#include <spdlog/logger.h>

#include <algorithm>

namespace opel::notifyd {
namespace {

TimePoint seconds_of(WallTime t) { return std::chrono::floor<Duration>(t); }
WallTime wall_of(TimePoint t) { return std::chrono::time_point_cast<Millis>(t); }

// Every delivery key a message covers: one per event it lists.
std::vector<std::string> delivery_keys(const Message& m) {
    std::vector<std::string> keys;
    keys.reserve(m.events.size());
    for (const engine::Event& e : m.events) {
        keys.push_back(event_id(e) + "/" + receiver_id(m.receiver));
    }
    return keys;
}

}  // namespace

Notifier::Notifier(config::NotifydSettings settings, const engine::Model& model, Outbox& outbox,
                   spdlog::logger& log, PolicyClock clock, std::string report_to)
    : settings_(std::move(settings)),
      model_(model),
      outbox_(outbox),
      log_(log),
      clock_(clock),
      report_to_(std::move(report_to)),
      grouper_(settings_.grouping),
      rate_(settings_.delivery.rate_per_minute) {
    for (engine::NodeIndex i = 0; i < model_.node_count(); ++i) {
        const engine::ModelNode& n = model_.node(i);
        names_.emplace(n.config.id, n.config.name);
    }
}

TimePoint Notifier::policy_now(WallTime now) const {
    if (clock_ == PolicyClock::stream) {
        return stream_time_.value_or(TimePoint{});
    }
    return seconds_of(now);
}

OutboxResult<bool> Notifier::restore() {
    auto waiting = outbox_.waiting();
    if (!waiting) {
        return unexpected(waiting.error());
    }
    for (const StoredDelivery& d : *waiting) {
        // Held again from when it was first stored: its window closes when it would have.
        if (auto m = grouper_.add({d.key, d.group, d.receiver, d.route}, d.event,
                                  seconds_of(d.created))) {
            store_messages({*m}, d.created, std::nullopt);
        }
    }
    auto open = outbox_.open_escalations();
    if (!open) {
        return unexpected(open.error());
    }
    open_ = std::move(open).value();
    for (const OpenEscalation& e : open_) {
        stream_time_ = std::max(stream_time_.value_or(e.opened_at), e.opened_at);
    }
    log_.info("outbox: {} deliveries waiting for their grouping window, {} open escalations",
              waiting->size(), open_.size());
    return true;
}

bool Notifier::handle(const feed::Item& item, WallTime now) {
    if (item.heartbeat_at) {
        stream_time_ = std::max(stream_time_.value_or(*item.heartbeat_at), *item.heartbeat_at);
        return true;
    }
    if (!item.alert) {
        return true;
    }
    const engine::Event& e = *item.alert;
    ++figures_.alerts;
    stream_time_ = std::max(stream_time_.value_or(e.at), e.at);
    const TimePoint policy = policy_now(now);
    const auto index = model_.find_node(e.node_id);
    const engine::ProviderType provider =
        index ? model_.node(*index).config.provider_type : engine::ProviderType::none;
    if (silenced_by(e, settings_.routing, policy) != nullptr) {
        ++figures_.silenced;
    }
    std::vector<StoredDelivery> deliveries;
    for (const Delivery& d : route(e, provider, settings_.routing, policy)) {
        deliveries.push_back({d.key, d.route, d.group, d.receiver, e, now});
    }
    std::vector<OpenEscalation> opened;
    if (opens_escalation(e)) {
        for (const Route* r : matching_routes(e, provider, settings_.routing, policy)) {
            if (r->escalation.remind_every.count() > 0 || !r->escalation.steps.empty()) {
                opened.push_back({e.transition_id, r->name, policy, 0, 0, e});
            }
        }
    }
    std::vector<Closed> closed;
    for (const OpenEscalation& o : open_) {
        if (closes(e, o)) {
            const bool ack = e.kind == engine::EventKind::acknowledged;
            closed.push_back({o.transition_id, o.route, ack ? "acknowledged" : "superseded",
                              ack ? e.by : e.transition_id, e.at});
        }
    }
    auto added = outbox_.record({item.epoch, item.sequence}, deliveries, opened, closed);
    if (!added) {
        ++figures_.store_failures;
        log_.error("outbox: cannot store sequence {} ({} {}): {}; will fetch it again",
                   item.sequence, engine::to_string(e.kind), e.node_id, added.error());
        return false;
    }
    figures_.deliveries += added->size();
    figures_.escalations_closed += closed.size();
    for (const Closed& c : closed) {
        std::erase_if(open_, [&](const OpenEscalation& o) {
            return o.transition_id == c.transition_id && o.route == c.route;
        });
        log_.info("escalation {} ({}) {} by {}", c.transition_id, c.route, c.state, c.by);
    }
    for (const OpenEscalation& o : opened) {
        const bool known = std::any_of(open_.begin(), open_.end(), [&](const OpenEscalation& x) {
            return x.transition_id == o.transition_id && x.route == o.route;
        });
        if (!known) {
            ++figures_.escalations_opened;
            open_.push_back(o);
            log_.info("escalation {} ({}) open: {} until acknowledged", o.transition_id, o.route,
                      engine::to_string(e.to));
        }
    }
    recorded_ = item.sequence;
    for (const StoredDelivery& d : deliveries) {
        if (std::find(added->begin(), added->end(), d.key) == added->end()) {
            continue;  // handled before (a catch-up overlapping what was stored)
        }
        if (auto it = prompt_.find(d.receiver.target); it != prompt_.end()) {
            it->second.events.push_back(e);
        } else if (auto m =
                       grouper_.add({d.key, d.group, d.receiver, d.route}, e, seconds_of(now))) {
            prompt_.emplace(d.receiver.target, std::move(*m));
        }
    }
    return true;
}

bool Notifier::store_messages(const std::vector<Message>& messages, WallTime now,
                              const std::optional<OpenEscalation>& escalation) {
    const RenderContext context{&names_, settings_.wallboard_url, settings_.smtp.from,
                                seconds_of(now)};
    std::vector<OutMessage> out;
    std::vector<std::vector<std::string>> keys;
    for (const Message& m : messages) {
        out.push_back({m.key,
                       m.receiver,
                       render(m, context),
                       DeliveryState::pending,
                       0,
                       now,
                       now,
                       {},
                       std::nullopt});
        keys.push_back(m.reminder.empty() ? delivery_keys(m) : std::vector<std::string>{});
    }
    if (auto r = outbox_.add_messages(out, keys, escalation); !r) {
        ++figures_.store_failures;
        log_.error("outbox: cannot store {} messages: {}", out.size(), r.error());
        return false;
    }
    figures_.messages += out.size();
    return true;
}

void Notifier::remember(const FeedPosition& position) {
    if (recorded_ == position.sequence) {
        return;
    }
    if (auto r = outbox_.set_position(position); !r) {
        ++figures_.store_failures;
        log_.error("outbox: cannot store the feed position {}: {}", position.sequence, r.error());
        return;
    }
    recorded_ = position.sequence;
}

void Notifier::tick(WallTime now) {
    if (!prompt_.empty()) {
        std::vector<Message> prompt;
        for (auto& [target, m] : prompt_) {
            prompt.push_back(std::move(m));
        }
        prompt_.clear();
        // Not stored: the deliveries stay held in the outbox and go at the next start.
        store_messages(prompt, now, std::nullopt);
    }
    std::vector<Message> closed = grouper_.due(seconds_of(now));
    if (!closed.empty() && !store_messages(closed, now, std::nullopt)) {
        // Not stored: their deliveries are still held in the outbox and are formed again at
        // the next start. Hold them again now so this run retries too.
        for (const Message& m : closed) {
            for (const engine::Event& e : m.events) {
                grouper_.add({event_id(e) + "/" + receiver_id(m.receiver), "", m.receiver, ""}, e,
                             seconds_of(now));
            }
        }
    }
    follow_up(now);
}

const Route* Notifier::route_named(const std::string& name) const {
    const auto& routes = settings_.routing.routes;
    const auto it =
        std::find_if(routes.begin(), routes.end(), [&](const Route& r) { return r.name == name; });
    return it == routes.end() ? nullptr : &*it;
}

std::vector<Receiver> Notifier::receivers_of(const std::vector<std::string>& groups) const {
    std::vector<Receiver> out;
    for (const std::string& name : groups) {
        for (const Group& g : settings_.routing.groups) {
            if (g.name != name) {
                continue;
            }
            for (const Receiver& r : g.receivers) {
                if (std::find(out.begin(), out.end(), r) == out.end()) {
                    out.push_back(r);
                }
            }
        }
    }
    return out;
}

void Notifier::follow_up(WallTime now) {
    const TimePoint policy = policy_now(now);
    for (OpenEscalation& open : open_) {
        const Route* route = route_named(open.route);
        if (route == nullptr || grouper_.holds(open.transition_id)) {
            // The route is gone from the configuration (nothing more is owed), or the first
            // message is still in its grouping window (no reminder before it).
            continue;
        }
        OpenEscalation advanced = open;
        const std::vector<FollowUp> due = due_follow_ups(advanced, *route, policy);
        if (due.empty()) {
            continue;
        }
        std::vector<Message> messages;
        for (const FollowUp& f : due) {
            for (const Receiver& r : receivers_of(f.groups)) {
                messages.push_back({r, follow_up_key(open, f, r), {open.event}, f.reason, {}});
            }
            if (!report_to_.empty()) {  // the `unacknowledged` event on the feed
                messages.push_back({{ReceiverKind::escalator, report_to_},
                                    report_key(open, f),
                                    {open.event},
                                    f.reason,
                                    unacknowledged_report(open, f, "opel-notifyd")});
            }
            log_.warn("escalation {} ({}) not acknowledged: {}", open.transition_id, open.route,
                      f.reason);
            (f.kind == FollowUp::Kind::reminder ? figures_.reminders : figures_.escalation_steps) +=
                1;
        }
        if (store_messages(messages, now, advanced)) {
            open = advanced;
        }
    }
}

std::vector<OutMessage> Notifier::to_send(WallTime now,
                                          const std::function<bool(const std::string&)>& sending) {
    std::vector<OutMessage> out;
    auto due = outbox_.due(now, 256);
    if (!due) {
        ++figures_.store_failures;
        log_.error("outbox: cannot read the messages due: {}", due.error());
        return out;
    }
    for (OutMessage& m : *due) {
        if (sending(m.key)) {
            continue;
        }
        if (!rate_.take(m.receiver.target, now)) {
            ++figures_.rate_limited;
            continue;
        }
        out.push_back(std::move(m));
    }
    return out;
}

void Notifier::finished(const OutMessage& m, const Attempt& attempt, WallTime now, double draw) {
    ++figures_.attempts;
    const int attempts = m.attempts + 1;
    if (attempt.outcome == Attempt::Outcome::sent) {
        ++figures_.sent;
        if (auto r =
                outbox_.attempted(m.key, DeliveryState::sent, attempts, now, attempt.detail, now);
            !r) {
            ++figures_.store_failures;
            log_.error(
                "outbox: sent {} but cannot record it ({}): it will be sent again; the "
                "receiver can drop the repeat by its idempotency key",
                m.key, r.error());
            return;
        }
        log_.info("sent {} to {} ({}): {}", m.key, redacted(m.receiver), attempt.detail,
                  m.content.subject);
        return;
    }
    const Next next = after_failure(attempt, attempts, m.created, now, settings_.delivery, draw);
    if (next.state == DeliveryState::failed) {
        ++figures_.failed;
        log_.error(
            "FAILED {} to {} after {} attempts: {} ({})", m.key, redacted(m.receiver), attempts,
            attempt.detail,
            attempt.outcome == Attempt::Outcome::failed ? "the receiver refused it" : "gave up");
    } else {
        ++figures_.retries;
        log_.warn("attempt {} of {} to {} failed: {}; next in {} ms", attempts, m.key,
                  redacted(m.receiver), attempt.detail, (next.at - now).count());
    }
    if (auto r = outbox_.attempted(m.key, next.state, attempts, next.at, attempt.detail, now); !r) {
        ++figures_.store_failures;
        log_.error("outbox: cannot record the attempt at {}: {}", m.key, r.error());
    }
}

std::optional<WallTime> Notifier::next_wakeup() {
    std::optional<WallTime> next;
    const auto take = [&next](WallTime t) { next = next ? std::min(*next, t) : t; };
    if (auto deadline = grouper_.next_deadline()) {
        take(wall_of(*deadline));
    }
    if (auto due = outbox_.next_due(); due && *due) {
        take(**due);
    }
    if (clock_ == PolicyClock::wall) {
        for (const OpenEscalation& open : open_) {
            if (const Route* route = route_named(open.route)) {
                if (auto t = next_follow_up(open, *route)) {
                    take(wall_of(*t));
                }
            }
        }
    }
    return next;
}

}  // namespace opel::notifyd

#include "notifyd/grouping.h"

#include <algorithm>

namespace opel::notifyd {

std::optional<Message> Grouper::add(const Delivery& delivery, engine::Event event, TimePoint now) {
    const bool prompt =
        event.kind == engine::EventKind::deescalated || event.kind == engine::EventKind::recovered;
    auto it = pending_.find(delivery.receiver.target);
    if (it == pending_.end()) {
        it = pending_
                 .emplace(
                     delivery.receiver.target,
                     Pending{now + window_, Message{delivery.receiver, delivery.key, {}, {}, {}}})
                 .first;
    }
    it->second.message.events.push_back(std::move(event));
    if (!prompt) {
        return std::nullopt;
    }
    Message out = std::move(it->second.message);
    pending_.erase(it);
    return out;
}

std::vector<Message> Grouper::due(TimePoint now) {
    std::vector<std::pair<TimePoint, Message>> closed;
    for (auto it = pending_.begin(); it != pending_.end();) {
        if (it->second.deadline <= now) {
            closed.emplace_back(it->second.deadline, std::move(it->second.message));
            it = pending_.erase(it);
        } else {
            ++it;
        }
    }
    std::stable_sort(closed.begin(), closed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Message> out;
    out.reserve(closed.size());
    for (auto& [deadline, message] : closed) {
        out.push_back(std::move(message));
    }
    return out;
}

bool Grouper::holds(std::string_view transition_id) const {
    return std::any_of(pending_.begin(), pending_.end(), [&](const auto& kv) {
        const auto& events = kv.second.message.events;
        return std::any_of(events.begin(), events.end(), [&](const engine::Event& e) {
            return e.transition_id == transition_id;
        });
    });
}

std::optional<TimePoint> Grouper::next_deadline() const {
    std::optional<TimePoint> next;
    for (const auto& [target, p] : pending_) {
        if (!next || p.deadline < *next) {
            next = p.deadline;
        }
    }
    return next;
}

}  // namespace opel::notifyd

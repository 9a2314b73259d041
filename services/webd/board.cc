#include "webd/board.h"

namespace opel::webd {

Board::Board(const engine::Model& model, std::size_t alert_limit)
    : model_(model), alert_limit_(alert_limit), results_(model.node_count()) {}

void Board::reset(const feed::State& state) {
    for (const engine::NodeResult& r : state.results) {
        if (const auto node = model_.find_node(r.node_id)) {
            results_[*node] = r;
        }
    }
    sequence_ = state.sequence;
}

std::optional<std::string> Board::apply(const feed::Item& item) {
    if (item.sequence > sequence_) {
        sequence_ = item.sequence;
    }
    if (item.status) {
        const auto node = model_.find_node(item.status->node_id);
        if (!node) {
            return std::nullopt;
        }
        results_[*node] = *item.status;
        return codec::board_status_message(*item.status, item.sequence);
    }
    if (item.alert) {
        alerts_.push_back(*item.alert);
        while (alerts_.size() > alert_limit_) {
            alerts_.pop_front();
        }
        return codec::board_alert_message(*item.alert, item.sequence);
    }
    return std::nullopt;
}

std::string Board::state_json(const codec::BoardFeed& feed) const {
    return codec::board_state_json(model_, results_, alerts_, sequence_, feed);
}

std::string Board::state_message(const codec::BoardFeed& feed) const {
    return codec::board_state_message(model_, results_, alerts_, sequence_, feed);
}

std::optional<std::string> Board::node_json(std::string_view id) const {
    const auto node = model_.find_node(id);
    if (!node) {
        return std::nullopt;
    }
    return codec::board_node_json(model_, *node, results_[*node]);
}

std::string Board::alerts_json(std::size_t limit, std::string_view subtree) const {
    std::deque<engine::Event> chosen;
    for (const engine::Event& e : alerts_) {
        if (engine::path_matches(e.path, subtree)) {
            chosen.push_back(e);
        }
    }
    return codec::events_json(chosen, limit);
}

std::array<std::size_t, 6> Board::counts() const {
    std::array<std::size_t, 6> out{};
    for (const auto& r : results_) {
        if (!r || !engine::is_level(r->status)) {
            ++out[r && r->status == engine::Status::stale ? 5 : 0];
        } else {
            ++out[static_cast<std::size_t>(engine::level_of(r->status))];
        }
    }
    return out;
}

}  // namespace opel::webd

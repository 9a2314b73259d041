#include "adapters/codec/board.h"

#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "opel/v1/board.pb.h"

namespace opel::codec {
namespace {

void set_time(google::protobuf::Timestamp& out, TimePoint t) {
    out.set_seconds(t.time_since_epoch().count());
}

void fill_node(const engine::Model& model, engine::NodeIndex index,
               const std::optional<engine::NodeResult>& result, v1::BoardNode& out) {
    const engine::ModelNode& n = model.node(index);
    out.set_id(n.config.id);
    out.set_name(n.config.name);
    out.set_kind(std::string(engine::to_string(n.config.kind)));
    out.set_parent(n.config.parent);
    out.set_path(n.path);
    if (n.config.provider_type != engine::ProviderType::none) {
        out.set_provider_type(std::string(engine::to_string(n.config.provider_type)));
    }
    if (result) {
        to_proto(*result, *out.mutable_result());
        if (n.card != nullptr && engine::is_level(result->status)) {
            for (const engine::ActionItem& a :
                 n.card->actions_for(engine::level_of(result->status))) {
                v1::ActionItem* item = out.add_actions();
                item->set_role(a.role);
                item->set_action(a.action);
                item->set_level(static_cast<std::uint32_t>(a.level));
            }
        }
    }
}

void fill_feed(const BoardFeed& feed, v1::BoardFeed& out) {
    out.set_live(feed.live);
    out.set_problem(feed.problem);
    set_time(*out.mutable_now(), feed.now);
    if (feed.heard_at) {
        set_time(*out.mutable_heard_at(), *feed.heard_at);
    }
    out.set_dropped(feed.dropped);
}

void fill_state(const engine::Model& model,
                const std::vector<std::optional<engine::NodeResult>>& results,
                const std::deque<engine::Event>& alerts, std::uint64_t sequence,
                const BoardFeed& feed, v1::BoardState& out) {
    out.set_sequence(sequence);
    for (engine::NodeIndex i = 0; i < model.node_count(); ++i) {
        fill_node(model, i, i < results.size() ? results[i] : std::nullopt, *out.add_nodes());
    }
    for (const engine::Event& e : alerts) {
        to_proto(e, *out.add_alerts());
    }
    fill_feed(feed, *out.mutable_feed());
}

}  // namespace

std::string board_state_json(const engine::Model& model,
                             const std::vector<std::optional<engine::NodeResult>>& results,
                             const std::deque<engine::Event>& alerts, std::uint64_t sequence,
                             const BoardFeed& feed) {
    v1::BoardState state;
    fill_state(model, results, alerts, sequence, feed, state);
    return to_json(state);
}

std::string board_node_json(const engine::Model& model, engine::NodeIndex node,
                            const std::optional<engine::NodeResult>& result) {
    v1::BoardNode out;
    fill_node(model, node, result, out);
    return to_json(out);
}

std::string events_json(const std::deque<engine::Event>& events, std::size_t limit) {
    std::string out = "[";
    const std::size_t skip = events.size() > limit ? events.size() - limit : 0;
    for (std::size_t i = skip; i < events.size(); ++i) {
        out += (i == skip ? "" : ",") + to_json(to_proto(events[i]));
    }
    return out + "]";
}

std::string board_state_message(const engine::Model& model,
                                const std::vector<std::optional<engine::NodeResult>>& results,
                                const std::deque<engine::Event>& alerts, std::uint64_t sequence,
                                const BoardFeed& feed) {
    v1::BoardMessage m;
    m.set_sequence(sequence);
    fill_state(model, results, alerts, sequence, feed, *m.mutable_state());
    return to_json(m);
}

std::string board_status_message(const engine::NodeResult& result, std::uint64_t sequence) {
    v1::BoardMessage m;
    m.set_sequence(sequence);
    to_proto(result, *m.mutable_status());
    return to_json(m);
}

std::string board_alert_message(const engine::Event& event, std::uint64_t sequence) {
    v1::BoardMessage m;
    m.set_sequence(sequence);
    to_proto(event, *m.mutable_alert());
    return to_json(m);
}

std::string board_feed_message(const BoardFeed& feed, std::uint64_t sequence) {
    v1::BoardMessage m;
    m.set_sequence(sequence);
    fill_feed(feed, *m.mutable_feed());
    return to_json(m);
}

}  // namespace opel::codec

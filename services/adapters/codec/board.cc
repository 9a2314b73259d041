#include "adapters/codec/board.h"

#include <google/protobuf/util/json_util.h>

#include "adapters/codec/csv.h"
#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "engine/text.h"
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
        const auto* rows = engine::action_rows(n);
        if (engine::is_level(result->status) && rows == nullptr) {
            out.set_actions_note(engine::no_system_card_note(n));
        } else if (engine::is_level(result->status)) {
            for (const engine::ActionItem& a :
                 engine::actions_for(*rows, engine::level_of(result->status))) {
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
    // Depth first from the root, so each locality's sites follow it on the board.
    std::vector<engine::NodeIndex> stack{model.root()};
    while (!stack.empty()) {
        const engine::NodeIndex i = stack.back();
        stack.pop_back();
        fill_node(model, i, i < results.size() ? results[i] : std::nullopt, *out.add_nodes());
        const std::vector<engine::NodeIndex>& children = model.node(i).children;
        stack.insert(stack.end(), children.rbegin(), children.rend());
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

namespace {

// The parameters a node's results score: its card's (sites), else none.
std::vector<const engine::Parameter*> scored_parameters(const engine::Model& model,
                                                        engine::NodeIndex node) {
    std::vector<const engine::Parameter*> out;
    const engine::ModelNode& n = model.node(node);
    if (n.card != nullptr && n.config.kind == engine::NodeKind::site) {
        for (const engine::Parameter& p : n.card->parameters) {
            out.push_back(&p);
        }
    }
    return out;
}

std::optional<double> value_of(const engine::NodeResult& result, const std::string& id) {
    for (const engine::ParameterResult& p : result.parameters) {
        if (p.id == id) {
            return p.value;
        }
    }
    return std::nullopt;
}

}  // namespace

std::string history_json(const engine::Model& model, const HistorySeries& series) {
    v1::History h;
    h.set_node_id(model.node(series.node).config.id);
    h.mutable_from()->set_seconds(series.from.time_since_epoch().count());
    h.mutable_to()->set_seconds(series.to.time_since_epoch().count());
    h.set_truncated(series.truncated);
    const auto parameters = scored_parameters(model, series.node);
    for (const engine::Parameter* p : parameters) {
        v1::HistoryParameter& out = *h.add_parameters();
        out.set_id(p->id);
        out.set_name(p->name);
        out.set_unit(p->unit);
        for (const double t : p->thresholds) {
            out.add_thresholds(t);
        }
        out.set_lower_is_worse(p->direction == engine::Direction::lower_is_worse);
    }
    for (const engine::NodeResult& r : series.results) {
        v1::HistoryPoint& point = *h.add_points();
        if (r.as_at) {
            point.mutable_at()->set_seconds(r.as_at->time_since_epoch().count());
        }
        point.set_status(to_proto(r.status));
        for (const engine::ParameterResult& p : r.parameters) {
            if (p.value) {
                (*point.mutable_values())[p.id] = *p.value;
            }
        }
    }
    return to_json(h);
}

std::string history_csv(const engine::Model& model, const HistorySeries& series) {
    const auto parameters = scored_parameters(model, series.node);
    std::string out = "at,status,level";
    for (const engine::Parameter* p : parameters) {
        out += "," + csv_cell(p->id);
    }
    out += "\n";
    for (const engine::NodeResult& r : series.results) {
        out += (r.as_at ? format_utc(*r.as_at) : std::string()) + "," +
               std::string(engine::to_string(r.status)) + "," +
               std::to_string(engine::is_level(r.status) ? engine::level_of(r.status) : 0);
        for (const engine::Parameter* p : parameters) {
            const auto value = value_of(r, p->id);
            out += "," + (value ? engine::format_exact(*value) : std::string());
        }
        out += "\n";
    }
    return out;
}

Result<LoginRequest, std::string> login_from_json(std::string_view json) {
    v1::Login m;
    // Protobuf's message may quote the body: it is not repeated, so no password is.
    if (!google::protobuf::util::JsonStringToMessage(std::string(json), &m).ok()) {
        return unexpected(
            std::string(R"(the body is not {"name": "...", "password": "..."} JSON)"));
    }
    if (m.name().empty() || m.password().empty()) {
        return unexpected(std::string(m.name().empty() ? "name" : "password") + " is required");
    }
    return LoginRequest{m.name(), m.password()};
}

std::string me_json(std::string_view access, std::string_view name, std::string_view role,
                    const std::vector<std::string>& sites) {
    v1::Me m;
    m.set_access(std::string(access));
    m.set_name(std::string(name));
    m.set_role(std::string(role));
    for (const std::string& site : sites) {
        m.add_sites(site);
    }
    return to_json(m);
}

}  // namespace opel::codec

#include "escalatord/scope.h"

#include <array>
#include <set>

namespace opel::escalatord {
namespace {

constexpr std::string_view heartbeat = "heartbeat";
constexpr std::array<std::string_view, 2> node_kinds = {"status/", "alert/"};

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

// `text` is `root` or inside it ("root/...").
bool inside(std::string_view text, std::string_view root) {
    return starts_with(text, root) && (text.size() == root.size() || text[root.size()] == '/');
}

}  // namespace

bool ClientScope::may_submit_for(std::string_view site_path) const {
    for (const std::string& root : site_paths) {
        if (inside(site_path, root)) {
            return true;
        }
    }
    return false;
}

bool ClientScope::may_read(std::string_view path) const {
    for (const std::string& root : paths) {
        if (inside(path, root)) {
            return true;
        }
    }
    return false;
}

bool ClientScope::may_receive(std::string_view topic) const {
    if (topic == heartbeat) {
        return true;
    }
    for (const std::string_view kind : node_kinds) {
        if (starts_with(topic, kind)) {
            return may_read(topic.substr(kind.size()));
        }
    }
    return false;
}

std::vector<std::string> ClientScope::narrow(std::string_view prefix) const {
    std::set<std::string> topics;
    if (starts_with(prefix, heartbeat)) {
        topics.emplace(prefix);
    } else if (starts_with(heartbeat, prefix)) {
        topics.emplace(heartbeat);
    }
    for (const std::string_view kind : node_kinds) {
        for (const std::string& root : paths) {
            const std::string topic = std::string(kind) + root;
            if (inside(prefix, topic)) {
                topics.emplace(prefix);  // everything it matches is inside this subtree
            } else if (starts_with(topic, prefix)) {
                topics.insert(topic);  // wider: narrowed to the subtree
            }
        }
    }
    return {topics.begin(), topics.end()};
}

Scopes::Scopes(const std::vector<config::CurveClient>& clients, const engine::Model& model) {
    for (const config::CurveClient& client : clients) {
        ClientScope scope;
        scope.name = client.name;
        scope.sites = client.sites;
        const auto paths_of = [&model](const std::vector<std::string>& ids) {
            std::vector<std::string> paths;
            for (const std::string& id : ids) {
                if (const auto index = model.find_node(id)) {
                    paths.push_back(model.node(*index).path);
                }
            }
            return paths;
        };
        scope.site_paths = paths_of(client.sites);
        scope.paths = paths_of(client.subtrees);
        scope.acknowledge = client.acknowledge;
        scope.declare = client.declare;
        scope.report_unacknowledged = client.report_unacknowledged;
        by_name_.emplace(client.name, std::move(scope));
    }
}

const ClientScope* Scopes::find(std::string_view name) const {
    const auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : &it->second;
}

namespace {

std::string listed(const std::vector<std::string>& ids) {
    std::string out;
    for (const std::string& id : ids) {
        out += (out.empty() ? "" : ", ") + id;
    }
    return out.empty() ? "none" : out;
}

// The sender's name for messages, and whether it is still configured.
std::optional<engine::FieldError> unknown_sender(const Sender& sender, const char* field) {
    if (sender.scope == nullptr) {
        return engine::FieldError{
            field, "not_allowed",
            "the key '" + sender.name + "' is no longer on the escalator's allow-list"};
    }
    return std::nullopt;
}

}  // namespace

std::optional<engine::FieldError> submit_refusal(const Sender& sender, const engine::Model& model,
                                                 std::string_view site_id) {
    if (!sender.curve) {
        return std::nullopt;
    }
    if (auto unknown = unknown_sender(sender, "site_id")) {
        return unknown;
    }
    const auto index = model.find_node(site_id);
    if (!index || sender.scope->may_submit_for(model.node(*index).path)) {
        return std::nullopt;
    }
    return engine::FieldError{"site_id", "not_allowed",
                              "'" + std::string(site_id) + "' is not a site " + sender.name +
                                  " may submit for (" + listed(sender.scope->sites) + ")"};
}

std::optional<engine::FieldError> command_refusal(const Sender& sender, const engine::Model& model,
                                                  std::string_view kind, std::string_view node_id) {
    if (!sender.curve) {
        return std::nullopt;
    }
    if (auto unknown = unknown_sender(sender, "node_id")) {
        return unknown;
    }
    const ClientScope& scope = *sender.scope;
    const auto refused = [&sender](const std::string& what) {
        return engine::FieldError{"node_id", "not_allowed", sender.name + " may not " + what};
    };
    if (kind == "unacknowledged") {
        if (!scope.report_unacknowledged) {
            return refused("report unacknowledged alerts (its key has no report_unacknowledged)");
        }
        return std::nullopt;
    }
    const bool ack = kind == "acknowledgement";
    if (ack ? !scope.acknowledge : !scope.declare) {
        return refused(ack ? "acknowledge alerts (its key has no acknowledge permission)"
                           : "declare levels (its key has no declare permission)");
    }
    const auto index = model.find_node(node_id);
    if (index && !scope.may_read(model.node(*index).path)) {
        return refused(std::string(ack ? "acknowledge" : "declare for") + " '" +
                       std::string(node_id) + "': it is outside its subtrees");
    }
    return std::nullopt;
}

}  // namespace opel::escalatord

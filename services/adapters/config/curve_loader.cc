// escalatord.curve (the escalator's keys and its allow-list of client keys) and the clients'
// own key files, converted to plain values and checked, every problem at file:line.
#include <set>

#include "adapters/config/loader.h"
#include "adapters/config/textproto.h"
#include "engine/model.h"
#include "opel/config/v1/opel_config.pb.h"

namespace opel::config {
namespace {

namespace cfg = opel::config::v1;
using textproto::error_at;
using textproto::ItemSite;

constexpr std::string_view z85_alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

std::string absolute(const std::filesystem::path& base, const std::string& name) {
    return name.empty() ? name : (base / name).lexically_normal().string();
}

// Why `z85` is not a CURVE public key as `opel keygen` writes it, or none.
std::optional<std::string> curve_key_problem(const std::string& z85) {
    if (z85.size() != 40) {
        return "a public key is the 40 characters of Z85 `opel keygen --public` wrote, not " +
               std::to_string(z85.size());
    }
    if (z85.find_first_not_of(z85_alphabet) != std::string::npos) {
        return "'" + z85 + "' is not Z85 (as `opel keygen --public` writes it)";
    }
    return std::nullopt;
}

}  // namespace

CurveClientFiles client_key_files(const std::filesystem::path& base, const std::string& public_file,
                                  const std::string& secret_file, const ItemSite& site,
                                  const std::string& field, std::vector<ConfigError>& errors) {
    if (public_file.empty() != secret_file.empty()) {
        errors.push_back(error_at(site, field,
                                  "public_key_file and secret_key_file go together (a pair from "
                                  "`opel keygen`)"));
    }
    return {absolute(base, public_file), absolute(base, secret_file)};
}

std::optional<CurveSettings> convert_curve(const cfg::EscalatordSettings& s,
                                           const std::filesystem::path& base, const ItemSite& site,
                                           std::vector<ConfigError>& errors) {
    if (!s.has_curve()) {
        return std::nullopt;
    }
    const cfg::CurveSettings& c = s.curve();
    CurveSettings out;
    out.public_key_file = absolute(base, c.public_key_file());
    out.secret_key_file = absolute(base, c.secret_key_file());
    if (c.public_key_file().empty() || c.secret_key_file().empty()) {
        errors.push_back(error_at(site, "escalatord.curve",
                                  "public_key_file and secret_key_file are required (the "
                                  "escalator's pair from `opel keygen`)"));
    }
    if (c.clients().empty()) {
        errors.push_back(error_at(site, "escalatord.curve",
                                  "at least one client key is required: with CURVE, a key not "
                                  "listed gets no connection"));
    }
    std::set<std::string, std::less<>> names;
    std::set<std::string, std::less<>> keys;
    for (int i = 0; i < c.clients_size(); ++i) {
        const cfg::CurveClient& client = c.clients(i);
        const std::string field = "escalatord.curve.clients[" + std::to_string(i) + "]";
        const auto add = [&](const std::string& sub, std::string message) {
            errors.push_back(error_at(site, field + "." + sub, std::move(message)));
        };
        if (client.name().empty()) {
            add("name", "a name is required (it is logged and stored with what the key does)");
        } else if (auto problem = web_name_problem(client.name())) {
            add("name", std::move(*problem));
        } else if (!names.insert(client.name()).second) {
            add("name", "'" + client.name() + "' is named twice");
        }
        if (auto problem = curve_key_problem(client.public_key())) {
            add("public_key", std::move(*problem));
        } else if (!keys.insert(client.public_key()).second) {
            add("public_key", "the same key is listed twice (a key has one scope)");
        }
        const bool acts =
            client.acknowledge() || client.declare() || client.report_unacknowledged();
        if (client.sites().empty() && client.subtrees().empty() && !acts) {
            add("sites", "the key may do nothing: give it sites, subtrees or a permission");
        }
        if ((client.acknowledge() || client.declare()) && client.subtrees().empty()) {
            add("subtrees",
                "acknowledge and declare apply to nodes in the key's subtrees: name "
                "at least one");
        }
        out.clients.push_back({client.name(),
                               client.public_key(),
                               {client.sites().begin(), client.sites().end()},
                               {client.subtrees().begin(), client.subtrees().end()},
                               client.acknowledge(),
                               client.declare(),
                               client.report_unacknowledged()});
    }
    return out;
}

void check_curve_clients(const CurveSettings& curve, const engine::Model& model,
                         const ItemSite& site, std::vector<ConfigError>& errors) {
    for (std::size_t i = 0; i < curve.clients.size(); ++i) {
        const CurveClient& client = curve.clients[i];
        const std::string field = "escalatord.curve.clients[" + std::to_string(i) + "]";
        for (std::size_t j = 0; j < client.sites.size(); ++j) {
            if (!model.find_node(client.sites[j])) {
                errors.push_back(error_at(site, field + ".sites[" + std::to_string(j) + "]",
                                          "'" + client.sites[j] + "' is not in the tree"));
            }
        }
        for (std::size_t j = 0; j < client.subtrees.size(); ++j) {
            const std::string sub = field + ".subtrees[" + std::to_string(j) + "]";
            const auto index = model.find_node(client.subtrees[j]);
            if (!index) {
                errors.push_back(
                    error_at(site, sub, "'" + client.subtrees[j] + "' is not in the tree"));
                continue;
            }
            // Subscriptions are prefixes of "status/<path>": a sibling whose path begins
            // with this one (RXX and RXX-2) would match it, and read outside the subtree.
            const std::string& path = model.node(*index).path;
            for (engine::NodeIndex k = 0; k < model.node_count(); ++k) {
                const std::string& other = model.node(k).path;
                if (other.size() > path.size() && other.compare(0, path.size(), path) == 0 &&
                    other[path.size()] != '/') {
                    errors.push_back(error_at(
                        site, sub,
                        "the feed filters by prefix, and '" + path + "' is also the start of '" +
                            other + "', outside it: name its parent or its children instead"));
                    break;
                }
            }
        }
    }
}

}  // namespace opel::config

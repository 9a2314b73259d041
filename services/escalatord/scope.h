// What each CURVE client key may do (escalatord.curve.clients), resolved against the tree,
// and the decisions the server and the query service make with it. Pure: no sockets, no
// threads; the ZAP handler (adapters/net/curve.h) says who a message is from, and this says
// what that client may submit, read and do.
//
//   submit     a sitrep for one of `sites` (or a site below one); acknowledge / declare a node in
//   `subtrees` with
//              the flag; report unacknowledged alerts with its flag
//   subscribe  topics inside `subtrees` (and heartbeats): a wider prefix is narrowed to them,
//              one outside them all is refused
//   snapshot,  results, sitreps, events and publications of nodes inside `subtrees` only
//   query
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/config/settings.h"
#include "engine/model.h"
#include "engine/sitrep.h"

namespace opel::escalatord {

struct ClientScope {
    std::string name;
    std::vector<std::string> sites;       // ids as configured (a system: every site below it)
    std::vector<std::string> site_paths;  // their node paths
    std::vector<std::string> paths;       // the subtrees' node paths
    bool acknowledge = false;
    bool declare = false;
    bool report_unacknowledged = false;

    // True when the site at `site_path` is one of `sites` or below one of them.
    bool may_submit_for(std::string_view site_path) const;
    // True when `path` (a node path) is inside one of the subtrees.
    bool may_read(std::string_view path) const;
    // True when a publication topic ("status/<path>", "alert/<path>", "heartbeat") is one
    // this client may receive.
    bool may_receive(std::string_view topic) const;
    // The topics to subscribe on this client's behalf for a subscription to `prefix`: the
    // prefix itself when everything it matches is readable, else its intersection with the
    // subtrees (e.g. "" -> heartbeat, status/<each path>, alert/<each path>). Empty: refused.
    std::vector<std::string> narrow(std::string_view prefix) const;
};

// Every client by name (the User-Id its key was admitted under).
class Scopes {
public:
    Scopes() = default;
    // Resolves each client's subtree ids to paths in `model` (the loader checked them).
    Scopes(const std::vector<config::CurveClient>& clients, const engine::Model& model);
    // The client's scope; null for a name not (or no longer) configured.
    const ClientScope* find(std::string_view name) const;

private:
    std::map<std::string, ClientScope, std::less<>> by_name_;
};

// What a request is from, for the escalator and the query service: none = no CURVE (anyone
// who can reach a loopback endpoint may do everything); else the sender's scope, which is
// null when its name is no longer configured (then it may do nothing).
struct Sender {
    bool curve = false;
    const ClientScope* scope = nullptr;
    std::string name;  // the User-Id, for messages
};

// Why `sender` may not submit a sitrep for `site_id`, as the REJECTED reply's error
// (site_id / not_allowed); none when it may, or without CURVE, or for a site not in the tree
// (the engine names that).
std::optional<engine::FieldError> submit_refusal(const Sender& sender, const engine::Model& model,
                                                 std::string_view site_id);
// The same for a command: `kind` is "acknowledgement", "declaration" or "unacknowledged", on
// the node `node_id` (node_id / not_allowed).
std::optional<engine::FieldError> command_refusal(const Sender& sender, const engine::Model& model,
                                                  std::string_view kind, std::string_view node_id);

}  // namespace opel::escalatord

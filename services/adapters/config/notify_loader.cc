// opel-notifyd's settings (the root file's `notifyd { ... }`) and its routing file, converted
// to plain values and checked against the loaded tree, every problem at file:line.
#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "adapters/config/curve_loader.h"
#include "adapters/config/loader.h"
#include "adapters/config/textproto.h"
#include "engine/model.h"
#include "opel/config/v1/notify.pb.h"
#include "opel/config/v1/opel_config.pb.h"

namespace opel::config {
namespace {

namespace cfg = opel::config::v1;
namespace pb = google::protobuf;
using textproto::error_at;
using textproto::ItemSite;
using textproto::parse_file;
using textproto::repeated_item;

constexpr std::array event_kinds = {
    engine::EventKind::escalated,
    engine::EventKind::deescalated,
    engine::EventKind::stale,
    engine::EventKind::recovered,
    engine::EventKind::unknown,
    engine::EventKind::known,
    engine::EventKind::declared_mismatch,
    engine::EventKind::config_reloaded,
    engine::EventKind::acknowledged,
    engine::EventKind::declared,
    engine::EventKind::declaration_expired,
    engine::EventKind::unacknowledged,
    engine::EventKind::sustained_pressure,
};

std::string kind_names() {
    std::string out;
    for (const engine::EventKind k : event_kinds) {
        out += (out.empty() ? "" : ", ") + std::string(engine::to_string(k));
    }
    return out;
}

std::optional<engine::EventKind> kind_of(const std::string& name) {
    for (const engine::EventKind k : event_kinds) {
        if (engine::to_string(k) == name) {
            return k;
        }
    }
    return std::nullopt;
}

// What a problem is found in and where it is written down.
struct Checking {
    std::vector<ConfigError>& errors;
    const engine::Model& model;

    void add(const ItemSite& site, const std::string& field, std::string message) {
        errors.push_back(error_at(site, field, std::move(message)));
    }

    // `subtree` ("" or a path prefix or node id) names at least one node.
    void subtree(const ItemSite& site, const std::string& field, const std::string& filter) {
        for (engine::NodeIndex i = 0; i < model.node_count(); ++i) {
            if (engine::path_matches(model.node(i).path, filter)) {
                return;
            }
        }
        add(site, field,
            "'" + filter + "' matches no node of the tree (a path prefix such as " +
                model.node(model.root()).path + "/..., or a node id)");
    }

    std::vector<engine::EventKind> kinds(
        const ItemSite& site, const google::protobuf::RepeatedPtrField<std::string>& names) {
        std::vector<engine::EventKind> out;
        for (int i = 0; i < names.size(); ++i) {
            if (auto k = kind_of(names[i])) {
                out.push_back(*k);
            } else {
                add(site, "kinds[" + std::to_string(i) + "]",
                    "unknown event kind '" + names[i] + "' (kinds: " + kind_names() + ")");
            }
        }
        return out;
    }
};

bool valid_url(const std::string& url) {
    for (const char* scheme : {"http://", "https://"}) {
        const std::string s = scheme;
        if (url.rfind(s, 0) == 0 && url.size() > s.size() && url[s.size()] != '/' &&
            url.find_first_of(" \t\r\n") == std::string::npos) {
            return true;
        }
    }
    return false;
}

// local@domain: one '@', no spaces or angle brackets, something either side, a dot or
// "localhost" in the domain. Not RFC 5322 in full: the relay has the last word.
bool valid_address(const std::string& a) {
    const std::size_t at = a.find('@');
    if (at == std::string::npos || at == 0 || at + 1 >= a.size() ||
        a.find('@', at + 1) != std::string::npos ||
        a.find_first_of(" \t\r\n<>,;\"") != std::string::npos) {
        return false;
    }
    const std::string domain = a.substr(at + 1);
    return (domain.find('.') != std::string::npos && domain.front() != '.' &&
            domain.back() != '.') ||
           domain == "localhost";
}

std::vector<Group> convert_groups(const cfg::NotifyRouting& r, const std::string& file,
                                  const textproto::Parsed<cfg::NotifyRouting>& parsed,
                                  const SmtpSettings& smtp, Checking& c) {
    std::vector<Group> out;
    std::set<std::string, std::less<>> names;
    for (int i = 0; i < r.groups_size(); ++i) {
        const cfg::RecipientGroup& g = r.groups(i);
        const ItemSite site = repeated_item(file, r, "groups", parsed.tree.get(), i);
        if (g.name().empty()) {
            c.add(site, "name", "a recipient group needs a name");
        } else if (!names.insert(g.name()).second) {
            c.add(site, "name", "group '" + g.name() + "' is defined twice");
        }
        Group group{g.name(), {}};
        const auto take = [&](const auto& list, const char* field, ReceiverKind kind) {
            for (int j = 0; j < list.size(); ++j) {
                const std::string where = std::string(field) + "[" + std::to_string(j) + "]";
                const bool email = kind == ReceiverKind::email;
                if (email ? !valid_address(list[j]) : !valid_url(list[j])) {
                    c.add(site, where,
                          "'" + list[j] + "' is not " +
                              (email ? "an e-mail address (name@example.nhs.uk)"
                                     : "an http:// or https:// URL"));
                } else if (email && smtp.url.empty()) {
                    c.add(site, where,
                          "e-mail needs an SMTP relay: set notifyd.smtp.url in the root file");
                }
                group.receivers.push_back({kind, list[j]});
            }
        };
        take(g.emails(), "emails", ReceiverKind::email);
        take(g.webhooks(), "webhooks", ReceiverKind::webhook);
        take(g.teams(), "teams", ReceiverKind::teams);
        take(g.slack(), "slack", ReceiverKind::slack);
        if (group.receivers.empty()) {
            c.add(site, "name",
                  "group '" + g.name() + "' has no receivers (emails, webhooks, teams or slack)");
        }
        out.push_back(std::move(group));
    }
    return out;
}

void check_group_names(const google::protobuf::RepeatedPtrField<std::string>& names,
                       const std::string& field, const std::vector<Group>& groups,
                       const ItemSite& site, Checking& c) {
    for (int j = 0; j < names.size(); ++j) {
        const bool known = std::any_of(groups.begin(), groups.end(),
                                       [&](const Group& g) { return g.name == names[j]; });
        if (!known) {
            std::string list;
            for (const Group& g : groups) {
                list += (list.empty() ? "" : ", ") + g.name;
            }
            c.add(site, field + "[" + std::to_string(j) + "]",
                  "unknown group '" + names[j] + "' (groups: " + (list.empty() ? "none" : list) +
                      ")");
        }
    }
}

engine::ProviderType provider_type(cfg::ProviderType t) {
    switch (t) {
        case cfg::PROVIDER_TYPE_ACUTE:
            return engine::ProviderType::acute;
        case cfg::PROVIDER_TYPE_COMMUNITY:
            return engine::ProviderType::community;
        case cfg::PROVIDER_TYPE_MENTAL_HEALTH:
            return engine::ProviderType::mental_health;
        case cfg::PROVIDER_TYPE_NHS111:
            return engine::ProviderType::nhs111;
        case cfg::PROVIDER_TYPE_PAEDIATRIC:
            return engine::ProviderType::paediatric;
        default:
            return engine::ProviderType::none;
    }
}

Route convert_route(const cfg::Route& r, const ItemSite& site, const std::vector<Group>& groups,
                    std::set<std::string, std::less<>>& names, Checking& c) {
    Route out;
    out.name = r.name();
    if (r.name().empty()) {
        c.add(site, "name", "a route needs a name");
    } else if (!names.insert(r.name()).second) {
        c.add(site, "name", "route '" + r.name() + "' is defined twice");
    }
    out.subtree = r.subtree();
    c.subtree(site, "subtree", r.subtree());
    out.kinds = c.kinds(site, r.kinds());
    if (r.has_min_level() && (r.min_level() < 1 || r.min_level() > 4)) {
        c.add(site, "min_level", "must be 1..4, got " + std::to_string(r.min_level()));
    }
    out.min_level = r.has_min_level() ? static_cast<int>(r.min_level()) : 1;
    for (int j = 0; j < r.provider_types_size(); ++j) {
        const auto t = static_cast<cfg::ProviderType>(r.provider_types(j));
        if (t == cfg::PROVIDER_TYPE_UNSPECIFIED) {
            c.add(site, "provider_types[" + std::to_string(j) + "]", "must be a provider type");
        }
        out.provider_types.push_back(provider_type(t));
    }
    if (r.groups().empty()) {
        c.add(site, "groups", "route '" + r.name() + "' names no recipient group");
    }
    check_group_names(r.groups(), "groups", groups, site, c);
    out.groups.assign(r.groups().begin(), r.groups().end());
    const cfg::EscalationPolicy& p = r.escalation();
    if (p.remind_every_minutes() > 7 * 24 * 60) {
        c.add(site, "escalation.remind_every_minutes", "at most a week (10080 minutes)");
    }
    out.escalation.remind_every = Duration{std::int64_t{p.remind_every_minutes()} * 60};
    std::uint32_t previous = 0;
    for (int j = 0; j < p.steps_size(); ++j) {
        const std::string field = "escalation.steps[" + std::to_string(j) + "]";
        const cfg::EscalationStep& s = p.steps(j);
        if (s.after_minutes() <= previous) {
            c.add(site, field + ".after_minutes",
                  "must be after the previous step (" + std::to_string(previous) + " min), got " +
                      std::to_string(s.after_minutes()));
        }
        previous = std::max(previous, s.after_minutes());
        if (s.groups().empty()) {
            c.add(site, field + ".groups", "a step names at least one recipient group");
        }
        check_group_names(s.groups(), field + ".groups", groups, site, c);
        out.escalation.steps.push_back({Duration{std::int64_t{s.after_minutes()} * 60},
                                        {s.groups().begin(), s.groups().end()}});
    }
    return out;
}

Silence convert_silence(const cfg::Silence& s, const ItemSite& site, Checking& c) {
    Silence out;
    out.subtree = s.subtree();
    c.subtree(site, "subtree", s.subtree());
    out.kinds = c.kinds(site, s.kinds());
    out.reason = s.reason();
    out.author = s.author();
    if (s.reason().empty()) {
        c.add(site, "reason", "a silence needs a reason (why nobody is to be told)");
    }
    if (s.author().empty()) {
        c.add(site, "author", "a silence needs an author (who decided it)");
    }
    if (!s.starts_at().empty()) {
        if (auto t = parse_rfc3339(s.starts_at())) {
            out.starts_at = *t;
        } else {
            c.add(site, "starts_at", "'" + s.starts_at() + "' is not an RFC 3339 time");
        }
    }
    if (s.ends_at().empty()) {
        c.add(site, "ends_at", "a silence needs an end time (RFC 3339, e.g. 2026-12-24T18:00:00Z)");
    } else if (auto t = parse_rfc3339(s.ends_at())) {
        out.ends_at = *t;
        if (out.ends_at <= out.starts_at) {
            c.add(site, "ends_at", "ends at or before it starts (" + s.starts_at() + ")");
        }
    } else {
        c.add(site, "ends_at", "'" + s.ends_at() + "' is not an RFC 3339 time");
    }
    return out;
}

void convert_settings(const cfg::NotifydSettings& s, const ItemSite& site, NotifydSettings& out,
                      Checking& c) {
    if (!s.database_path().empty()) {
        out.database_path = s.database_path();
    }
    if (!s.metrics_address().empty()) {
        out.metrics_address = s.metrics_address();
    }
    if (s.has_grouping_seconds()) {
        if (s.grouping_seconds() > 600) {
            c.add(site, "grouping_seconds",
                  "at most 600 seconds, got " + std::to_string(s.grouping_seconds()));
        }
        out.grouping = Duration{s.grouping_seconds()};
    }
    if (!s.wallboard_url().empty() && !valid_url(s.wallboard_url())) {
        c.add(site, "wallboard_url", "'" + s.wallboard_url() + "' is not an http(s):// URL");
    }
    out.wallboard_url = s.wallboard_url();
    const cfg::SmtpSettings& m = s.smtp();
    if (!m.url().empty() && m.url().rfind("smtp://", 0) != 0 && m.url().rfind("smtps://", 0) != 0) {
        c.add(site, "smtp.url", "'" + m.url() + "' is not an smtp:// or smtps:// URL");
    }
    if (!m.url().empty() && m.from().empty()) {
        c.add(site, "smtp.from", "e-mail needs a From address");
    }
    out.smtp = {m.url(), m.from(), m.require_tls()};
    const cfg::DeliverySettings& d = s.delivery();
    const std::int64_t unit = d.retry_unit_milliseconds() > 0 ? d.retry_unit_milliseconds() : 1000;
    const auto bounded = [&](bool has, std::uint32_t v, const char* field, std::uint32_t lo,
                             std::uint32_t hi, std::uint32_t fallback) {
        if (has && (v < lo || v > hi)) {
            c.add(site, std::string("delivery.") + field,
                  "must be " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " +
                      std::to_string(v));
        }
        return has ? v : fallback;
    };
    const std::uint32_t first = bounded(d.has_first_retry_seconds(), d.first_retry_seconds(),
                                        "first_retry_seconds", 1, 3600, 5);
    const std::uint32_t max = bounded(d.has_max_retry_seconds(), d.max_retry_seconds(),
                                      "max_retry_seconds", 1, 86400, 300);
    if (max < first) {
        c.add(site, "delivery.max_retry_seconds", "is less than first_retry_seconds");
    }
    out.delivery.first_retry = std::chrono::milliseconds{first * unit};
    out.delivery.max_retry = std::chrono::milliseconds{max * unit};
    out.delivery.give_up_after =
        Duration{60 * std::int64_t{bounded(d.has_give_up_after_minutes(), d.give_up_after_minutes(),
                                           "give_up_after_minutes", 1, 7 * 24 * 60, 360)}};
    out.delivery.timeout = Duration{
        bounded(d.has_timeout_seconds(), d.timeout_seconds(), "timeout_seconds", 1, 300, 10)};
    out.delivery.rate_per_minute =
        bounded(d.has_rate_per_minute(), d.rate_per_minute(), "rate_per_minute", 1, 6000, 30);
}

}  // namespace

Result<std::optional<NotifydSettings>, std::vector<ConfigError>> load_notifyd_config(
    const LoadedConfig& loaded) {
    std::vector<ConfigError> errors;
    const auto root = parse_file<cfg::OpelConfig>(loaded.root_file, errors);
    if (!root.ok) {
        return unexpected(std::move(errors));
    }
    if (!root.message.has_notifyd()) {
        return std::optional<NotifydSettings>{};
    }
    const engine::Model model(loaded.engine);
    Checking c{errors, model};
    const pb::FieldDescriptor* field = cfg::OpelConfig::descriptor()->FindFieldByName("notifyd");
    const auto loc = root.tree->GetLocation(field, -1);
    const ItemSite site{root.file, cfg::NotifydSettings::descriptor(),
                        root.tree->GetTreeForNested(field, -1), loc.line >= 0 ? loc.line + 1 : 1};
    NotifydSettings out;
    convert_settings(root.message.notifyd(), site, out, c);
    out.curve = client_key_files(
        loaded.root_file.parent_path(), root.message.notifyd().curve().public_key_file(),
        root.message.notifyd().curve().secret_key_file(), site, "curve", errors);
    if (root.message.notifyd().routing().empty()) {
        c.add(site, "routing", "opel-notifyd needs a routing file (groups, routes, silences)");
        return unexpected(std::move(errors));
    }
    const std::filesystem::path file =
        loaded.root_file.parent_path() / root.message.notifyd().routing();
    const auto routing = parse_file<cfg::NotifyRouting>(file, errors);
    if (!routing.ok) {
        return unexpected(std::move(errors));
    }
    const cfg::NotifyRouting& r = routing.message;
    out.routing.groups = convert_groups(r, routing.file, routing, out.smtp, c);
    std::set<std::string, std::less<>> route_names;
    for (int i = 0; i < r.routes_size(); ++i) {
        const ItemSite route_site = repeated_item(routing.file, r, "routes", routing.tree.get(), i);
        out.routing.routes.push_back(
            convert_route(r.routes(i), route_site, out.routing.groups, route_names, c));
    }
    for (int i = 0; i < r.silences_size(); ++i) {
        const ItemSite silence_site =
            repeated_item(routing.file, r, "silences", routing.tree.get(), i);
        out.routing.silences.push_back(convert_silence(r.silences(i), silence_site, c));
    }
    if (!errors.empty()) {
        return unexpected(std::move(errors));
    }
    return std::optional<NotifydSettings>(std::move(out));
}

}  // namespace opel::config

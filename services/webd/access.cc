#include "webd/access.h"

#include <algorithm>

#include "adapters/secrets/secrets.h"

namespace opel::webd {
namespace {

Principal principal_of(const config::WebUser& user) {
    return {user.name, user.role,
            user.role == config::WebRole::submitter ? user.sites : std::vector<std::string>{},
            false};
}

bool same(const Principal& a, const Principal& b) {
    return a.name == b.name && a.role == b.role && a.sites == b.sites && a.token == b.token;
}

}  // namespace

bool allowed(const Principal& who, Action action) {
    switch (action) {
        case Action::read:
            return !who.token;
        case Action::acknowledge:
            return !who.token && who.role == config::WebRole::acknowledger;
        case Action::upload:
            return who.token || who.role == config::WebRole::submitter;
    }
    return false;
}

bool may_upload_for(const Principal& who, std::string_view site) {
    return allowed(who, Action::upload) &&
           std::find(who.sites.begin(), who.sites.end(), site) != who.sites.end();
}

std::string_view to_string(config::WebRole role) {
    switch (role) {
        case config::WebRole::acknowledger:
            return "acknowledger";
        case config::WebRole::submitter:
            return "submitter";
        case config::WebRole::viewer:
            break;
    }
    return "viewer";
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
    while (!header.empty()) {
        const std::size_t end = std::min(header.find(';'), header.size());
        std::string_view pair = header.substr(0, end);
        header = end < header.size() ? header.substr(end + 1) : std::string_view();
        while (!pair.empty() && pair.front() == ' ') {
            pair.remove_prefix(1);
        }
        const std::size_t eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
            return std::string(pair.substr(eq + 1));
        }
    }
    return std::nullopt;
}

std::optional<std::string> bearer_token(std::string_view authorization) {
    constexpr std::string_view scheme = "Bearer ";
    if (authorization.size() <= scheme.size() ||
        !std::equal(scheme.begin(), scheme.end(), authorization.begin(),
                    [](char a, char b) { return a == b || (a ^ 0x20) == b; })) {
        return std::nullopt;
    }
    std::string_view token = authorization.substr(scheme.size());
    while (!token.empty() && token.back() == ' ') {
        token.remove_suffix(1);
    }
    return token.empty() ? std::nullopt : std::optional<std::string>(token);
}

Access::Access(config::WebAccess users, std::chrono::hours idle, std::size_t max_sessions)
    : users_(std::move(users)), idle_(idle), max_sessions_(max_sessions) {}

void Access::replace(config::WebAccess users) {
    users_ = std::move(users);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
        const auto now = user(it->second.who.name);
        it = now && same(*now, it->second.who) ? std::next(it) : sessions_.erase(it);
    }
}

std::optional<Principal> Access::user(std::string_view name) const {
    for (const config::WebUser& u : users_.users) {
        if (u.name == name) {
            return principal_of(u);
        }
    }
    return std::nullopt;
}

std::optional<std::string> Access::password_hash(std::string_view name) const {
    for (const config::WebUser& u : users_.users) {
        if (u.name == name) {
            return u.password_hash;
        }
    }
    return std::nullopt;
}

std::optional<std::string> Access::open_session(std::string_view name, TimePoint now) {
    auto who = user(name);
    if (!who) {
        return std::nullopt;
    }
    while (!sessions_.empty() && sessions_.size() >= max_sessions_) {
        sessions_.erase(std::min_element(
            sessions_.begin(), sessions_.end(),
            [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; }));
    }
    std::string id = secrets::new_secret();
    sessions_[id] = {std::move(*who), now};
    return id;
}

std::optional<Principal> Access::session(std::string_view id, TimePoint now) {
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) {
        return std::nullopt;
    }
    if (now - it->second.last_used > idle_) {
        sessions_.erase(it);
        return std::nullopt;
    }
    it->second.last_used = std::max(it->second.last_used, now);
    return it->second.who;
}

void Access::close_session(std::string_view id) {
    if (const auto it = sessions_.find(id); it != sessions_.end()) {
        sessions_.erase(it);
    }
}

std::optional<Principal> Access::token(std::string_view token) const {
    const std::string hash = secrets::hash_token(token);
    std::optional<Principal> found;
    for (const config::WebToken& t : users_.tokens) {
        if (secrets::equal_in_constant_time(t.token_hash, hash)) {
            found = Principal{t.name, config::WebRole::submitter, t.sites, true};
        }
    }
    return found;
}

}  // namespace opel::webd

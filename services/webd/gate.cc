#include "webd/gate.h"

#include <boost/asio/post.hpp>

#include "adapters/clock/real_clock.h"
#include "adapters/codec/board.h"
#include "adapters/secrets/secrets.h"
#include "engine/text.h"
#include "webd/upload.h"

namespace opel::webd {
namespace {

constexpr const char* json_type = "application/json";
constexpr const char* session_cookie = "opel_session";
// Logins waiting for their password check; more are answered 503 at once.
constexpr std::size_t max_pending_logins = 16;

http::Response refusal(unsigned status, std::string_view message) {
    return {status, json_type, upload_error_json(status, message)};
}

TimePoint wall_now() {
    return TimePoint{std::chrono::duration_cast<Duration>(wall_time_ms().time_since_epoch())};
}

std::string me_of(const Principal& who) {
    return codec::me_json("login", who.name, to_string(who.role), who.sites);
}

std::string_view verb(Action action) {
    switch (action) {
        case Action::acknowledge:
            return "acknowledge alerts";
        case Action::upload:
            return "upload sitreps";
        case Action::read:
            break;
    }
    return "read the board";
}

}  // namespace

Gate::Gate(boost::asio::io_context& io, std::optional<Access> access, bool secure,
           spdlog::logger& log)
    : io_(io), access_(std::move(access)), secure_(secure), log_(log) {
    if (access_) {
        boost::asio::post(worker_,
                          [this] { dummy_hash_ = secrets::hash_password(secrets::new_secret()); });
    }
}

Gate::~Gate() {
    stop();
    worker_.stop();  // password checks not yet started are dropped: a stop is not held up
    worker_.join();
}

void Gate::stop() { *alive_ = false; }

// The session cookie: no Max-Age (the server ends an idle session; the browser keeps it
// while it runs), or Max-Age=0 to remove it.
std::string Gate::cookie(const std::string& value, bool remove) const {
    return std::string(session_cookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict" +
           (remove ? "; Max-Age=0" : "") + (secure_ ? "; Secure" : "");
}

std::optional<Principal> Gate::session_of(const http::Request& r) {
    const auto id = cookie_value(r.cookie, session_cookie);
    return id ? access_->session(*id, wall_now()) : std::nullopt;
}

Result<std::optional<Principal>, http::Response> Gate::check(const http::Request& r,
                                                             Action action) {
    if (open()) {
        return std::optional<Principal>();
    }
    std::optional<Principal> who;
    if (const auto token = bearer_token(r.authorization); token && action == Action::upload) {
        who = access_->token(*token);
        if (!who) {
            ++unauthenticated_;
            log_.warn("an upload with an unknown bearer token was refused");
            return unexpected(refusal(401, "the bearer token is not known"));
        }
    }
    if (!who) {
        who = session_of(r);
    }
    if (!who) {
        ++unauthenticated_;
        http::Response out = refusal(
            401, action == Action::upload
                     ? "log in first (POST /api/v1/login), or send Authorization: Bearer <token>"
                     : "log in first (POST /api/v1/login)");
        out.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"opel-webd\"");
        return unexpected(std::move(out));
    }
    if (!allowed(*who, action)) {
        ++forbidden_;
        return unexpected(
            refusal(403, who->name + " (" +
                             std::string(who->token ? "upload token" : to_string(who->role)) +
                             ") may not " + std::string(verb(action))));
    }
    return who;
}

std::optional<http::Response> Gate::live(const http::Request& r) {
    auto who = check(r, Action::read);
    return who ? std::nullopt : std::optional<http::Response>(std::move(who).error());
}

void Gate::login(const http::Request& r, http::Respond respond) {
    if (open()) {
        respond(refusal(404, "no logins here: opel-webd has no users file (webd.users_file)"));
        return;
    }
    if (r.method != "POST") {
        respond(refusal(405, "method not allowed: " + r.method + " (POST only)"));
        return;
    }
    auto request = codec::login_from_json(r.body);
    if (!request) {
        respond(refusal(400, request.error()));
        return;
    }
    if (pending_ >= max_pending_logins) {
        respond(refusal(503, "too many logins at once; try again in a few seconds"));
        return;
    }
    ++pending_;
    std::optional<std::string> hash = access_->password_hash(request->name);
    boost::asio::post(worker_, [this, hash = std::move(hash), request = std::move(*request),
                                respond = std::move(respond), alive = alive_]() mutable {
        // An unknown name is checked against a hash of nothing anyone knows: the same work.
        const bool known = hash.has_value();
        const bool ok =
            secrets::verify_password(known ? *hash : dummy_hash_, request.password) && known;
        boost::asio::post(
            io_, [this, ok, name = std::move(request.name), respond = std::move(respond), alive] {
                if (!*alive) {
                    return;
                }
                --pending_;
                const auto id = ok ? access_->open_session(name, wall_now()) : std::nullopt;
                if (!id) {
                    ++logins_refused_;
                    log_.warn("login refused for '{}': wrong name or password",
                              engine::printable(name));
                    respond(refusal(401, "wrong name or password"));
                    return;
                }
                ++logins_ok_;
                const auto who = access_->session(*id, wall_now());
                log_.info("login: {} ({})", who->name, to_string(who->role));
                http::Response out{200, json_type, me_of(*who)};
                out.headers.emplace_back("Set-Cookie", cookie(*id, false));
                respond(std::move(out));
            });
    });
}

http::Response Gate::logout(const http::Request& r) {
    if (open()) {
        return refusal(404, "no logins here: opel-webd has no users file (webd.users_file)");
    }
    if (r.method != "POST") {
        return refusal(405, "method not allowed: " + r.method + " (POST only)");
    }
    if (const auto id = cookie_value(r.cookie, session_cookie)) {
        if (const auto who = access_->session(*id, wall_now())) {
            log_.info("logout: {}", who->name);
        }
        access_->close_session(*id);
    }
    http::Response out{200, json_type, codec::me_json("login", "", "", {})};
    out.headers.emplace_back("Set-Cookie", cookie("", true));
    return out;
}

http::Response Gate::me(const http::Request& r) {
    if (open()) {
        return {200, json_type, codec::me_json("open", "", "", {})};
    }
    const auto who = session_of(r);
    return who ? http::Response{200, json_type, me_of(*who)} : refusal(401, "not logged in");
}

void Gate::replace(config::WebAccess users) {
    if (access_) {
        access_->replace(std::move(users));
    }
}

}  // namespace opel::webd

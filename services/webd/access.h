// Who is asking opel-webd, and what they may do (issue 15, access): sessions named by a
// random cookie once a password matched its hash (adapters/secrets), upload tokens matched by
// their hash, and the roles' rights. Time is passed in; no sockets or files (the users come
// from config::load_web_access).
//
//   login: name + password ──secrets::verify_password (slow: off the loop)──▶ open_session
//   request: cookie ──session()──▶ Principal ──allowed(action)──▶ route, or 401 / 403
//   upload:  Authorization: Bearer ──token()──▶ Principal (its sites)
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/config/settings.h"
#include "base/time.h"

namespace opel::webd {

// Who a request comes from: a logged-in user, or the holder of an upload token.
struct Principal {
    std::string name;
    config::WebRole role = config::WebRole::viewer;
    std::vector<std::string> sites;  // a submitter's or a token's sites
    bool token = false;              // a bearer token: uploads only
};

enum class Action { read, acknowledge, upload };

// Whether `who` may `action`: a token only uploads; a user reads, an acknowledger also
// acknowledges, a submitter also uploads (for its sites: may_upload_for).
bool allowed(const Principal& who, Action action);
bool may_upload_for(const Principal& who, std::string_view site);
std::string_view to_string(config::WebRole role);

// The value of cookie `name` in a Cookie header ("a=1; opel_session=xyz"), or none.
std::optional<std::string> cookie_value(std::string_view header, std::string_view name);
// The token of an "Authorization: Bearer <token>" header, or none.
std::optional<std::string> bearer_token(std::string_view authorization);

// The users, tokens and open sessions. Owner: the io_context's thread.
class Access {
public:
    Access(config::WebAccess users, std::chrono::hours idle, std::size_t max_sessions = 10000);

    // New users and tokens (SIGHUP): a session whose user is gone, or whose role or sites
    // changed, ends.
    void replace(config::WebAccess users);

    // The user's password hash, for verify_password; none for an unknown name.
    std::optional<std::string> password_hash(std::string_view name) const;
    // A session for `name` (who must still be a user) from `now`: its id, or none. Beyond
    // max_sessions the least recently used one ends.
    std::optional<std::string> open_session(std::string_view name, TimePoint now);
    // The session's user, its idle time restarted at `now`; none when unknown or idle for
    // longer than the limit (then it ends).
    std::optional<Principal> session(std::string_view id, TimePoint now);
    void close_session(std::string_view id);
    std::size_t sessions() const { return sessions_.size(); }
    // The token's holder, or none. Every token's hash is compared, in constant time.
    std::optional<Principal> token(std::string_view token) const;

private:
    struct Session {
        Principal who;
        TimePoint last_used;
    };
    std::optional<Principal> user(std::string_view name) const;

    config::WebAccess users_;
    std::chrono::hours idle_;
    std::size_t max_sessions_;
    std::map<std::string, Session, std::less<>> sessions_;
};

}  // namespace opel::webd

// opel-webd's access control at the HTTP edge (access.h holds the rules): who a request is
// from (the session cookie, or for uploads a bearer token), 401 and 403 answers, and the
// login, logout and me routes. Passwords are checked on a worker thread, one at a time, so
// the io_context never waits for Argon2 and guessing is slow.
//
// Without a users file the gate is open: everyone who reaches the address may do
// everything (opel-webd then serves loopback only), and /api/v1/login answers 404.
#pragma once

#include <spdlog/logger.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "adapters/http/server.h"
#include "base/result.h"
#include "webd/access.h"

namespace opel::webd {

class Gate {
public:
    // `access`: none for an open gate. `secure`: served over TLS (cookies say Secure).
    Gate(boost::asio::io_context& io, std::optional<Access> access, bool secure,
         spdlog::logger& log);
    ~Gate();  // stop()
    Gate(const Gate&) = delete;
    Gate& operator=(const Gate&) = delete;

    bool open() const { return !access_; }
    // Who may `action` with request `r`: none for an open gate, else the principal; or the
    // answer instead (401: no or unknown session or token; 403: not the principal's right).
    Result<std::optional<Principal>, http::Response> check(const http::Request& r, Action action);
    // For the live WebSocket: none when it may be read, else the answer (401).
    std::optional<http::Response> live(const http::Request& r);

    // POST /api/v1/login {"name","password"}: 200 with opel.v1.Me and the session cookie; 401
    // "wrong name or password" (the same for an unknown name, after the same work); 400 for
    // another body; 503 when too many logins wait; 404 for an open gate.
    void login(const http::Request& r, http::Respond respond);
    // POST /api/v1/logout: ends the session and clears the cookie (200 either way).
    http::Response logout(const http::Request& r);
    // GET /api/v1/me: opel.v1.Me ("open", or the session's user), or 401.
    http::Response me(const http::Request& r);

    // New users and tokens (SIGHUP); sessions of removed or changed users end.
    void replace(config::WebAccess users);
    // No more login answers (the worker's pending checks are dropped).
    void stop();

    std::uint64_t logins_ok() const { return logins_ok_; }
    std::uint64_t logins_refused() const { return logins_refused_; }
    std::uint64_t unauthenticated() const { return unauthenticated_; }  // 401s
    std::uint64_t forbidden() const { return forbidden_; }              // 403s
    std::size_t sessions() const { return access_ ? access_->sessions() : 0; }

private:
    std::optional<Principal> session_of(const http::Request& r);
    std::string cookie(const std::string& value, bool remove) const;

    boost::asio::io_context& io_;
    std::optional<Access> access_;
    bool secure_;
    spdlog::logger& log_;
    boost::asio::thread_pool worker_{1};
    std::string dummy_hash_;  // worker thread only: unknown names cost what known ones do
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    std::size_t pending_ = 0;
    std::uint64_t logins_ok_ = 0;
    std::uint64_t logins_refused_ = 0;
    std::uint64_t unauthenticated_ = 0;
    std::uint64_t forbidden_ = 0;
};

}  // namespace opel::webd

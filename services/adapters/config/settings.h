// Daemon settings as plain values with their defaults (from opel.config.v1.EscalatordSettings).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/time.h"

namespace opel::config {

// escalatord.curve.clients[i]: a client key and what it may do (ids checked against the tree).
struct CurveClient {
    std::string name;
    std::string public_key;             // 40 characters of Z85
    std::vector<std::string> sites;     // may submit sitreps for
    std::vector<std::string> subtrees;  // may read (and act on, with the flags below)
    bool acknowledge = false;
    bool declare = false;
    bool report_unacknowledged = false;
};

// escalatord.curve: the escalator's key files (absolute once loaded) and its allow-list.
struct CurveSettings {
    std::string public_key_file;
    std::string secret_key_file;
    std::vector<CurveClient> clients;
};

// A client's own key files (absolute once loaded); both empty = no keys.
struct CurveClientFiles {
    std::string public_key_file;
    std::string secret_key_file;
};

struct EscalatordSettings {
    std::string submit_endpoint = "tcp://127.0.0.1:5560";
    std::string publish_endpoint = "tcp://127.0.0.1:5561";
    std::string snapshot_endpoint = "tcp://127.0.0.1:5562";
    std::string query_endpoint = "tcp://127.0.0.1:5563";
    std::string database_path = "opel.db";
    Duration max_clock_skew{300};
    Duration heartbeat_interval{5};
    std::uint32_t max_message_bytes = 65536;
    // HTTP host:port of /metrics, /healthz and /readyz, or "off".
    std::string metrics_address = "127.0.0.1:9464";
    // A group that may read the database (0640) and use the ipc:// sockets; "" = none.
    std::string group;
    // CURVE on every socket, and who may connect; none = no encryption (loopback only).
    std::optional<CurveSettings> curve;
};

// opel.config.v1.WebdSettings with its defaults (assets: "" = the shipped web/ directory).
struct WebdSettings {
    std::string address = "127.0.0.1:8080";
    std::string assets;
    std::chrono::seconds feed_silence{15};
    std::chrono::milliseconds submit_timeout{5000};
    // PEM files (absolute once loaded); both empty = plain HTTP.
    std::string tls_certificate;
    std::string tls_private_key;
    // The WebAccess file (absolute once loaded); empty = no logins (loopback only).
    std::string users_file;
    std::chrono::hours session_idle{12};
    CurveClientFiles curve;  // the wallboard's keys for the escalator's sockets
};

// opel.config.v1.WebAccess: who may use opel-webd (load_web_access).
enum class WebRole { viewer, acknowledger, submitter };

struct WebUser {
    std::string name;
    WebRole role = WebRole::viewer;
    std::string password_hash;       // crypto_pwhash_str's output
    std::vector<std::string> sites;  // a submitter's sites
};

struct WebToken {
    std::string name;
    std::string token_hash;  // 64 lowercase hex digits: BLAKE2b-256 of the token
    std::vector<std::string> sites;
};

struct WebAccess {
    std::vector<WebUser> users;
    std::vector<WebToken> tokens;
};

}  // namespace opel::config

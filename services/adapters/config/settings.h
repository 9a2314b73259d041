// Daemon settings as plain values with their defaults (from opel.config.v1.EscalatordSettings).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/time.h"

namespace opel::config {

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

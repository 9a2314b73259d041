// CURVE security for ZeroMQ sockets (Curve25519, ZeroMQ RFC 26) and the ZAP handler (RFC 27)
// that decides which client keys may connect.
//
// CURVE alone encrypts but lets any key in: a CURVE server asks the ZAP handler of its
// context (a REP socket on inproc://zeromq.zap.01) about each client, so the handler is
// bound before any CURVE socket listens. It answers 200 with the client's name as the
// User-Id for a key on its allow-list and 400 for any other key, which then gets no
// connection at all. Every message from an admitted client carries that User-Id as metadata
// (client_name()), which is how the daemon knows whose scope applies.
//
// Keys are Z85 text (40 characters) in files written by `opel keygen`; in memory they are 32
// bytes of binary.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "base/result.h"

namespace zmq {
class context_t;
class socket_t;
class message_t;
}  // namespace zmq

namespace opel::net {

// 32 bytes of binary key.
using CurveKey = std::string;

// The key in 40 characters of Z85 (spaces and a newline around it are allowed); the error
// says what is wrong with it.
Result<CurveKey, std::string> decode_key(std::string_view z85);
std::string encode_key(const CurveKey& key);
// The key in `path` (one Z85 line, as `opel keygen` writes it); the error names the file.
Result<CurveKey, std::string> read_key_file(const std::string& path);
// The public key that belongs to `secret`.
CurveKey public_key_of(const CurveKey& secret);

// A server's secret key from `secret_file`, checked against `public_file` (the key its
// clients are given); the error names the file or says they are not a pair.
Result<CurveKey, std::string> read_server_key(const std::string& secret_file,
                                              const std::string& public_file);

// What a client needs: the server's public key and its own pair.
struct ClientKeys {
    CurveKey server;
    CurveKey public_key;
    CurveKey secret_key;
};

// Reads the three key files; the error names the file and why.
Result<ClientKeys, std::string> read_client_keys(const std::string& server_public_file,
                                                 const std::string& public_file,
                                                 const std::string& secret_file);

// The ZAP domain the daemons' CURVE sockets ask about.
inline constexpr std::string_view zap_domain = "opel";

// Makes `socket` (before it binds) a CURVE server with `secret`, authorised by the ZAP handler.
void make_curve_server(zmq::socket_t& socket, const CurveKey& secret);
// Makes `socket` (before it connects) a CURVE client.
void make_curve_client(zmq::socket_t& socket, const ClientKeys& keys);

// The User-Id the ZAP handler gave the message's sender (its name); none without CURVE.
std::optional<std::string_view> client_name(const zmq::message_t& message);

class ZapHandler {
public:
    // A key the handler refused and the peer's address, reported on the handler's thread.
    using OnRefused = std::function<void(const std::string& key_z85, const std::string& address)>;
    // Binds inproc://zeromq.zap.01 in `context` and answers on a thread of its own until
    // destroyed. Throws zmq::error_t when the context has a handler already.
    ZapHandler(zmq::context_t& context, OnRefused on_refused);
    ~ZapHandler();
    ZapHandler(const ZapHandler&) = delete;
    ZapHandler& operator=(const ZapHandler&) = delete;

    // Replaces the allow-list: public key -> the name it is known by. Thread-safe; a
    // handshake already answered keeps its answer (a connection stays until it closes).
    void allow(std::map<CurveKey, std::string> keys);
    std::uint64_t admitted() const { return admitted_.load(); }
    std::uint64_t refused() const { return refused_.load(); }

private:
    void run();
    void answer(zmq::socket_t& socket);

    zmq::context_t& context_;
    OnRefused on_refused_;
    std::unique_ptr<zmq::socket_t> handler_;
    std::unique_ptr<zmq::socket_t> control_;
    std::string control_endpoint_;
    mutable std::mutex mutex_;  // guards keys_
    std::shared_ptr<const std::map<CurveKey, std::string>> keys_;
    std::atomic<std::uint64_t> admitted_{0};
    std::atomic<std::uint64_t> refused_{0};
    std::thread thread_;
};

}  // namespace opel::net

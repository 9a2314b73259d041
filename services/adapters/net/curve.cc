#include "adapters/net/curve.h"

#include <zmq.h>

#include <array>
#include <fstream>
#include <sstream>
#include <vector>
#include <zmq.hpp>
#include <zmq_addon.hpp>

namespace opel::net {
namespace {

constexpr std::size_t key_bytes = 32;
constexpr std::size_t z85_chars = 40;

std::string_view trimmed(std::string_view text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return {};
    }
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

}  // namespace

Result<CurveKey, std::string> decode_key(std::string_view z85) {
    const std::string_view text = trimmed(z85);
    if (text.size() != z85_chars) {
        return unexpected("a CURVE key is 40 characters of Z85 (as opel keygen writes it), not " +
                          std::to_string(text.size()));
    }
    const std::string terminated(text);
    CurveKey key(key_bytes, '\0');
    if (zmq_z85_decode(reinterpret_cast<std::uint8_t*>(key.data()), terminated.c_str()) ==
        nullptr) {
        return unexpected(std::string("not Z85: a CURVE key has only Z85's 85 characters"));
    }
    return key;
}

std::string encode_key(const CurveKey& key) {
    std::array<char, z85_chars + 1> text{};
    if (key.size() != key_bytes ||
        zmq_z85_encode(text.data(), reinterpret_cast<const std::uint8_t*>(key.data()),
                       key.size()) == nullptr) {
        return "(not a key)";
    }
    return {text.data(), z85_chars};
}

Result<CurveKey, std::string> read_key_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return unexpected("cannot read the key file " + path);
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto key = decode_key(text.str());
    if (!key) {
        return unexpected(path + ": " + key.error());
    }
    return key;
}

CurveKey public_key_of(const CurveKey& secret) {
    const std::string z85_secret = encode_key(secret);
    std::array<char, z85_chars + 1> z85_public{};
    if (zmq_curve_public(z85_public.data(), z85_secret.c_str()) != 0) {
        return {};
    }
    auto key = decode_key(std::string_view(z85_public.data(), z85_chars));
    return key ? std::move(*key) : CurveKey{};
}

Result<CurveKey, std::string> read_server_key(const std::string& secret_file,
                                              const std::string& public_file) {
    auto secret = read_key_file(secret_file);
    auto public_key = read_key_file(public_file);
    if (!secret || !public_key) {
        return unexpected(!secret ? secret.error() : public_key.error());
    }
    if (public_key_of(*secret) != *public_key) {
        return unexpected(public_file + " is not the public key of " + secret_file);
    }
    return secret;
}

Result<ClientKeys, std::string> read_client_keys(const std::string& server_public_file,
                                                 const std::string& public_file,
                                                 const std::string& secret_file) {
    ClientKeys keys;
    for (const auto& [file, key] :
         {std::pair{&server_public_file, &keys.server}, std::pair{&public_file, &keys.public_key},
          std::pair{&secret_file, &keys.secret_key}}) {
        auto read = read_key_file(*file);
        if (!read) {
            return unexpected(std::move(read).error());
        }
        *key = std::move(*read);
    }
    if (public_key_of(keys.secret_key) != keys.public_key) {
        return unexpected(public_file + " is not the public key of " + secret_file +
                          " (a pair from one opel keygen)");
    }
    return keys;
}

void make_curve_server(zmq::socket_t& socket, const CurveKey& secret) {
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey, zmq::const_buffer(secret.data(), secret.size()));
    socket.set(zmq::sockopt::zap_domain, std::string(zap_domain));
}

void make_curve_client(zmq::socket_t& socket, const ClientKeys& keys) {
    socket.set(zmq::sockopt::curve_serverkey,
               zmq::const_buffer(keys.server.data(), keys.server.size()));
    socket.set(zmq::sockopt::curve_publickey,
               zmq::const_buffer(keys.public_key.data(), keys.public_key.size()));
    socket.set(zmq::sockopt::curve_secretkey,
               zmq::const_buffer(keys.secret_key.data(), keys.secret_key.size()));
}

std::optional<std::string_view> client_name(const zmq::message_t& message) {
    // zmq_msg_gets takes a non-const message; it only reads the metadata.
    const char* name = zmq_msg_gets(const_cast<zmq_msg_t*>(message.handle()), "User-Id");
    if (name == nullptr || *name == '\0') {
        return std::nullopt;
    }
    return std::string_view(name);
}

ZapHandler::ZapHandler(zmq::context_t& context, OnRefused on_refused)
    : context_(context),
      on_refused_(std::move(on_refused)),
      handler_(std::make_unique<zmq::socket_t>(context, zmq::socket_type::rep)),
      control_(std::make_unique<zmq::socket_t>(context, zmq::socket_type::pair)),
      control_endpoint_("inproc://opel-zap-control-" +
                        std::to_string(reinterpret_cast<std::uintptr_t>(this))),
      keys_(std::make_shared<const std::map<CurveKey, std::string>>()) {
    handler_->set(zmq::sockopt::linger, 0);
    handler_->bind("inproc://zeromq.zap.01");
    control_->set(zmq::sockopt::linger, 0);
    control_->bind(control_endpoint_);
    thread_ = std::thread([this] { run(); });
}

ZapHandler::~ZapHandler() {
    control_->send(zmq::str_buffer("stop"), zmq::send_flags::none);
    thread_.join();
}

void ZapHandler::allow(std::map<CurveKey, std::string> keys) {
    auto next = std::make_shared<const std::map<CurveKey, std::string>>(std::move(keys));
    const std::lock_guard lock(mutex_);
    keys_ = std::move(next);
}

void ZapHandler::run() {
    zmq::socket_t control(context_, zmq::socket_type::pair);
    control.set(zmq::sockopt::linger, 0);
    control.connect(control_endpoint_);
    std::array<zmq::pollitem_t, 2> items{
        {{handler_->handle(), 0, ZMQ_POLLIN, 0}, {control.handle(), 0, ZMQ_POLLIN, 0}}};
    while (true) {
        zmq::poll(items.data(), items.size(), std::chrono::milliseconds(-1));
        if ((items[1].revents & ZMQ_POLLIN) != 0) {
            return;
        }
        if ((items[0].revents & ZMQ_POLLIN) != 0) {
            answer(*handler_);
        }
    }
}

// ZAP request (RFC 27): version, request id, domain, address, routing id, mechanism, then
// the mechanism's credentials (CURVE: the client's 32-byte public key). The reply: version,
// request id, status code, status text, user id, metadata.
void ZapHandler::answer(zmq::socket_t& socket) {
    std::vector<zmq::message_t> request;
    if (!zmq::recv_multipart(socket, std::back_inserter(request), zmq::recv_flags::dontwait)) {
        return;
    }
    std::shared_ptr<const std::map<CurveKey, std::string>> keys;
    {
        const std::lock_guard lock(mutex_);
        keys = keys_;
    }
    const auto frame = [&request](std::size_t i) {
        return i < request.size() ? request[i].to_string() : std::string();
    };
    const std::string key = frame(6);
    const bool curve = request.size() == 7 && frame(0) == "1.0" && frame(2) == zap_domain &&
                       frame(5) == "CURVE" && key.size() == key_bytes;
    const auto known = curve ? keys->find(key) : keys->end();
    const bool admit = known != keys->end();
    std::array<zmq::const_buffer, 6> reply{};
    const std::string version = "1.0";
    const std::string id = frame(1);
    const std::string status = admit ? "200" : "400";
    const std::string text = admit ? "OK" : "key not on the allow-list";
    const std::string user = admit ? known->second : std::string();
    reply = {zmq::buffer(version), zmq::buffer(id),   zmq::buffer(status),
             zmq::buffer(text),    zmq::buffer(user), zmq::const_buffer()};
    (void)zmq::send_multipart(socket, reply);
    if (admit) {
        ++admitted_;
        return;
    }
    ++refused_;
    if (on_refused_) {
        on_refused_(curve ? encode_key(key) : "(not a CURVE handshake)", frame(3));
    }
}

}  // namespace opel::net

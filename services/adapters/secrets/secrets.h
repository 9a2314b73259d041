// Secrets through libsodium (Debian libsodium-dev, libzmq's own): password hashes
// (crypto_pwhash_str, Argon2id), random secrets for tokens and session ids, and a token's
// hash as opel-webd's users file keeps it. sodium_init() must have succeeded.
#pragma once

#include <string>
#include <string_view>

namespace opel::secrets {

// A password's crypto_pwhash_str hash (Argon2id, interactive limits: about 64 MiB and a
// fraction of a second), and whether `password` matches one (the same cost: keep it off an
// io_context's thread).
std::string hash_password(std::string_view password);
bool verify_password(const std::string& hash, std::string_view password);
// A new secret: 32 random bytes as 64 hex digits (tokens, session ids).
std::string new_secret();
// A token's hash: BLAKE2b-256 (crypto_generichash), 64 hex digits.
std::string hash_token(std::string_view token);
// Whether two strings are equal, in time that depends on their length only (sodium_memcmp).
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace opel::secrets

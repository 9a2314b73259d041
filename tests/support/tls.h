// TLS for tests: a self-signed certificate made at test time with Debian's `openssl` (nothing
// secret is committed), and an HTTPS client (libcurl) that verifies the server against it.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "support/metrics.h"

namespace opel::testing {

struct TestCertificate {
    std::string certificate;  // PEM file: a self-signed certificate for localhost, 127.0.0.1
    std::string private_key;  // PEM file: its key (EC P-256)
};

// Writes a certificate and its key as `name`.pem and `name`-key.pem in `dir`; throws
// std::runtime_error when openssl fails.
TestCertificate make_certificate(const std::filesystem::path& dir, const std::string& name);

// `method` `target` over HTTPS to `address` ("127.0.0.1:P"), trusting only `ca_file`; the
// reply (its headers with the status line, as received), or none when there was no complete
// reply within `timeout` or the server was not trusted (`error`, when given, says why).
std::optional<HttpReply> https_request(
    const std::string& method, const std::string& address, const std::string& target,
    const std::string& ca_file, const std::string& body = {},
    const std::map<std::string, std::string>& headers = {}, std::string* error = nullptr,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace opel::testing

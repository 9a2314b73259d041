// Test-side HTTP and Prometheus helpers: a request over a plain socket (loopback, bounded in
// time; the reply framed by Boost.Beast's parser, so chunked bodies work too), and a parser
// of the Prometheus text exposition format (0.0.4) strict enough to fail a test on a
// malformed line, so tests assert on values a scraper would read.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace opel::testing {

struct HttpReply {
    int status = 0;
    std::string headers;  // the status line and headers, as received
    std::string body;
};

// GET `target` (path and query, already URL-encoded) from `address` (IPv4 host:port); none
// when no complete HTTP/1.1 reply came back within `timeout`.
std::optional<HttpReply> http_get(const std::string& address, const std::string& target,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10));

// `method` (e.g. "POST") `target` on `address`, sending `body` with its Content-Length (when
// not empty or the method is not GET) and `headers` (e.g. Content-Type); otherwise as
// http_get: none when no complete reply came back within `timeout`.
std::optional<HttpReply> http_request(const std::string& method, const std::string& address,
                                      const std::string& target, const std::string& body = {},
                                      const std::map<std::string, std::string>& headers = {},
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct Exposition {
    std::map<std::string, std::string> types;  // family name -> counter, gauge, histogram, …
    std::map<std::string, std::string> help;   // family name -> HELP text
    std::vector<Sample> samples;
    std::vector<std::string> errors;  // "line N: problem", for every malformed line

    // The value of the sample named `name` whose labels include `labels`; none if there is no
    // such sample, or more than one.
    std::optional<double> value(const std::string& name,
                                const std::map<std::string, std::string>& labels = {}) const;
};

Exposition parse_exposition(const std::string& text);

// Runs `promtool check metrics` on `text` when Debian's prometheus package is installed:
// none when promtool is absent, else its verdict (empty = clean, else what it printed).
std::optional<std::string> promtool_check(const std::string& text, const std::string& scratch_dir);

}  // namespace opel::testing

#include "support/metrics.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <string_view>

namespace opel::testing {
namespace {

namespace bhttp = boost::beast::http;

// Sends all of `data`; false on error.
bool send_all(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) {
            return false;
        }
        sent += static_cast<std::size_t>(n);
    }
    return true;
}

// Everything the peer sends until it closes, or none past the deadline.
// Reads until the peer closes, `complete` says the bytes so far are a whole reply (a server
// that keeps the connection open, like Chromium's DevTools), or the deadline (none).
std::optional<std::string> receive_all(int fd, std::chrono::steady_clock::time_point deadline,
                                       const std::function<bool(const std::string&)>& complete) {
    std::string out;
    char buffer[4096];
    while (true) {
        // Rounded up: the read gives up at the deadline, never a fraction of a millisecond
        // before it.
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            return std::nullopt;
        }
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n < 0) {
            return std::nullopt;
        }
        if (n == 0) {
            return out;
        }
        out.append(buffer, static_cast<std::size_t>(n));
        if (complete(out)) {
            return out;
        }
    }
}

// `raw` as an HTTP/1.1 reply, if it is a whole one (`at_eof`: the peer closed after it, which
// ends a body framed by the close). Beast reads the body as framed: by Content-Length, chunked
// (as Go servers such as Prometheus send larger replies), or up to the close.
std::optional<HttpReply> parse_reply(const std::string& raw, bool at_eof) {
    const std::size_t split = raw.find("\r\n\r\n");
    if (split == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) {
        return std::nullopt;
    }
    bhttp::response_parser<bhttp::string_body> parser;
    parser.eager(true);
    parser.body_limit(boost::none);
    boost::beast::error_code ec;
    const std::string_view bytes(raw);
    std::size_t used = 0;
    while (!ec && !parser.is_done() && used < bytes.size()) {
        const std::string_view rest = bytes.substr(used);
        used += parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
    }
    if (ec == bhttp::error::need_more) {
        ec = {};
    }
    if (!ec && !parser.is_done() && at_eof) {
        parser.put_eof(ec);
    }
    if (ec || !parser.is_done()) {
        return std::nullopt;
    }
    HttpReply reply;
    reply.status = static_cast<int>(parser.get().result_int());
    reply.headers = raw.substr(0, split);
    reply.body = parser.release().body();
    return reply;
}

// A label value up to its closing quote, unescaping \\, \" and \n; advances `i` past it.
std::optional<std::string> quoted(const std::string& line, std::size_t& i) {
    std::string value;
    for (; i < line.size(); ++i) {
        if (line[i] == '"') {
            ++i;
            return value;
        }
        if (line[i] == '\\' && i + 1 < line.size()) {
            ++i;
            value += line[i] == 'n' ? '\n' : line[i];
        } else {
            value += line[i];
        }
    }
    return std::nullopt;
}

bool name_char(char c, bool first) {
    return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':' ||
           (!first && std::isdigit(static_cast<unsigned char>(c)) != 0);
}

// One sample line, or why it is malformed.
std::optional<Sample> parse_sample(const std::string& line, std::string& why) {
    Sample s;
    std::size_t i = 0;
    while (i < line.size() && name_char(line[i], i == 0)) {
        s.name += line[i++];
    }
    if (s.name.empty()) {
        why = "no metric name";
        return std::nullopt;
    }
    if (i < line.size() && line[i] == '{') {
        ++i;
        while (i < line.size() && line[i] != '}') {
            std::string label;
            while (i < line.size() && name_char(line[i], label.empty()) && line[i] != ':') {
                label += line[i++];
            }
            if (label.empty() || i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"') {
                why = "bad label";
                return std::nullopt;
            }
            i += 2;
            auto value = quoted(line, i);
            if (!value) {
                why = "unterminated label value";
                return std::nullopt;
            }
            s.labels[label] = *value;
            if (i < line.size() && line[i] == ',') {
                ++i;
            }
        }
        if (i >= line.size()) {
            why = "unterminated label set";
            return std::nullopt;
        }
        ++i;
    }
    std::istringstream rest(line.substr(i));
    std::string value;
    std::string timestamp;
    std::string extra;
    rest >> value >> timestamp >> extra;
    if (value.empty() || !extra.empty()) {
        why = "expected a value and an optional timestamp";
        return std::nullopt;
    }
    char* end = nullptr;
    constexpr double infinity = std::numeric_limits<double>::infinity();
    s.value = value == "+Inf"   ? infinity
              : value == "-Inf" ? -infinity
                                : std::strtod(value.c_str(), &end);
    if (end != nullptr && *end != '\0') {
        why = "bad value '" + value + "'";
        return std::nullopt;
    }
    return s;
}

}  // namespace

std::optional<HttpReply> http_get(const std::string& address, const std::string& target,
                                  std::chrono::milliseconds timeout) {
    return http_request("GET", address, target, {}, {}, timeout);
}

std::optional<HttpReply> http_request(const std::string& method, const std::string& address,
                                      const std::string& target, const std::string& body,
                                      const std::map<std::string, std::string>& headers,
                                      std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const std::size_t colon = address.rfind(':');
    if (colon == std::string::npos) {
        return std::nullopt;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(std::stoi(address.substr(colon + 1))));
    if (::inet_pton(AF_INET, address.substr(0, colon).c_str(), &to.sin_addr) != 1) {
        return std::nullopt;
    }
    std::string request =
        method + " " + target + " HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n";
    for (const auto& [name, value] : headers) {
        request += name + ": " + value + "\r\n";
    }
    if (!body.empty() || method != "GET") {
        request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    request += "\r\n" + body;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    std::optional<std::string> raw;
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0 &&
        send_all(fd, request)) {
        raw = receive_all(fd, deadline, [](const std::string& bytes) {
            return parse_reply(bytes, false).has_value();
        });
    }
    ::close(fd);
    return raw ? parse_reply(*raw, true) : std::nullopt;
}

std::optional<double> Exposition::value(const std::string& name,
                                        const std::map<std::string, std::string>& labels) const {
    std::optional<double> found;
    for (const Sample& s : samples) {
        bool match = s.name == name;
        for (const auto& [k, v] : labels) {
            const auto it = s.labels.find(k);
            match = match && it != s.labels.end() && it->second == v;
        }
        if (match && found) {
            return std::nullopt;  // ambiguous
        }
        if (match) {
            found = s.value;
        }
    }
    return found;
}

Exposition parse_exposition(const std::string& text) {
    Exposition out;
    std::istringstream in(text);
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        const std::string at = "line " + std::to_string(number) + ": ";
        if (line.empty()) {
            continue;
        }
        if (line[0] == '#') {
            std::istringstream words(line.substr(1));
            std::string keyword;
            std::string name;
            words >> keyword >> name;
            std::string rest;
            std::getline(words >> std::ws, rest);
            if (keyword == "TYPE") {
                static const std::vector<std::string> kinds = {"counter", "gauge", "histogram",
                                                               "summary", "untyped"};
                if (std::find(kinds.begin(), kinds.end(), rest) == kinds.end()) {
                    out.errors.push_back(at + "unknown TYPE '" + rest + "'");
                }
                out.types[name] = rest;
            } else if (keyword == "HELP") {
                out.help[name] = rest;
            }
            continue;
        }
        std::string why;
        if (auto s = parse_sample(line, why)) {
            out.samples.push_back(std::move(*s));
        } else {
            out.errors.push_back(at + why + ": " + line);
        }
    }
    return out;
}

std::optional<std::string> promtool_check(const std::string& text, const std::string& scratch_dir) {
    if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
        return std::nullopt;
    }
    const std::string in = scratch_dir + "/scrape.txt";
    const std::string out = scratch_dir + "/promtool.txt";
    std::ofstream(in) << text;
    const int status =
        std::system(("promtool check metrics < '" + in + "' > '" + out + "' 2>&1").c_str());
    std::ifstream printed(out);
    std::stringstream s;
    s << printed.rdbuf();
    return status == 0 ? std::string() : "promtool: " + s.str();
}

}  // namespace opel::testing

#include "support/tls.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace opel::testing {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

TestCertificate make_certificate(const std::filesystem::path& dir, const std::string& name) {
    TestCertificate out{(dir / (name + ".pem")).string(), (dir / (name + "-key.pem")).string()};
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
        out.private_key + "' -out '" + out.certificate + "' 2>/dev/null";
    if (std::system(command.c_str()) != 0) {
        throw std::runtime_error("openssl could not make a test certificate: " + command);
    }
    return out;
}

std::optional<HttpReply> https_request(const std::string& method, const std::string& address,
                                       const std::string& target, const std::string& ca_file,
                                       const std::string& body,
                                       const std::map<std::string, std::string>& headers,
                                       std::string* error, std::chrono::milliseconds timeout) {
    const auto fail = [error](const std::string& why) -> std::optional<HttpReply> {
        if (error) {
            *error = why;
        }
        return std::nullopt;
    };
    const std::size_t colon = address.rfind(':');
    boost::asio::io_context io;
    ssl::context context(ssl::context::tls_client);
    boost::system::error_code ec;
    context.load_verify_file(ca_file, ec);
    if (ec) {
        return fail("cannot read " + ca_file + ": " + ec.message());
    }
    context.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, context);
    stream.set_verify_callback(ssl::host_name_verification("localhost"));
    const tcp::endpoint endpoint(boost::asio::ip::make_address(address.substr(0, colon)),
                                 static_cast<unsigned short>(std::stoi(address.substr(colon + 1))));
    bhttp::request<bhttp::string_body> request(bhttp::string_to_verb(method), target, 11);
    request.set(bhttp::field::host, "localhost");
    for (const auto& [name, value] : headers) {
        request.set(name, value);
    }
    request.body() = body;
    if (!body.empty() || method != "GET") {
        request.prepare_payload();
    }
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    std::optional<HttpReply> out;
    std::string why = "no reply in time";
    beast::get_lowest_layer(stream).async_connect(endpoint, [&](beast::error_code connected) {
        if (connected) {
            why = "connect: " + connected.message();
            return;
        }
        stream.async_handshake(ssl::stream_base::client, [&](beast::error_code shook) {
            if (shook) {
                why = "handshake: " + shook.message();
                return;
            }
            bhttp::async_write(stream, request, [&](beast::error_code wrote, std::size_t) {
                if (wrote) {
                    why = "write: " + wrote.message();
                    return;
                }
                bhttp::async_read(stream, buffer, response,
                                  [&](beast::error_code read, std::size_t) {
                                      if (read) {
                                          why = "read: " + read.message();
                                          return;
                                      }
                                      std::ostringstream head;
                                      head << response.base();
                                      out = HttpReply{static_cast<int>(response.result_int()),
                                                      head.str(), response.body()};
                                  });
            });
        });
    });
    io.run_for(timeout);
    return out ? out : fail(why);
}

}  // namespace opel::testing

// A small HTTP/1.1 server for a daemon's metrics and health routes, on Boost.Beast, driven by
// the daemon's own io_context: handlers run on that thread, so they read the daemon's state
// without locks.
//
//   accept ──▶ read the request (bounded size, deadline) ──▶ GET path? ──▶ handler ──▶ write,
//                                                             404 / 405 / 413 / 400   close
//
// GET only, one request per connection (the response says Connection: close), no request
// bodies. Every read and write is asynchronous with a deadline, so a client that connects and
// sends nothing (or reads nothing) holds one connection slot until its deadline and never
// delays another client. At most max_connections are open at once; further ones are closed
// on accept.
//
// Owner: the thread that runs the io_context; not thread-safe. Handlers are only called while
// the server is not stopped.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace opel::http {

enum class Errc {
    bad_address,       // not host:port with an IP address (or localhost) and a port 0..65535
    address_in_use,    // the port is held by another socket or process (EADDRINUSE)
    insecure_address,  // a non-loopback address refused: nothing would encrypt or authenticate
    listen_failed,     // anything else the system refused when opening, binding or listening
};

struct HttpError {
    Errc code = Errc::listen_failed;
    std::string message;  // what happened, naming the address
};

template <typename T>
using HttpResult = Result<T, HttpError>;

std::string_view to_string(Errc code);

// What a route answers.
struct Response {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

// A route's handler: called on the io_context's thread for each GET of its path (the query
// string is ignored). An exception it throws is answered 500.
using Handler = std::function<Response()>;

struct Limits {
    std::size_t max_request_bytes = 8192;      // request line and headers; larger: 413
    std::chrono::milliseconds timeout{10000};  // to read a request, and to write its response
    std::size_t max_connections = 64;          // open at once; further ones are closed at once
};

// "host:port" as an endpoint: host is an IPv4 address, "localhost" (127.0.0.1) or an IPv6
// address in brackets ("[::1]:9464"); no name lookup. Port 0 asks the system for a free one.
// Errors: Errc::bad_address naming the text.
HttpResult<boost::asio::ip::tcp::endpoint> parse_address(std::string_view text);

class Server {
public:
    explicit Server(boost::asio::io_context& io, Limits limits = {});
    ~Server();  // stop()
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Answers GET `path` ("/metrics") with `handler`. Before start().
    void route(std::string path, Handler handler);

    // Opens, binds and listens on `address` (parse_address). A non-loopback address needs
    // `allow_insecure_remote`. Returns the bound endpoint (with the port the system chose for
    // port 0). Errors: bad_address, insecure_address, address_in_use, listen_failed.
    HttpResult<boost::asio::ip::tcp::endpoint> listen(std::string_view address,
                                                      bool allow_insecure_remote);
    // Starts accepting connections. After a successful listen().
    void start();
    // Stops accepting and closes every open connection (their handlers are not called).
    // Idempotent.
    void stop();

private:
    struct Shared;
    class Connection;
    void accept();

    boost::asio::io_context& io_;
    std::shared_ptr<Shared> shared_;  // also held by each open connection
    boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace opel::http

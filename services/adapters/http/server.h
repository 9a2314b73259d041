// A small HTTP/1.1 server for a daemon's metrics and health routes, on Boost.Beast, driven by
// the daemon's own io_context: handlers run on that thread, so they read the daemon's state
// without locks.
//
//   accept ──▶ read the request (bounded size, deadline) ──▶ GET path? ──▶ handler ──▶ write,
//                                                             404 / 405 / 413 / 400   close
//
// GET routes, prefix routes for any method with a bounded body (answered now or later), and
// WebSocket routes fed by a LiveFeed; one request per connection (the response says Connection:
// close). Plain HTTP, or HTTPS only (TLS 1.2 or later, OpenSSL through Asio) after use_tls().
// Every response says nosniff and may not be framed; over TLS it also sets HSTS. Every read and
// write is asynchronous with a deadline, so a client that connects and sends nothing (or reads
// nothing) holds one connection slot until its deadline and never delays another client. At most
// max_connections are open at once; further ones are closed on accept.
//
// Owner: the thread that runs the io_context; not thread-safe. Handlers are only called while
// the server is not stopped.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "base/result.h"

namespace opel::http {

enum class Errc {
    bad_address,       // not host:port with an IP address (or localhost) and a port 0..65535
    address_in_use,    // the port is held by another socket or process (EADDRINUSE)
    insecure_address,  // a non-loopback address refused: nothing would encrypt or authenticate
    listen_failed,     // anything else the system refused when opening, binding or listening
    tls_failed,        // the certificate or private key could not be read or do not match
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
    Response() = default;
    Response(unsigned status_code, std::string type, std::string text)
        : status(status_code), content_type(std::move(type)), body(std::move(text)) {}

    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // more, e.g. Set-Cookie
};

// A route's handler: called on the io_context's thread for each GET of its path (the query
// string is ignored). An exception it throws is answered 500.
using Handler = std::function<Response()>;

// A request to a prefix route (any method; a body up to Limits::max_body_bytes).
struct Request {
    std::string method;  // "GET", "POST", ...
    std::string path;    // the target before any '?'
    std::string query;   // after the '?' ("" when none)
    std::string content_type;
    std::string body;
    std::string cookie;         // the Cookie header ("" when none)
    std::string authorization;  // the Authorization header ("" when none)
    bool secure = false;        // it came over TLS
};
// A prefix route answers through `Respond`, once, now or later (after asking another
// service, without holding the io_context's thread); until then the connection waits. A call
// after the server stopped, or a second call, does nothing. A handler that throws before
// answering is answered 500.
using Respond = std::function<void(Response)>;
using RequestHandler = std::function<void(const Request&, Respond)>;
// Decides whether a WebSocket upgrade (a Request with no body) may go ahead: none = yes,
// else the response to write instead (401, 403).
using Guard = std::function<std::optional<Response>(const Request&)>;

// The source of a WebSocket route's messages (opel-webd's fan-out): a connection joins with
// a `wake` to call when a message is queued while it is idle, takes its messages one write
// at a time (next ... done), and leaves when it closes.
class LiveFeed {
public:
    virtual ~LiveFeed() = default;
    virtual std::uint64_t join(std::function<void()> wake) = 0;
    // The next message to write (text), or none when there is nothing to send now.
    virtual std::optional<std::shared_ptr<const std::string>> next(std::uint64_t id) = 0;
    virtual void done(std::uint64_t id) = 0;
    virtual void leave(std::uint64_t id) = 0;
};

struct Limits {
    std::size_t max_request_bytes = 8192;      // request line and headers; larger: 413
    std::size_t max_body_bytes = 0;            // prefix routes' request bodies; larger: 413
    std::chrono::milliseconds timeout{10000};  // to read a request, and to write its response
    std::size_t max_connections = 64;          // open at once; further ones are closed at once
};

// "host:port" as an endpoint: host is an IPv4 address, "localhost" (127.0.0.1) or an IPv6
// address in brackets ("[::1]:9464"); no name lookup. Port 0 asks the system for a free one.
// Errors: Errc::bad_address naming the text.
HttpResult<boost::asio::ip::tcp::endpoint> parse_address(std::string_view text);

// The value of the parameter `name` in a query string ("limit=5&node=QOP%2Fstockport"),
// percent-decoded ('+' is a space); nullopt when the parameter is absent. Errors: an escape
// that is not '%' and two hex digits, naming the parameter.
Result<std::optional<std::string>, std::string> query_value(std::string_view query,
                                                            std::string_view name);

class Server {
public:
    explicit Server(boost::asio::io_context& io, Limits limits = {});
    ~Server();  // stop()
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Answers GET `path` ("/metrics") with `handler`. Before start().
    void route(std::string path, Handler handler);
    // Answers every request whose path starts with `prefix` and has no exact route, any
    // method, with `handler` (the first prefix added that matches). Before start().
    void prefix(std::string prefix, RequestHandler handler);
    // Serves a WebSocket on `path`: each connection writes `feed`'s messages for it and
    // ignores what the client sends; it leaves the feed when it closes. `feed` must outlive
    // the server's connections (stop() closes them). A `guard` decides first. Before start().
    void live(std::string path, LiveFeed& feed, Guard guard = {});
    // Serves HTTPS only from now on (TLS 1.2 or later): `certificate_file` (PEM, the chain)
    // and `private_key_file` (PEM). Before start(). Errors: tls_failed naming the file and
    // OpenSSL's reason (unreadable, not PEM, "key values mismatch").
    HttpResult<std::monostate> use_tls(const std::string& certificate_file,
                                       const std::string& private_key_file);
    bool secure() const;
    // Connections open now (HTTP and WebSocket).
    std::size_t connections() const;

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
    class Open;
    template <typename Stream>
    class Connection;
    template <typename Stream>
    class WebSocket;
    void accept();

    boost::asio::io_context& io_;
    std::shared_ptr<Shared> shared_;  // also held by each open connection
    boost::asio::ip::tcp::acceptor acceptor_;
};

}  // namespace opel::http

#include "adapters/http/server.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <charconv>
#include <exception>
#include <list>
#include <map>
#include <vector>

namespace opel::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

std::string_view to_string(Errc code) {
    switch (code) {
        case Errc::bad_address:
            return "bad_address";
        case Errc::address_in_use:
            return "address_in_use";
        case Errc::insecure_address:
            return "insecure_address";
        case Errc::tls_failed:
            return "tls_failed";
        case Errc::listen_failed:
            break;
    }
    return "listen_failed";
}

HttpResult<tcp::endpoint> parse_address(std::string_view text) {
    const auto bad = [&](std::string_view why) {
        return unexpected(HttpError{Errc::bad_address, "bad HTTP address '" + std::string(text) +
                                                           "': " + std::string(why) +
                                                           " (expected host:port, e.g. "
                                                           "127.0.0.1:9464)"});
    };
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return bad("no port");
    }
    std::string host(text.substr(0, colon));
    const std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port > 65535) {
        return bad("the port is not a number from 0 to 65535");
    }
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    boost::system::error_code parse_error;
    const boost::asio::ip::address address = boost::asio::ip::make_address(host, parse_error);
    if (parse_error) {
        return bad("the host is not an IP address or localhost");
    }
    return tcp::endpoint(address, static_cast<unsigned short>(port));
}

Result<std::optional<std::string>, std::string> query_value(std::string_view query,
                                                            std::string_view name) {
    const auto hex = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    };
    for (std::size_t at = 0; at < query.size();) {
        const std::size_t end = std::min(query.find('&', at), query.size());
        const std::string_view pair = query.substr(at, end - at);
        at = end + 1;
        const std::size_t eq = pair.find('=');
        if (pair.substr(0, eq) != name) {
            continue;
        }
        const std::string_view raw = eq == std::string_view::npos ? "" : pair.substr(eq + 1);
        std::string value;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '+') {
                value += ' ';
            } else if (raw[i] != '%') {
                value += raw[i];
            } else if (i + 2 < raw.size() && hex(raw[i + 1]) >= 0 && hex(raw[i + 2]) >= 0) {
                value += static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
                i += 2;
            } else {
                return unexpected(std::string(name) + ": '" + std::string(raw.substr(i, 3)) +
                                  "' is not a percent escape (% and two hex digits)");
            }
        }
        return std::optional<std::string>(std::move(value));
    }
    return std::optional<std::string>();
}

// An open connection (HTTP or WebSocket, plain or TLS), as stop() closes it.
class Server::Open {
public:
    virtual ~Open() = default;
    virtual void close() = 0;
};

// What the server and its open connections share: the routes, the limits, the connections
// to close on stop, and whether it has stopped (connections outlive the Server object until
// their last handler has run).
struct Server::Shared {
    Limits limits;
    std::map<std::string, Handler, std::less<>> routes;
    std::vector<std::pair<std::string, RequestHandler>> prefixes;
    std::map<std::string, std::pair<LiveFeed*, Guard>, std::less<>> live;
    std::list<std::weak_ptr<Open>> open;
    std::unique_ptr<ssl::context> tls;  // HTTPS only when set
    bool stopped = false;
};

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

template <typename Stream>
constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

// A Request as the routes see it (the body moved in by the caller when it has one).
Request to_request(const bhttp::request<bhttp::string_body>& request, bool secure) {
    const std::string_view target(request.target().data(), request.target().size());
    const std::size_t q = target.find('?');
    Request r;
    r.method = std::string(request.method_string());
    r.path = std::string(target.substr(0, q));
    r.query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
    r.content_type = std::string(request[bhttp::field::content_type]);
    r.cookie = std::string(request[bhttp::field::cookie]);
    r.authorization = std::string(request[bhttp::field::authorization]);
    r.secure = secure;
    return r;
}

}  // namespace

// One WebSocket connection: writes its feed's messages one at a time and reads (and drops)
// what the client sends, which is how a close or a vanished client is noticed. Owned by the
// handlers of its pending operations.
template <typename Stream>
class Server::WebSocket final : public Server::Open,
                                public std::enable_shared_from_this<WebSocket<Stream>> {
public:
    WebSocket(Stream stream, LiveFeed& feed, std::shared_ptr<Shared> shared)
        : ws_(std::move(stream)), feed_(feed), shared_(std::move(shared)) {}

    void start(bhttp::request<bhttp::string_body> request) {
        request_ = std::move(request);                 // kept until the handshake is answered
        beast::get_lowest_layer(ws_).expires_never();  // the WebSocket's own timeouts rule
        websocket::stream_base::timeout timeouts{};
        timeouts.handshake_timeout = shared_->limits.timeout;
        timeouts.idle_timeout = std::chrono::seconds(30);  // pinged at half of it
        timeouts.keep_alive_pings = true;
        ws_.set_option(timeouts);
        ws_.read_message_max(4096);  // a client has nothing to say beyond control frames
        ws_.async_accept(request_, [self = this->shared_from_this()](beast::error_code ec) {
            if (ec || self->shared_->stopped) {
                return;
            }
            std::weak_ptr<WebSocket> weak = self;
            self->id_ = self->feed_.join([weak] {
                if (const auto s = weak.lock()) {
                    s->write_next();
                }
            });
            self->joined_ = true;
            self->write_next();
            self->read();
        });
    }

    void close() override {
        beast::error_code ignored;
        beast::get_lowest_layer(ws_).socket().close(ignored);
    }

private:
    void write_next() {
        if (!joined_ || writing_ || shared_->stopped) {
            return;
        }
        auto message = feed_.next(id_);
        if (!message) {
            return;
        }
        writing_ = true;
        current_ = std::move(*message);
        ws_.text(true);
        ws_.async_write(boost::asio::buffer(*current_),
                        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                            self->writing_ = false;
                            if (self->shared_->stopped) {
                                return;
                            }
                            self->feed_.done(self->id_);
                            if (ec) {
                                self->finish();
                                return;
                            }
                            self->write_next();
                        });
    }

    void read() {
        ws_.async_read(in_, [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
            if (self->shared_->stopped) {
                return;
            }
            if (ec) {
                self->finish();
                return;
            }
            self->in_.consume(n);
            self->read();
        });
    }

    void finish() {
        if (joined_) {
            joined_ = false;
            feed_.leave(id_);
        }
        close();
    }

    websocket::stream<Stream> ws_;
    bhttp::request<bhttp::string_body> request_;
    LiveFeed& feed_;
    std::shared_ptr<Shared> shared_;
    beast::flat_buffer in_;
    std::shared_ptr<const std::string> current_;
    std::uint64_t id_ = 0;
    bool joined_ = false;
    bool writing_ = false;
};

// One accepted connection: (over TLS, the handshake,) reads one request, writes one response,
// closes. Owned by the handlers of its pending operation (shared_from_this); Shared::open only
// observes it.
template <typename Stream>
class Server::Connection final : public Server::Open,
                                 public std::enable_shared_from_this<Connection<Stream>> {
public:
    Connection(tcp::socket socket, std::shared_ptr<Shared> shared)
        : stream_(make_stream(std::move(socket), *shared)),
          shared_(std::move(shared)),
          buffer_(shared_->limits.max_request_bytes + shared_->limits.max_body_bytes) {
        parser_.header_limit(static_cast<std::uint32_t>(shared_->limits.max_request_bytes));
        parser_.body_limit(shared_->limits.max_body_bytes);
    }

    void start() {
        beast::get_lowest_layer(stream_).expires_after(shared_->limits.timeout);
        if constexpr (is_tls<Stream>) {
            stream_.async_handshake(ssl::stream_base::server,
                                    [self = this->shared_from_this()](beast::error_code ec) {
                                        if (ec || self->shared_->stopped) {
                                            self->close();  // not TLS, or gone
                                            return;
                                        }
                                        self->read();
                                    });
        } else {
            read();
        }
    }

    void close() override {
        beast::error_code ignored;
        beast::get_lowest_layer(stream_).socket().close(ignored);
    }

private:
    static Stream make_stream(tcp::socket socket, Shared& shared) {
        if constexpr (is_tls<Stream>) {
            return Stream(beast::tcp_stream(std::move(socket)), *shared.tls);
        } else {
            return Stream(std::move(socket));
        }
    }

    void read() {
        bhttp::async_read(stream_, buffer_, parser_,
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_read(ec);
                          });
    }

    void on_read(beast::error_code ec) {
        if (shared_->stopped || ec == beast::error::timeout || ec == bhttp::error::end_of_stream ||
            ec == boost::asio::error::operation_aborted) {
            close();  // stopping, or the client sent nothing in time or went away
            return;
        }
        if (ec == bhttp::error::header_limit || ec == bhttp::error::body_limit ||
            ec == bhttp::error::buffer_overflow) {
            write({413, "text/plain; charset=utf-8", "request too large\n"});
            return;
        }
        if (ec) {
            write({400, "text/plain; charset=utf-8", "bad request\n"});
            return;
        }
        auto& request = parser_.get();
        const std::string_view target(request.target().data(), request.target().size());
        const auto live = shared_->live.find(target.substr(0, target.find('?')));
        if (live != shared_->live.end() && websocket::is_upgrade(request)) {
            if (const Guard& guard = live->second.second) {
                if (auto refused = guard(to_request(request, is_tls<Stream>))) {
                    write(std::move(*refused));
                    return;
                }
            }
            auto socket = std::make_shared<WebSocket<Stream>>(std::move(stream_),
                                                              *live->second.first, shared_);
            shared_->open.push_back(socket);
            socket->start(parser_.release());
            return;
        }
        dispatch(request);
    }

    // Answers with the GET route, the prefix route (now or later), or 404 / 405.
    void dispatch(bhttp::request<bhttp::string_body>& request) {
        const std::string_view target(request.target().data(), request.target().size());
        const std::string_view path = target.substr(0, target.find('?'));
        const auto route = shared_->routes.find(path);
        if (route != shared_->routes.end()) {
            write(request.method() != bhttp::verb::get
                      ? Response{405, "text/plain; charset=utf-8", "method not allowed: GET only\n"}
                      : guarded([&] { return route->second(); }));
            return;
        }
        for (const auto& [prefix, handler] : shared_->prefixes) {
            if (path.substr(0, prefix.size()) != prefix) {
                continue;
            }
            Request r = to_request(request, is_tls<Stream>);
            r.body = std::move(request.body());
            auto answered = std::make_shared<bool>(false);
            Respond respond = [self = this->shared_from_this(), answered](Response response) {
                if (*answered) {
                    return;
                }
                *answered = true;
                if (self->shared_->stopped) {
                    self->close();
                    return;
                }
                self->write(std::move(response));
            };
            try {
                handler(r, respond);
            } catch (const std::exception&) {
                respond({500, "text/plain; charset=utf-8", "internal error\n"});
            }
            return;
        }
        write({404, "text/plain; charset=utf-8", "not found\n"});
    }

    static Response guarded(const std::function<Response()>& handler) {
        try {
            return handler();
        } catch (const std::exception&) {
            return {500, "text/plain; charset=utf-8", "internal error\n"};
        }
    }

    void write(Response response) {
        response_.version(11);
        response_.result(response.status);
        response_.set(bhttp::field::content_type, response.content_type);
        if (response.status == 405) {
            response_.set(bhttp::field::allow, "GET");
        }
        response_.set("X-Content-Type-Options", "nosniff");
        response_.set("X-Frame-Options", "DENY");
        if constexpr (is_tls<Stream>) {
            response_.set(bhttp::field::strict_transport_security, "max-age=31536000");
        }
        for (const auto& [name, value] : response.headers) {
            response_.insert(name, value);
        }
        response_.keep_alive(false);
        response_.body() = std::move(response.body);
        response_.prepare_payload();
        beast::get_lowest_layer(stream_).expires_after(shared_->limits.timeout);
        bhttp::async_write(
            stream_, response_,
            [self = this->shared_from_this()](beast::error_code, std::size_t) { self->finish(); });
    }

    // After the response: TLS says close_notify first (bounded by the timeout set for the
    // write); plain TCP shuts its sending side. Then the socket closes.
    void finish() {
        if constexpr (is_tls<Stream>) {
            stream_.async_shutdown(
                [self = this->shared_from_this()](beast::error_code) { self->close(); });
        } else {
            beast::error_code ignored;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
            close();
        }
    }

    Stream stream_;
    std::shared_ptr<Shared> shared_;
    beast::flat_buffer buffer_;
    bhttp::request_parser<bhttp::string_body> parser_;
    bhttp::response<bhttp::string_body> response_;
};

Server::Server(boost::asio::io_context& io, Limits limits)
    : io_(io), shared_(std::make_shared<Shared>()), acceptor_(io) {
    shared_->limits = limits;
}

Server::~Server() { stop(); }

void Server::route(std::string path, Handler handler) {
    shared_->routes[std::move(path)] = std::move(handler);
}

void Server::prefix(std::string prefix, RequestHandler handler) {
    shared_->prefixes.emplace_back(std::move(prefix), std::move(handler));
}

void Server::live(std::string path, LiveFeed& feed, Guard guard) {
    shared_->live[std::move(path)] = {&feed, std::move(guard)};
}

HttpResult<std::monostate> Server::use_tls(const std::string& certificate_file,
                                           const std::string& private_key_file) {
    auto tls = std::make_unique<ssl::context>(ssl::context::tls_server);
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                     ssl::context::single_dh_use);
    boost::system::error_code ec;
    tls->use_certificate_chain_file(certificate_file, ec);
    if (ec) {
        return unexpected(HttpError{Errc::tls_failed, "cannot use the TLS certificate " +
                                                          certificate_file + ": " + ec.message()});
    }
    tls->use_private_key_file(private_key_file, ssl::context::pem, ec);
    if (ec) {  // unreadable, not PEM, or ("key values mismatch") another certificate's key
        return unexpected(HttpError{Errc::tls_failed, "cannot use the TLS private key " +
                                                          private_key_file +
                                                          " with the certificate " +
                                                          certificate_file + ": " + ec.message()});
    }
    shared_->tls = std::move(tls);
    return std::monostate{};
}

bool Server::secure() const { return shared_->tls != nullptr; }

std::size_t Server::connections() const {
    std::size_t n = 0;
    for (const auto& c : shared_->open) {
        n += c.expired() ? 0 : 1;
    }
    return n;
}

HttpResult<tcp::endpoint> Server::listen(std::string_view address, bool allow_insecure_remote) {
    auto endpoint = parse_address(address);
    if (!endpoint) {
        return endpoint;
    }
    const std::string named(address);
    if (!endpoint->address().is_loopback() && !allow_insecure_remote) {
        return unexpected(HttpError{Errc::insecure_address,
                                    "refusing to serve HTTP on non-loopback address " + named +
                                        " without encryption; use a loopback address such as "
                                        "127.0.0.1:9464, or pass --allow-insecure-remote"});
    }
    boost::system::error_code ec;
    acceptor_.open(endpoint->protocol(), ec);
    if (!ec) {
        acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor_.bind(*endpoint, ec);
    }
    if (!ec) {
        acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    }
    tcp::endpoint bound;
    if (!ec) {
        bound = acceptor_.local_endpoint(ec);
    }
    if (ec) {
        boost::system::error_code ignored;
        acceptor_.close(ignored);
        return unexpected(HttpError{
            ec == boost::asio::error::address_in_use ? Errc::address_in_use : Errc::listen_failed,
            "cannot listen on " + named + ": " + ec.message()});
    }
    return bound;
}

void Server::start() { accept(); }

void Server::accept() {
    acceptor_.async_accept([this, shared = shared_](beast::error_code ec, tcp::socket socket) {
        if (shared->stopped || ec == boost::asio::error::operation_aborted) {
            return;  // `this` may be gone: only `shared` is safe to touch
        }
        if (ec) {
            // Out of descriptors or similar: try again shortly rather than spin.
            auto retry = std::make_shared<boost::asio::steady_timer>(io_);
            retry->expires_after(std::chrono::milliseconds(100));
            retry->async_wait([this, shared, retry](beast::error_code waited) {
                if (!waited && !shared->stopped) {
                    accept();
                }
            });
            return;
        }
        shared->open.remove_if([](const std::weak_ptr<Open>& c) { return c.expired(); });
        if (shared->open.size() >= shared->limits.max_connections) {
            beast::error_code ignored;
            socket.close(ignored);
        } else if (shared->tls) {
            auto connection = std::make_shared<Connection<TlsStream>>(std::move(socket), shared);
            shared->open.push_back(connection);
            connection->start();
        } else {
            auto connection =
                std::make_shared<Connection<beast::tcp_stream>>(std::move(socket), shared);
            shared->open.push_back(connection);
            connection->start();
        }
        accept();
    });
}

void Server::stop() {
    if (shared_->stopped) {
        return;
    }
    shared_->stopped = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    for (const std::weak_ptr<Open>& c : shared_->open) {
        if (const std::shared_ptr<Open> open = c.lock()) {
            open->close();
        }
    }
    shared_->open.clear();
}

}  // namespace opel::http

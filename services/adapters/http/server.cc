#include "adapters/http/server.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <exception>
#include <list>
#include <map>

namespace opel::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

std::string_view to_string(Errc code) {
    switch (code) {
        case Errc::bad_address:
            return "bad_address";
        case Errc::address_in_use:
            return "address_in_use";
        case Errc::insecure_address:
            return "insecure_address";
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

// What the server and its open connections share: the routes, the limits, the connections
// to close on stop, and whether it has stopped (connections outlive the Server object until
// their last handler has run).
struct Server::Shared {
    Limits limits;
    std::map<std::string, Handler, std::less<>> routes;
    std::list<std::weak_ptr<Connection>> open;
    bool stopped = false;
};

// One accepted connection: reads one request, writes one response, closes. Owned by the
// handlers of its pending operation (shared_from_this); Shared::open only observes it.
class Server::Connection : public std::enable_shared_from_this<Connection> {
public:
    Connection(tcp::socket socket, std::shared_ptr<Shared> shared)
        : stream_(std::move(socket)),
          shared_(std::move(shared)),
          buffer_(shared_->limits.max_request_bytes) {
        parser_.header_limit(static_cast<std::uint32_t>(shared_->limits.max_request_bytes));
        parser_.body_limit(0);  // GET only: any body is too large
    }

    void start() {
        stream_.expires_after(shared_->limits.timeout);
        bhttp::async_read(
            stream_, buffer_, parser_,
            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void close() { stream_.close(); }

private:
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
        write(answer(parser_.get()));
    }

    // The route's response, or 404 (no such path) / 405 (not a GET).
    Response answer(const bhttp::request<bhttp::empty_body>& request) const {
        const std::string_view target(request.target().data(), request.target().size());
        const auto route = shared_->routes.find(target.substr(0, target.find('?')));
        if (route == shared_->routes.end()) {
            return {404, "text/plain; charset=utf-8", "not found\n"};
        }
        if (request.method() != bhttp::verb::get) {
            return {405, "text/plain; charset=utf-8", "method not allowed: GET only\n"};
        }
        try {
            return route->second();
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
        response_.keep_alive(false);
        response_.body() = std::move(response.body);
        response_.prepare_payload();
        stream_.expires_after(shared_->limits.timeout);
        bhttp::async_write(stream_, response_,
                           [self = shared_from_this()](beast::error_code, std::size_t) {
                               beast::error_code ignored;
                               self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
                               self->close();
                           });
    }

    beast::tcp_stream stream_;
    std::shared_ptr<Shared> shared_;
    beast::flat_buffer buffer_;
    bhttp::request_parser<bhttp::empty_body> parser_;
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
        shared->open.remove_if([](const std::weak_ptr<Connection>& c) { return c.expired(); });
        if (shared->open.size() >= shared->limits.max_connections) {
            beast::error_code ignored;
            socket.close(ignored);
        } else {
            auto connection = std::make_shared<Connection>(std::move(socket), shared);
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
    for (const std::weak_ptr<Connection>& c : shared_->open) {
        if (const std::shared_ptr<Connection> open = c.lock()) {
            open->close();
        }
    }
    shared_->open.clear();
}

}  // namespace opel::http

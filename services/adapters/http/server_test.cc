#include "adapters/http/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/tls.h"

namespace opel::http {
namespace {

using namespace std::chrono_literals;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

// A blocking client socket whose reads give up after 5 s, so no test can hang on the server.
tcp::socket connect_to(boost::asio::io_context& io, const tcp::endpoint& endpoint) {
    tcp::socket socket(io);
    socket.connect(endpoint);
    const timeval five_seconds{5, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &five_seconds,
                 sizeof five_seconds);
    return socket;
}

// The response to `request` (raw HTTP), or nullopt when the server closed without one.
std::optional<bhttp::response<bhttp::string_body>> round_trip(tcp::socket& socket,
                                                              const std::string& request) {
    boost::asio::write(socket, boost::asio::buffer(request));
    boost::beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    boost::beast::error_code ec;
    bhttp::read(socket, buffer, response, ec);
    if (ec) {
        return std::nullopt;
    }
    return response;
}

TEST(QueryValueTest, FindsAParameterAndDecodesItsEscapes) {
    EXPECT_EQ(query_value("limit=5&node=QOP%2Fstockport", "node").value(), "QOP/stockport");
    EXPECT_EQ(query_value("limit=5&node=QOP%2fstockport", "node").value(), "QOP/stockport");
    EXPECT_EQ(query_value("q=a+b%20c", "q").value(), "a b c");
    EXPECT_EQ(query_value("limit=5", "limit").value(), "5");
    EXPECT_EQ(query_value("flag&x=1", "flag").value(), "");
    EXPECT_EQ(query_value("limit=5", "node").value(), std::nullopt);
    EXPECT_EQ(query_value("", "node").value(), std::nullopt);
    EXPECT_EQ(query_value("nodes=1&node=2", "node").value(), "2");  // whole names only
}

TEST(QueryValueTest, ABrokenEscapeIsAnErrorNamingTheParameter) {
    for (const char* query : {"node=%2", "node=%", "node=a%zzb", "node=%g0"}) {
        const auto value = query_value(query, "node");
        ASSERT_FALSE(value) << query;
        EXPECT_NE(value.error().find("node: '%"), std::string::npos) << value.error();
        EXPECT_NE(value.error().find("is not a percent escape"), std::string::npos);
    }
}

// A live feed that has nothing to send (the guard's tests never get that far).
class QuietFeed final : public LiveFeed {
public:
    std::uint64_t join(std::function<void()>) override { return 1; }
    std::optional<std::shared_ptr<const std::string>> next(std::uint64_t) override { return {}; }
    void done(std::uint64_t) override {}
    void leave(std::uint64_t) override {}
};

// A server on 127.0.0.1:0 whose io_context runs on its own thread; the test is the client.
class HttpServerTest : public ::testing::Test {
protected:
    void serve(Limits limits = {}, const testing::TestCertificate* tls = nullptr) {
        server_ = std::make_unique<Server>(io_, limits);
        if (tls) {
            ASSERT_TRUE(server_->use_tls(tls->certificate, tls->private_key));
        }
        // Echoes what a route learns of the caller, and answers with an extra header.
        server_->prefix("/who/", [](const Request& r, const Respond& respond) {
            Response out{200, "text/plain",
                         "cookie=" + r.cookie + " authorization=" + r.authorization +
                             " secure=" + (r.secure ? "yes" : "no")};
            out.headers.emplace_back("Set-Cookie", "s=1; HttpOnly");
            respond(std::move(out));
        });
        server_->live("/live", feed_, [](const Request& r) -> std::optional<Response> {
            if (r.cookie != "s=1") {
                return Response{401, "text/plain", "log in first\n"};
            }
            return std::nullopt;
        });
        server_->route("/metrics", [] {
            return Response{200, "text/plain; version=0.0.4", "m 1\n"};
        });
        server_->route("/broken", []() -> Response { throw std::runtime_error("bug"); });
        server_->prefix("/api/", [](const Request& r, const Respond& respond) {
            respond(
                {200, "text/plain",
                 r.method + " " + r.path + " ?" + r.query + " [" + r.content_type + "] " + r.body});
        });
        // Answered later: the test answers it (on the io_context's thread) with `answer_later`.
        server_->prefix("/later/", [this](const Request& r, Respond respond) {
            waiting_.push_back(std::move(respond));
            waiting_paths_.set_value(r.path);
        });
        auto bound = server_->listen("127.0.0.1:0", false);
        ASSERT_TRUE(bound) << bound.error().message;
        endpoint_ = *bound;
        server_->start();
        thread_ = std::thread([this] { io_.run(); });
    }

    void TearDown() override {
        if (thread_.joinable()) {
            boost::asio::post(io_, [this] { server_->stop(); });
            work_.reset();
            thread_.join();
        }
    }

    // Answers every waiting /later/ request with `body`, twice (the second call is ignored).
    void answer_later(const std::string& body) {
        boost::asio::post(io_, [this, body] {
            for (const Respond& respond : waiting_) {
                respond({202, "text/plain", body});
                respond({500, "text/plain", "answered twice"});
            }
        });
    }

    std::optional<bhttp::response<bhttp::string_body>> get(const std::string& target,
                                                           const std::string& method = "GET") {
        tcp::socket socket = connect_to(client_io_, endpoint_);
        return round_trip(socket, method + " " + target + " HTTP/1.1\r\nHost: test\r\n\r\n");
    }

    boost::asio::io_context io_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
        io_.get_executor()};
    boost::asio::io_context client_io_;
    QuietFeed feed_;
    std::unique_ptr<Server> server_;
    tcp::endpoint endpoint_;
    std::thread thread_;
    std::vector<Respond> waiting_;             // io_'s thread only
    std::promise<std::string> waiting_paths_;  // set when the (one) /later/ request arrives
};

TEST_F(HttpServerTest, AnswersARouteWithItsStatusContentTypeAndBody) {
    serve();
    EXPECT_NE(endpoint_.port(), 0);  // port 0 was given a free port
    auto response = get("/metrics");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 200U);
    EXPECT_EQ((*response)[bhttp::field::content_type], "text/plain; version=0.0.4");
    EXPECT_EQ(response->body(), "m 1\n");
    EXPECT_FALSE(response->keep_alive());
}

TEST_F(HttpServerTest, IgnoresTheQueryString) {
    serve();
    auto response = get("/metrics?name=x");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 200U);
}

TEST_F(HttpServerTest, AnUnknownPathIsNotFound) {
    serve();
    auto response = get("/nothing-here");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 404U);
}

TEST_F(HttpServerTest, AMethodOtherThanGetIsNotAllowed) {
    serve();
    auto response = get("/metrics", "DELETE");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 405U);
    EXPECT_EQ((*response)[bhttp::field::allow], "GET");
}

TEST_F(HttpServerTest, AHandlerThatThrowsIsAnsweredWithAnInternalError) {
    serve();
    auto response = get("/broken");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 500U);
    EXPECT_EQ(get("/metrics")->result_int(), 200U);  // and it keeps serving
}

TEST_F(HttpServerTest, AnOversizeRequestIsRefused) {
    Limits limits;
    limits.max_request_bytes = 1024;
    serve(limits);
    tcp::socket socket = connect_to(client_io_, endpoint_);
    auto response = round_trip(socket, "GET /metrics HTTP/1.1\r\nHost: test\r\nX-Pad: " +
                                           std::string(4096, 'x') + "\r\n\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 413U);
}

TEST_F(HttpServerTest, ARequestWithABodyIsRefused) {
    serve();
    tcp::socket socket = connect_to(client_io_, endpoint_);
    auto response =
        round_trip(socket, "GET /metrics HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n\r\nhello");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 413U);
}

TEST_F(HttpServerTest, APrefixRouteTakesAnyMethodWithItsQueryAndABoundedBody) {
    Limits limits;
    limits.max_body_bytes = 16;
    serve(limits);
    tcp::socket socket = connect_to(client_io_, endpoint_);
    auto response = round_trip(socket,
                               "POST /api/v1/ack?x=1 HTTP/1.1\r\nHost: test\r\nContent-Type: "
                               "application/json\r\nContent-Length: 5\r\n\r\nhello");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 200U);
    EXPECT_EQ(response->body(), "POST /api/v1/ack ?x=1 [application/json] hello");
    tcp::socket again = connect_to(client_io_, endpoint_);
    response =
        round_trip(again, "POST /api/x HTTP/1.1\r\nHost: test\r\nContent-Length: 17\r\n\r\n" +
                              std::string(17, 'b'));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 413U);      // over max_body_bytes
    EXPECT_EQ(get("/metrics")->body(), "m 1\n");  // an exact route still wins
    EXPECT_EQ(get("/other")->result_int(), 404U);
}

TEST_F(HttpServerTest, APrefixRouteMayAnswerLaterWithoutHoldingUpOtherRequests) {
    Limits limits;
    limits.max_body_bytes = 16;
    serve(limits);
    tcp::socket socket = connect_to(client_io_, endpoint_);
    boost::asio::write(
        socket, boost::asio::buffer(std::string("POST /later/upload HTTP/1.1\r\nHost: test\r\n"
                                                "Content-Length: 2\r\n\r\nhi")));
    auto arrived = waiting_paths_.get_future();
    ASSERT_EQ(arrived.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(arrived.get(), "/later/upload");
    // The waiting request holds nothing up: another is answered meanwhile.
    EXPECT_EQ(get("/metrics")->body(), "m 1\n");
    answer_later("done");
    boost::beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    boost::beast::error_code ec;
    bhttp::read(socket, buffer, response, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(response.result_int(), 202U);  // the first answer; the second is ignored
    EXPECT_EQ(response.body(), "done");
}

TEST_F(HttpServerTest, ASlowClientDoesNotDelayAnother) {
    serve();  // a 10 s read deadline: the slow client is still pending below
    tcp::socket slow = connect_to(client_io_, endpoint_);
    boost::asio::write(slow, boost::asio::buffer(std::string("GET /metrics HTTP/1.1\r\n")));
    auto response = get("/metrics");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 200U);
}

TEST_F(HttpServerTest, AClientThatSendsNothingIsClosedAtTheDeadline) {
    Limits limits;
    limits.timeout = 200ms;
    serve(limits);
    tcp::socket silent = connect_to(client_io_, endpoint_);
    char byte = 0;
    boost::system::error_code ec;
    // Returns when the server closes (eof), or after the 5 s receive timeout (a failure).
    silent.read_some(boost::asio::buffer(&byte, 1), ec);
    EXPECT_EQ(ec, boost::asio::error::eof) << ec.message();
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitAreClosedAndTheOthersServed) {
    Limits limits;
    limits.max_connections = 1;
    serve(limits);
    tcp::socket holding = connect_to(client_io_, endpoint_);
    boost::asio::write(holding, boost::asio::buffer(std::string("GET /metrics HTTP/1.1\r\n")));
    EXPECT_FALSE(get("/metrics"));  // closed without a response
    boost::asio::write(holding, boost::asio::buffer(std::string("Host: test\r\n\r\n")));
    boost::beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    bhttp::read(holding, buffer, response);
    EXPECT_EQ(response.result_int(), 200U);
}

TEST_F(HttpServerTest, ARouteSeesTheCookieAndAuthorizationAndMaySetHeaders) {
    serve();
    tcp::socket socket = connect_to(client_io_, endpoint_);
    auto response = round_trip(socket,
                               "GET /who/ HTTP/1.1\r\nHost: test\r\nCookie: s=1\r\n"
                               "Authorization: Bearer abc\r\n\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body(), "cookie=s=1 authorization=Bearer abc secure=no");
    EXPECT_EQ((*response)[bhttp::field::set_cookie], "s=1; HttpOnly");
    EXPECT_EQ((*response)["X-Content-Type-Options"], "nosniff");
    EXPECT_EQ((*response)["X-Frame-Options"], "DENY");
    EXPECT_EQ((*response)[bhttp::field::strict_transport_security], "");  // not over plain HTTP
}

TEST_F(HttpServerTest, AGuardRefusesAWebSocketUpgradeWithItsResponse) {
    serve();
    const std::string upgrade =
        "GET /live HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    tcp::socket refused = connect_to(client_io_, endpoint_);
    auto response = round_trip(refused, upgrade + "\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 401U);
    EXPECT_EQ(response->body(), "log in first\n");
    tcp::socket allowed = connect_to(client_io_, endpoint_);
    response = round_trip(allowed, upgrade + "Cookie: s=1\r\n\r\n");
    ASSERT_TRUE(response);
    EXPECT_EQ(response->result_int(), 101U);  // switching protocols
}

// HTTPS: a certificate made for this test; the client trusts only it.
class HttpsServerTest : public HttpServerTest {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("opel-https-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
        cert_ = testing::make_certificate(dir_, "server");
    }
    void TearDown() override {
        HttpServerTest::TearDown();
        std::filesystem::remove_all(dir_);
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(endpoint_.port()); }

    std::filesystem::path dir_;
    testing::TestCertificate cert_;
};

TEST_F(HttpsServerTest, ServesOverTlsWithHstsAndTellsRoutesTheRequestWasSecure) {
    serve({}, &cert_);
    EXPECT_TRUE(server_->secure());
    std::string error;
    auto reply =
        testing::https_request("GET", address(), "/metrics", cert_.certificate, {}, {}, &error);
    ASSERT_TRUE(reply) << error;
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, "m 1\n");
    EXPECT_NE(reply->headers.find("Strict-Transport-Security: max-age=31536000"), std::string::npos)
        << reply->headers;
    reply = testing::https_request("GET", address(), "/who/", cert_.certificate, {},
                                   {{"Cookie", "s=1"}}, &error);
    ASSERT_TRUE(reply) << error;
    EXPECT_EQ(reply->body, "cookie=s=1 authorization= secure=yes");
}

TEST_F(HttpsServerTest, PlainHttpToATlsServerGetsNoAnswerAndServingGoesOn) {
    serve({}, &cert_);
    EXPECT_FALSE(get("/metrics"));  // closed: not a TLS handshake
    std::string error;
    auto reply =
        testing::https_request("GET", address(), "/metrics", cert_.certificate, {}, {}, &error);
    ASSERT_TRUE(reply) << error;
    EXPECT_EQ(reply->status, 200);
}

TEST_F(HttpsServerTest, AClientThatTrustsAnotherCertificateRefusesTheServer) {
    serve({}, &cert_);
    const testing::TestCertificate other = testing::make_certificate(dir_, "other");
    std::string error;
    EXPECT_FALSE(
        testing::https_request("GET", address(), "/metrics", other.certificate, {}, {}, &error));
    EXPECT_NE(error.find("certificate"), std::string::npos) << error;
}

TEST_F(HttpsServerTest, AMissingFileOrAKeyOfAnotherCertificateIsNamed) {
    const testing::TestCertificate other = testing::make_certificate(dir_, "other");
    Server server(io_);
    auto missing = server.use_tls((dir_ / "absent.pem").string(), cert_.private_key);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::tls_failed);
    EXPECT_NE(missing.error().message.find("absent.pem"), std::string::npos)
        << missing.error().message;
    auto mismatched = server.use_tls(cert_.certificate, other.private_key);
    ASSERT_FALSE(mismatched);
    EXPECT_NE(mismatched.error().message.find("other-key.pem with the certificate " +
                                              cert_.certificate + ": key values mismatch"),
              std::string::npos)
        << mismatched.error().message;
    EXPECT_FALSE(server.secure());
}

TEST(HttpAddressTest, ParsesLoopbackAddressesAndPorts) {
    EXPECT_EQ(parse_address("127.0.0.1:9464")->port(), 9464);
    EXPECT_EQ(parse_address("localhost:0")->address().to_string(), "127.0.0.1");
    EXPECT_TRUE(parse_address("[::1]:9464")->address().is_loopback());
}

TEST(HttpAddressTest, RefusesWhatIsNotAnIpAndPort) {
    for (const char* bad : {"9464", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:9x",
                            "example.org:80", ":9464", "off"}) {
        auto parsed = parse_address(bad);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_EQ(parsed.error().code, Errc::bad_address) << bad;
        EXPECT_NE(parsed.error().message.find(bad), std::string::npos) << parsed.error().message;
    }
}

TEST(HttpListenTest, RefusesANonLoopbackAddressUnlessAllowed) {
    boost::asio::io_context io;
    Server refused(io);
    auto listened = refused.listen("0.0.0.0:0", false);
    ASSERT_FALSE(listened);
    EXPECT_EQ(listened.error().code, Errc::insecure_address);
    Server allowed(io);
    EXPECT_TRUE(allowed.listen("0.0.0.0:0", true));
}

TEST(HttpListenTest, AnAddressInUseIsNamed) {
    boost::asio::io_context io;
    Server first(io);
    auto bound = first.listen("127.0.0.1:0", false);
    ASSERT_TRUE(bound);
    Server second(io);
    auto again = second.listen("127.0.0.1:" + std::to_string(bound->port()), false);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().code, Errc::address_in_use) << again.error().message;
}

}  // namespace
}  // namespace opel::http

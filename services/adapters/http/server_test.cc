#include "adapters/http/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>

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

// A server on 127.0.0.1:0 whose io_context runs on its own thread; the test is the client.
class HttpServerTest : public ::testing::Test {
protected:
    void serve(Limits limits = {}) {
        server_ = std::make_unique<Server>(io_, limits);
        server_->route("/metrics", [] {
            return Response{200, "text/plain; version=0.0.4", "m 1\n"};
        });
        server_->route("/broken", []() -> Response { throw std::runtime_error("bug"); });
        server_->prefix("/api/", [](const Request& r) {
            return Response{
                200, "text/plain",
                r.method + " " + r.path + " ?" + r.query + " [" + r.content_type + "] " + r.body};
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

    std::optional<bhttp::response<bhttp::string_body>> get(const std::string& target,
                                                           const std::string& method = "GET") {
        tcp::socket socket = connect_to(client_io_, endpoint_);
        return round_trip(socket, method + " " + target + " HTTP/1.1\r\nHost: test\r\n\r\n");
    }

    boost::asio::io_context io_{1};
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
        io_.get_executor()};
    boost::asio::io_context client_io_;
    std::unique_ptr<Server> server_;
    tcp::endpoint endpoint_;
    std::thread thread_;
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

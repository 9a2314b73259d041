#include "adapters/net/client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "adapters/net/asio_socket.h"

namespace opel::net {
namespace {

using namespace std::chrono_literals;

// Clients against plain ZeroMQ sockets over inproc: a peer that never answers, or one that
// sends what the client does not expect.
class ClientTest : public ::testing::Test {
protected:
    zmq::context_t context_;
};

TEST_F(ClientTest, RequestWithNoReplyIsATimeoutNamingEndpointAndAttempts) {
    zmq::socket_t deaf(context_, zmq::socket_type::router);
    deaf.bind("inproc://client-test-deaf");
    RequestClient client(context_, "inproc://client-test-deaf");
    const auto answer = client.request("ping", 20ms, 1);
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().code, Errc::timeout);
    EXPECT_EQ(answer.error().message,
              "no reply from inproc://client-test-deaf after 2 attempts of 20 ms "
              "(is opel-escalatord running?)");
}

TEST_F(ClientTest, RequestGetsTheReply) {
    zmq::socket_t echo(context_, zmq::socket_type::router);
    echo.bind("inproc://client-test-echo");
    RequestClient client(context_, "inproc://client-test-echo");
    ASSERT_TRUE(client.send("ping"));
    std::vector<zmq::message_t> parts;
    ASSERT_TRUE(zmq::recv_multipart(echo, std::back_inserter(parts)));
    ASSERT_EQ(parts.size(), 2U);
    zmq::send_multipart(echo, parts);
    const auto reply = client.receive(5s);
    ASSERT_TRUE(reply);
    EXPECT_EQ(*reply, "ping");
}

TEST_F(ClientTest, ReceiveWithNothingWaitingIsATimeout) {
    zmq::socket_t deaf(context_, zmq::socket_type::router);
    deaf.bind("inproc://client-test-quiet");
    RequestClient client(context_, "inproc://client-test-quiet");
    const auto reply = client.receive(10ms);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Errc::timeout);
}

TEST_F(ClientTest, SubscriberReportsAMessageThatIsNotTopicAndPayload) {
    zmq::socket_t publisher(context_, zmq::socket_type::pub);
    publisher.bind("inproc://client-test-pub");
    Subscriber subscriber(context_, "inproc://client-test-pub", {""});
    // The subscription reaches the publisher asynchronously: publish until one arrives.
    NetResult<std::pair<std::string, std::string>> got =
        unexpected(NetError{Errc::timeout, "nothing yet"});
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!got && got.error().code == Errc::timeout &&
           std::chrono::steady_clock::now() < deadline) {
        publisher.send(zmq::str_buffer("lonely"), zmq::send_flags::none);
        got = subscriber.receive(10ms);
    }
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, Errc::receive_failed);
}

TEST_F(ClientTest, SubscriberWithNothingPublishedTimesOut) {
    zmq::socket_t publisher(context_, zmq::socket_type::pub);
    publisher.bind("inproc://client-test-silent");
    Subscriber subscriber(context_, "inproc://client-test-silent", {""});
    const auto got = subscriber.receive(10ms);
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, Errc::timeout);
}

TEST_F(ClientTest, BindToATakenAddressIsAddressInUse) {
    zmq::socket_t first(context_, zmq::socket_type::router);
    zmq::socket_t second(context_, zmq::socket_type::router);
    ASSERT_TRUE(bind(first, "inproc://client-test-taken"));
    const auto bound = bind(second, "inproc://client-test-taken");
    ASSERT_FALSE(bound);
    EXPECT_EQ(bound.error().code, Errc::address_in_use);
    EXPECT_EQ(bound.error().message.rfind("cannot bind inproc://client-test-taken: ", 0), 0U);
}

TEST_F(ClientTest, BindToAMalformedEndpointIsBadEndpoint) {
    zmq::socket_t socket(context_, zmq::socket_type::router);
    const auto bound = bind(socket, "nonsense://x");
    ASSERT_FALSE(bound);
    EXPECT_EQ(bound.error().code, Errc::bad_endpoint);
    EXPECT_EQ(to_string(bound.error().code), "bad_endpoint");
}

}  // namespace
}  // namespace opel::net

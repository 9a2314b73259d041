#include "adapters/net/asio_socket.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace opel::net {
namespace {

using namespace std::chrono_literals;

// A PULL AsioSocket fed by a plain PUSH socket over inproc (no I/O thread: a send signals
// the reader's fd before it returns).
class AsioSocketTest : public ::testing::Test {
protected:
    AsioSocketTest()
        : pull_(io_, context_, zmq::socket_type::pull), push_(context_, zmq::socket_type::push) {
        pull_.socket().bind("inproc://asio-socket-test");
        push_.connect("inproc://asio-socket-test");
    }

    void send(const std::string& text) { push_.send(zmq::buffer(text), zmq::send_flags::none); }

    // Runs handlers until `done` or 5 s pass; true if `done`.
    bool run_until(const std::function<bool()>& done) {
        const auto deadline = std::chrono::steady_clock::now() + 5s;
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            io_.run_one_for(10ms);
        }
        return done();
    }

    boost::asio::io_context io_{1};
    zmq::context_t context_;
    AsioSocket pull_;
    zmq::socket_t push_;
};

TEST_F(AsioSocketTest, WakesForEachMessageThatArrivesWhileItWaits) {
    std::vector<std::string> received;
    pull_.start([&] {
        while (pull_.readable()) {
            zmq::message_t m;
            if (pull_.socket().recv(m, zmq::recv_flags::dontwait)) {
                received.push_back(m.to_string());
            }
        }
    });
    send("one");
    ASSERT_TRUE(run_until([&] { return received.size() == 1; }));
    send("two");
    ASSERT_TRUE(run_until([&] { return received.size() == 2; }));
    EXPECT_EQ(received, (std::vector<std::string>{"one", "two"}));
}

// A message that arrives after the owner's last ZMQ_EVENTS and before the socket waits again
// is still delivered (its signal must not be consumed without a call).
TEST_F(AsioSocketTest, InputArrivingAsTheOwnerReturnsStillGetsACall) {
    std::vector<std::string> received;
    bool sent_late = false;
    pull_.start([&] {
        while (pull_.readable()) {
            zmq::message_t m;
            if (pull_.socket().recv(m, zmq::recv_flags::dontwait)) {
                received.push_back(m.to_string());
            }
        }
        if (!received.empty() && !sent_late) {
            sent_late = true;
            send("late");  // drained, not yet waiting again
        }
    });
    send("first");
    ASSERT_TRUE(run_until([&] { return received.size() == 2; }))
        << received.size() << " message(s) received";
    EXPECT_EQ(received, (std::vector<std::string>{"first", "late"}));
}

// An owner under back-pressure returns without reading and without asking ZMQ_EVENTS (the
// escalator's submit handler does this while its pipeline is full). The fd's signal must
// still be consumed, or every re-arm completes at once and the thread spins (it did, in
// epoll_ctl, while the storage thread was committing).
TEST_F(AsioSocketTest, AnOwnerThatLeavesInputWaitingDoesNotMakeItSpin) {
    int calls = 0;
    bool paused = true;
    std::vector<std::string> received;
    pull_.start([&] {
        ++calls;
        if (paused) {
            return;
        }
        zmq::message_t m;
        while (pull_.socket().recv(m, zmq::recv_flags::dontwait)) {
            received.push_back(m.to_string());
        }
    });
    send("waiting");
    ASSERT_TRUE(run_until([&] { return calls >= 1; }));
    const int woken = calls;
    // Everything that is ready now runs; a spinning socket is ready again after every call.
    for (int i = 0; i < 200; ++i) {
        io_.poll_one();
    }
    EXPECT_LE(calls, woken + 1) << "the handler ran " << calls - woken
                                << " more times with nothing new to read";
    EXPECT_TRUE(received.empty());

    // The owner resumes with after_send(): the waiting message is delivered.
    paused = false;
    pull_.after_send();
    ASSERT_TRUE(run_until([&] { return received.size() == 1; }));
    EXPECT_EQ(received.front(), "waiting");
}

// localhost and [::1] pass the loopback check, so they must also bind (a bind does not
// resolve names, and IPv6 is off by default in ZeroMQ).
TEST(LoopbackEndpointTest, LocalhostAndIpv6LoopbackBindAndCarryARequest) {
    boost::asio::io_context io{1};
    zmq::context_t context;
    for (const std::string endpoint : {"tcp://localhost:*", "tcp://[::1]:*"}) {
        ASSERT_TRUE(is_local_endpoint(endpoint)) << endpoint;
        AsioSocket server(io, context, zmq::socket_type::pull);
        ASSERT_NO_THROW(server.socket().bind(bindable(endpoint))) << endpoint;
        const std::string bound = server.socket().get(zmq::sockopt::last_endpoint);
        zmq::socket_t client(context, zmq::socket_type::push);
        client.set(zmq::sockopt::ipv6, 1);
        client.connect(bound);
        ASSERT_TRUE(client.send(zmq::str_buffer("ping"), zmq::send_flags::none));
        server.socket().set(zmq::sockopt::rcvtimeo, 5000);
        zmq::message_t got;
        ASSERT_TRUE(server.socket().recv(got)) << endpoint;
        EXPECT_EQ(got.to_string(), "ping");
    }
    EXPECT_EQ(bindable("tcp://localhost:5560"), "tcp://127.0.0.1:5560");
    EXPECT_EQ(bindable("ipc:///run/opel/submit"), "ipc:///run/opel/submit");
}

}  // namespace
}  // namespace opel::net

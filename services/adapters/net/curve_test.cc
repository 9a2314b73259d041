#include "adapters/net/curve.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zmq.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "adapters/net/client.h"

namespace opel::net {
namespace {

using namespace std::chrono_literals;

struct Pair {
    CurveKey public_key;
    CurveKey secret_key;
};

Pair new_pair() {
    std::array<char, 41> pub{};
    std::array<char, 41> sec{};
    EXPECT_EQ(zmq_curve_keypair(pub.data(), sec.data()), 0);
    return {decode_key(pub.data()).value(), decode_key(sec.data()).value()};
}

// The frames of the next message on `socket` within `limit`; empty when none came.
std::vector<zmq::message_t> next_message(zmq::socket_t& socket, std::chrono::milliseconds limit) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    std::vector<zmq::message_t> parts;
    if (zmq::poll(&item, 1, limit) > 0) {
        (void)zmq::recv_multipart(socket, std::back_inserter(parts), zmq::recv_flags::dontwait);
    }
    return parts;
}

TEST(CurveKeyTest, DecodesZ85AndNamesWhatIsWrong) {
    const Pair pair = new_pair();
    const std::string text = encode_key(pair.public_key);
    ASSERT_EQ(text.size(), 40U);
    EXPECT_EQ(decode_key("  " + text + "\n").value(), pair.public_key);
    EXPECT_EQ(decode_key(text.substr(1)).error(),
              "a CURVE key is 40 characters of Z85 (as opel keygen writes it), not 39");
    EXPECT_EQ(decode_key(std::string(40, '"')).error(),
              "not Z85: a CURVE key has only Z85's 85 characters");
    EXPECT_EQ(public_key_of(pair.secret_key), pair.public_key);
}

TEST(CurveKeyTest, ClientKeysMustBeAPairAndNameTheFile) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("opel-curve-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const Pair server = new_pair();
    const Pair mine = new_pair();
    const Pair other = new_pair();
    const auto write = [&dir](const std::string& name, const CurveKey& key) {
        std::ofstream(dir / name) << encode_key(key) << "\n";
        return (dir / name).string();
    };
    const std::string server_file = write("server.pub", server.public_key);
    const std::string pub = write("mine.pub", mine.public_key);
    const std::string sec = write("mine.key", mine.secret_key);
    const std::string wrong = write("other.key", other.secret_key);
    const auto keys = read_client_keys(server_file, pub, sec);
    ASSERT_TRUE(keys) << keys.error();
    EXPECT_EQ(keys->server, server.public_key);
    const std::string server_secret = write("server.key", server.secret_key);
    EXPECT_EQ(read_server_key(server_secret, server_file).value(), server.secret_key);
    EXPECT_EQ(read_server_key(server_secret, pub).error(),
              pub + " is not the public key of " + server_secret);
    EXPECT_EQ(read_client_keys(server_file, pub, wrong).error(),
              pub + " is not the public key of " + wrong + " (a pair from one opel keygen)");
    EXPECT_EQ(read_client_keys((dir / "absent.pub").string(), pub, sec).error(),
              "cannot read the key file " + (dir / "absent.pub").string());
    std::ofstream(dir / "short.pub") << "abc\n";
    EXPECT_EQ(read_client_keys((dir / "short.pub").string(), pub, sec).error(),
              (dir / "short.pub").string() +
                  ": a CURVE key is 40 characters of Z85 (as opel keygen writes it), not 3");
    std::filesystem::remove_all(dir);
}

// A CURVE ROUTER on loopback TCP (inproc has no handshake) behind a ZAP handler that knows
// one client, "rmc".
class ZapTest : public ::testing::Test {
protected:
    ZapTest()
        : zap_(context_, [this](const std::string& key, const std::string& /*address*/) {
              const std::lock_guard lock(mutex_);
              refused_keys_.push_back(key);
              refused_.notify_all();
          }) {
        zap_.allow({{known_.public_key, "rmc"}});
        make_curve_server(server_, server_keys_.secret_key);
        server_.set(zmq::sockopt::linger, 0);
        server_.bind("tcp://127.0.0.1:*");
        endpoint_ = server_.get(zmq::sockopt::last_endpoint);
    }

    ClientKeys keys_of(const Pair& pair) const {
        return {server_keys_.public_key, pair.public_key, pair.secret_key};
    }

    // The known client sends; its message is the only one the server gets.
    void expect_only_the_known_client_arrives() {
        RequestClient known(context_, endpoint_, keys_of(known_));
        ASSERT_TRUE(known.send("hello"));
        auto parts = next_message(server_, 10s);
        ASSERT_EQ(parts.size(), 2U);
        EXPECT_EQ(parts[1].to_string(), "hello");
        EXPECT_TRUE(next_message(server_, 100ms).empty());
    }

    // Waits (at most 10 s) until the handler has refused `n` handshakes.
    bool refusals(std::size_t n) {
        std::unique_lock lock(mutex_);
        return refused_.wait_for(lock, 10s, [&] { return refused_keys_.size() >= n; });
    }

    zmq::context_t context_;
    std::mutex mutex_;
    std::condition_variable refused_;
    std::vector<std::string> refused_keys_;
    ZapHandler zap_;
    Pair server_keys_ = new_pair();
    Pair known_ = new_pair();
    zmq::socket_t server_{context_, zmq::socket_type::router};
    std::string endpoint_;
};

TEST_F(ZapTest, AKnownKeyIsAdmittedAndItsMessagesCarryItsName) {
    RequestClient client(context_, endpoint_, keys_of(known_));
    ASSERT_TRUE(client.send("hello"));
    auto parts = next_message(server_, 10s);
    ASSERT_EQ(parts.size(), 2U);
    EXPECT_EQ(parts[1].to_string(), "hello");
    EXPECT_EQ(client_name(parts[1]), "rmc");
    EXPECT_EQ(zap_.admitted(), 1U);
    EXPECT_EQ(zap_.refused(), 0U);
}

TEST_F(ZapTest, AnUnknownKeyIsRefusedCountedAndReportedAndNothingArrives) {
    const Pair stranger = new_pair();
    RequestClient refused(context_, endpoint_, keys_of(stranger));
    ASSERT_TRUE(refused.send("let me in"));
    ASSERT_TRUE(refusals(1));
    {
        const std::lock_guard lock(mutex_);
        ASSERT_FALSE(refused_keys_.empty());
        EXPECT_EQ(refused_keys_.front(), encode_key(stranger.public_key));
    }
    expect_only_the_known_client_arrives();
}

TEST_F(ZapTest, AClientWithoutKeysGetsNoConnection) {
    RequestClient plain(context_, endpoint_);
    ASSERT_TRUE(plain.send("no keys"));
    expect_only_the_known_client_arrives();
}

TEST_F(ZapTest, ANewAllowListAppliesToTheNextHandshake) {
    zap_.allow({});
    RequestClient client(context_, endpoint_, keys_of(known_));
    ASSERT_TRUE(client.send("hello"));
    ASSERT_TRUE(refusals(1));
    EXPECT_EQ(zap_.admitted(), 0U);
    zap_.allow({{known_.public_key, "rmc-renamed"}});
    RequestClient again(context_, endpoint_, keys_of(known_));
    ASSERT_TRUE(again.send("hello again"));
    auto parts = next_message(server_, 10s);
    ASSERT_EQ(parts.size(), 2U);
    EXPECT_EQ(client_name(parts[1]), "rmc-renamed");
}

// What the escalator's publisher relies on: with ZMQ_XPUB_MANUAL a subscription message
// carries its sender's User-Id, and only the topics the publisher subscribes on the
// sender's behalf reach it.
TEST_F(ZapTest, AManualPublisherSeesWhoSubscribesAndChoosesTheirTopics) {
    zmq::socket_t publisher(context_, zmq::socket_type::xpub);
    publisher.set(zmq::sockopt::xpub_manual, 1);
    publisher.set(zmq::sockopt::linger, 0);
    make_curve_server(publisher, server_keys_.secret_key);
    publisher.bind("tcp://127.0.0.1:*");
    Subscriber subscriber(context_, publisher.get(zmq::sockopt::last_endpoint), {"status/"},
                          keys_of(known_));
    auto request = next_message(publisher, 10s);
    ASSERT_EQ(request.size(), 1U);
    EXPECT_EQ(request[0].to_string(), std::string("\x01status/"));
    EXPECT_EQ(client_name(request[0]), "rmc");
    publisher.set(zmq::sockopt::subscribe, "status/QOP/stockport");
    // Published until the first arrives (a subscription takes effect asynchronously).
    std::optional<std::pair<std::string, std::string>> got;
    for (int i = 0; i < 1000 && !got; ++i) {
        std::array<zmq::const_buffer, 2> outside{zmq::str_buffer("status/QOP/bolton"),
                                                 zmq::str_buffer("b")};
        std::array<zmq::const_buffer, 2> inside{zmq::str_buffer("status/QOP/stockport/RWJ"),
                                                zmq::str_buffer("s")};
        ASSERT_TRUE(zmq::send_multipart(publisher, outside));
        ASSERT_TRUE(zmq::send_multipart(publisher, inside));
        if (auto m = subscriber.receive(10ms)) {
            got = *m;
        }
    }
    ASSERT_TRUE(got);
    EXPECT_EQ(got->first, "status/QOP/stockport/RWJ");
    while (auto m = subscriber.receive(50ms)) {
        EXPECT_EQ(m->first, "status/QOP/stockport/RWJ");
    }
}

}  // namespace
}  // namespace opel::net

#include "webd/submitter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <functional>
#include <optional>
#include <thread>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "adapters/codec/messages.h"

namespace opel::webd {
namespace {

using namespace std::chrono_literals;

// A stand-in escalator on inproc: a ROUTER on its own thread. Each request's payload is its
// submission_id; `answer` decides what to do with the requests received so far (reply to some
// now, in any order, or keep them), and replies ACCEPTED with that submission_id.
class FakeEscalator {
public:
    using Policy = std::function<std::vector<std::size_t>(const std::vector<std::string>&)>;

    FakeEscalator(zmq::context_t& context, const std::string& endpoint, Policy policy)
        : router_(context, zmq::socket_type::router), policy_(std::move(policy)) {
        router_.bind(endpoint);
        thread_ = std::thread([this] { run(); });
    }
    ~FakeEscalator() {
        stop_ = true;
        thread_.join();
    }
    FakeEscalator(const FakeEscalator&) = delete;
    FakeEscalator& operator=(const FakeEscalator&) = delete;

    std::size_t received() const { return received_; }

private:
    void run() {
        std::vector<std::string> got;
        std::vector<zmq::message_t> identities;
        std::vector<bool> answered;
        while (!stop_) {
            zmq::pollitem_t item{router_.handle(), 0, ZMQ_POLLIN, 0};
            if (zmq::poll(&item, 1, 20ms) <= 0) {
                continue;
            }
            std::vector<zmq::message_t> frames;
            (void)zmq::recv_multipart(router_, std::back_inserter(frames));
            identities.push_back(std::move(frames.front()));
            got.push_back(frames.back().to_string());
            answered.push_back(false);
            ++received_;
            for (const std::size_t i : policy_(got)) {
                if (answered[i]) {
                    continue;
                }
                answered[i] = true;
                engine::SubmitOutcome outcome;
                outcome.status = engine::SubmitStatus::accepted;
                outcome.submission_id = got[i];
                const std::string bytes = codec::outcome_reply(outcome, "S1", i + 1);
                std::array<zmq::const_buffer, 2> reply{
                    zmq::buffer(identities[i].data(), identities[i].size()), zmq::buffer(bytes)};
                (void)zmq::send_multipart(router_, reply);
            }
        }
    }

    zmq::socket_t router_;
    Policy policy_;
    std::thread thread_;
    std::atomic<bool> stop_{false};
    std::atomic<std::size_t> received_{0};
};

class SubmitterTest : public ::testing::Test {
protected:
    // Submits `keys` (each its own payload) and runs the loop until done (at most 10 s).
    std::vector<codec::CommandReply> submit(Submitter& submitter,
                                            const std::vector<std::string>& keys) {
        std::vector<Submitter::Outgoing> requests;
        for (const std::string& key : keys) {
            requests.push_back({key, key});
        }
        std::optional<std::vector<codec::CommandReply>> replies;
        submitter.submit(std::move(requests), [&](auto r) { replies = std::move(r); });
        in_flight_after_submit_ = submitter.in_flight();
        const auto deadline = std::chrono::steady_clock::now() + 10s;
        while (!replies && std::chrono::steady_clock::now() < deadline) {
            io_.run_for(50ms);
            io_.restart();
        }
        EXPECT_TRUE(replies) << "no answer within 10 s";
        return replies.value_or(std::vector<codec::CommandReply>{});
    }

    static std::vector<std::string> ids(const std::vector<codec::CommandReply>& replies) {
        std::vector<std::string> out;
        for (const auto& r : replies) {
            out.push_back(r.status + " " + r.submission_id);
        }
        return out;
    }

    zmq::context_t context_;
    boost::asio::io_context io_{1};
    std::size_t in_flight_after_submit_ = 0;
    const std::string endpoint_ = "inproc://escalator";
};

TEST_F(SubmitterTest, RepliesComeBackInRequestOrderWhateverOrderTheyArriveIn) {
    // Answers nothing until all three are in, then the last first.
    FakeEscalator escalator(context_, endpoint_, [](const std::vector<std::string>& got) {
        return got.size() < 3 ? std::vector<std::size_t>{} : std::vector<std::size_t>{2, 0, 1};
    });
    Submitter submitter(io_, context_, endpoint_, {5s, 2, 64, std::nullopt});
    EXPECT_EQ(ids(submit(submitter, {"a", "b", "c"})),
              (std::vector<std::string>{"ACCEPTED a", "ACCEPTED b", "ACCEPTED c"}));
    EXPECT_EQ(submitter.in_flight(), 0U);
}

TEST_F(SubmitterTest, NoMoreThanTheWindowIsInFlight) {
    FakeEscalator escalator(context_, endpoint_, [](const std::vector<std::string>& got) {
        return std::vector<std::size_t>{got.size() - 1};  // each at once
    });
    Submitter submitter(io_, context_, endpoint_, {5s, 2, 2, std::nullopt});
    EXPECT_EQ(ids(submit(submitter, {"a", "b", "c", "d", "e"})),
              (std::vector<std::string>{"ACCEPTED a", "ACCEPTED b", "ACCEPTED c", "ACCEPTED d",
                                        "ACCEPTED e"}));
    EXPECT_EQ(in_flight_after_submit_, 2U);
}

TEST_F(SubmitterTest, AnUnansweredRequestIsSentAgainWithTheSameKey) {
    // The first copy of "b" is lost; its second copy is answered.
    FakeEscalator escalator(context_, endpoint_, [](const std::vector<std::string>& got) {
        const bool first_b =
            got.back() == "b" && std::count(got.begin(), got.end(), std::string("b")) == 1;
        return first_b ? std::vector<std::size_t>{} : std::vector<std::size_t>{got.size() - 1};
    });
    Submitter submitter(io_, context_, endpoint_, {100ms, 2, 64, std::nullopt});
    EXPECT_EQ(ids(submit(submitter, {"a", "b"})),
              (std::vector<std::string>{"ACCEPTED a", "ACCEPTED b"}));
    EXPECT_GE(escalator.received(), 3U);  // more if the machine was slow to answer "a"
}

TEST_F(SubmitterTest, WithoutAnEscalatorEveryRequestIsUnavailableNamingTheEndpoint) {
    Submitter submitter(io_, context_, "ipc:///nonexistent/opel-test.sock",
                        {100ms, 1, 2, std::nullopt});
    const auto replies = submit(submitter, {"a", "b", "c"});
    ASSERT_EQ(replies.size(), 3U);
    for (const auto& reply : replies) {
        EXPECT_EQ(reply.status, "UNAVAILABLE");
        EXPECT_EQ(reply.outcome, codec::CommandReply::Outcome::retry);
        EXPECT_NE(reply.detail.find("no reply from ipc:///nonexistent/opel-test.sock after 2 "
                                    "attempts of 100 ms"),
                  std::string::npos)
            << reply.detail;
    }
    EXPECT_EQ(replies[0].submission_id, "a");
    EXPECT_NE(replies[2].detail.find("not sent: "), std::string::npos) << replies[2].detail;
}

TEST_F(SubmitterTest, AnEmptySubmissionIsDoneAtOnce) {
    Submitter submitter(io_, context_, endpoint_, {5s, 2, 64, std::nullopt});
    EXPECT_TRUE(submit(submitter, {}).empty());
}

TEST_F(SubmitterTest, StoppingAbandonsSubmissionsWithoutCallingThem) {
    Submitter submitter(io_, context_, endpoint_, {5s, 2, 64, std::nullopt});
    bool called = false;
    submitter.submit({{"a", "a"}}, [&](auto) { called = true; });
    submitter.stop();
    io_.run_for(100ms);
    EXPECT_FALSE(called);
    EXPECT_EQ(submitter.in_flight(), 0U);
}

}  // namespace
}  // namespace opel::webd

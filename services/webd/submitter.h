// opel-webd's requests to the escalator's submit socket (uploaded sitreps, acknowledgements
// from the page) and query socket (history for charts), on the daemon's io_context without
// ever waiting on it: ZeroMQ sockets are watched through their ZMQ_FD.
//
//   submit(requests) ─▶ Job: a DEALER of its own, up to `window` requests in flight ─▶ replies
//   matched by submission_id ─▶ done(replies in request order)
//   no reply for `timeout`: the requests in flight are sent again (same submission_id: the
//   escalator answers a repeat DUPLICATE, nothing is applied twice), at most `retries` times;
//   then every request still unanswered gets an UNAVAILABLE reply naming the endpoint.
//
// Owner: the thread that runs the io_context; not thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/codec/command.h"
#include "adapters/net/curve.h"
#include "base/result.h"

namespace zmq {
class context_t;
}  // namespace zmq

namespace opel::webd {

// Calls `on_readable` on the io_context (its thread) whenever the ZeroMQ socket may have
// messages: its ZMQ_FD signals (edge-triggered: only after a read found nothing, and a send
// may consume the signal), and again while ZMQ_EVENTS says POLLIN after a call, so none is
// left waiting. For a socket owned elsewhere (the feed follower's) or one made and dropped per
// request: the watch may be destroyed at any time, its handlers hold only its own state
// (net::AsioSocket is the daemons' long-lived socket that owns itself). The socket must
// outlive the watch; the descriptor stays ZeroMQ's.
class ZmqWatch {
public:
    ZmqWatch(boost::asio::io_context& io, void* socket, std::function<void()> on_readable);
    ~ZmqWatch();
    ZmqWatch(const ZmqWatch&) = delete;
    ZmqWatch& operator=(const ZmqWatch&) = delete;

    // Starts watching; false when the socket has no descriptor (then nothing is called).
    bool start();
    // Call after sending on the socket: `on_readable` is queued if input is waiting.
    void after_send();
    // Stops: `on_readable` is not called again. Idempotent.
    void stop();

private:
    class State;
    std::shared_ptr<State> state_;
};

class Submitter {
public:
    struct Settings {
        std::chrono::milliseconds timeout{5000};  // without a reply before sending again
        int retries = 2;                          // further sends of an unanswered request
        std::size_t window = 64;                  // requests in flight per submit()
        std::optional<net::ClientKeys> curve;     // with escalatord.curve: the keys to use
    };
    // One request: the submission_id its reply will carry (a sitrep's effective one, a
    // command's key) and the serialized opel.v1.SubmitRequest.
    struct Outgoing {
        std::string key;
        std::string payload;
    };
    using Done = std::function<void(std::vector<codec::CommandReply>)>;

    Submitter(boost::asio::io_context& io, zmq::context_t& context, std::string endpoint,
              Settings settings);
    ~Submitter();  // stop()
    Submitter(const Submitter&) = delete;
    Submitter& operator=(const Submitter&) = delete;

    // Sends `requests` and calls `done` on the io_context with one reply per request, in
    // their order, once each is answered or has given up. An empty list is done at once.
    void submit(std::vector<Outgoing> requests, Done done);
    // Sends one request the same way and calls `done` with its reply, or why none came (for
    // the escalator's query endpoint: opel-webd makes a Submitter for it too).
    void query(std::string payload, std::function<void(Result<std::string, std::string>)> done);
    // Abandons every submission (their `done` is not called). Idempotent.
    void stop();
    // Requests sent and not answered yet, over every submission.
    std::size_t in_flight() const;

private:
    class Job;
    void start(
        std::vector<Outgoing> requests, std::function<std::string(std::string_view)> key_of,
        std::function<void(std::vector<std::optional<std::string>>, std::vector<bool>, std::string)>
            done);
    boost::asio::io_context& io_;
    zmq::context_t& context_;
    std::string endpoint_;
    Settings settings_;
    std::list<std::shared_ptr<Job>> jobs_;
};

}  // namespace opel::webd

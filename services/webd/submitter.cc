#include "webd/submitter.h"

#include <zmq.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <map>
#include <optional>
#include <zmq.hpp>

#include "adapters/codec/messages.h"

namespace opel::webd {

// ---- ZmqWatch ----

class ZmqWatch::State : public std::enable_shared_from_this<State> {
public:
    State(boost::asio::io_context& io, void* socket, std::function<void()> on_readable)
        : descriptor_(io), socket_(socket), on_readable_(std::move(on_readable)) {}

    bool start() {
        int fd = -1;
        std::size_t size = sizeof fd;
        if (zmq_getsockopt(socket_, ZMQ_FD, &fd, &size) != 0) {
            return false;
        }
        descriptor_.assign(fd);
        // Input may already be waiting, and ZeroMQ signals only after a read found nothing:
        // drain once before waiting.
        after_send();
        arm();
        return true;
    }

    void after_send() {
        int events = 0;
        std::size_t size = sizeof events;
        if (stopped_ || posted_ || zmq_getsockopt(socket_, ZMQ_EVENTS, &events, &size) != 0 ||
            (events & ZMQ_POLLIN) == 0) {
            return;
        }
        posted_ = true;
        boost::asio::post(descriptor_.get_executor(), [self = shared_from_this()] {
            self->posted_ = false;
            if (!self->stopped_) {
                self->drain();
            }
        });
    }

    void stop() {
        stopped_ = true;
        if (descriptor_.is_open()) {
            descriptor_.cancel();
            (void)descriptor_.release();  // ZeroMQ owns the descriptor
        }
    }

private:
    // ZeroMQ's descriptor is edge-triggered: after it signals, the socket is read until
    // ZMQ_EVENTS no longer says POLLIN (reading ZMQ_EVENTS also re-arms the descriptor).
    void arm() {
        descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                               [self = shared_from_this()](const boost::system::error_code& ec) {
                                   if (ec || self->stopped_) {
                                       return;
                                   }
                                   self->drain();
                                   if (!self->stopped_) {
                                       self->arm();
                                   }
                               });
    }

    void drain() {
        for (;;) {
            on_readable_();
            int events = 0;
            std::size_t size = sizeof events;
            if (stopped_ || zmq_getsockopt(socket_, ZMQ_EVENTS, &events, &size) != 0 ||
                (events & ZMQ_POLLIN) == 0) {
                return;
            }
        }
    }

    boost::asio::posix::stream_descriptor descriptor_;
    void* socket_;
    std::function<void()> on_readable_;
    bool stopped_ = false;
    bool posted_ = false;  // a drain is queued
};

ZmqWatch::ZmqWatch(boost::asio::io_context& io, void* socket, std::function<void()> on_readable)
    : state_(std::make_shared<State>(io, socket, std::move(on_readable))) {}

ZmqWatch::~ZmqWatch() { stop(); }

bool ZmqWatch::start() { return state_->start(); }

void ZmqWatch::after_send() { state_->after_send(); }

void ZmqWatch::stop() { state_->stop(); }

// ---- Submitter ----

// One submit(): its own DEALER (so its replies are its own), the requests, and who waits
// for which submission_id.
class Submitter::Job : public std::enable_shared_from_this<Job> {
public:
    // The replies (none: unanswered), whether each request was sent, and why the unanswered
    // ones were given up.
    using RawDone = std::function<void(std::vector<std::optional<std::string>>, std::vector<bool>,
                                       std::string)>;
    using KeyOf = std::function<std::string(std::string_view)>;

    Job(boost::asio::io_context& io, zmq::context_t& context, std::string endpoint,
        Settings settings, std::vector<Outgoing> requests, KeyOf key_of, RawDone done,
        std::function<void(Job*)> finished)
        : io_(io),
          socket_(context, zmq::socket_type::dealer),
          endpoint_(std::move(endpoint)),
          settings_(std::move(settings)),
          requests_(std::move(requests)),
          replies_(requests_.size()),
          key_of_(std::move(key_of)),
          done_(std::move(done)),
          finished_(std::move(finished)),
          timer_(io) {
        socket_.set(zmq::sockopt::ipv6, 1);
        socket_.set(zmq::sockopt::linger, 0);
        if (settings_.curve) {
            net::make_curve_client(socket_, *settings_.curve);
        }
        socket_.connect(endpoint_);
    }

    void start() {
        watch_.emplace(io_, socket_.handle(), [this] { receive(); });
        watch_->start();
        fill();
        if (!stopped_) {
            arm_timer();
        }
    }

    // The submitter stops: `done` will not be called.
    void abandon() {
        abandoned_ = true;
        stop();
    }

    void stop() {
        stopped_ = true;
        timer_.cancel();
        if (watch_) {
            watch_->stop();
        }
    }

    std::size_t in_flight() const { return in_flight_; }

private:
    // Sends requests until `window` are in flight or the socket's queue is full.
    void fill() {
        while (!stopped_ && next_ < requests_.size() && in_flight_ < settings_.window) {
            const Outgoing& request = requests_[next_];
            if (!socket_.send(zmq::buffer(request.payload), zmq::send_flags::dontwait)) {
                break;  // the queue is full: the timer or the next reply sends more
            }
            waiting_[request.key].push_back(next_);
            ++next_;
            ++in_flight_;
        }
        if (watch_) {
            watch_->after_send();
        }
        finish_if_done();
    }

    void receive() {
        zmq::message_t message;
        while (!stopped_ && socket_.recv(message, zmq::recv_flags::dontwait)) {
            auto waiting = waiting_.find(key_of_(message.to_string_view()));
            if (waiting == waiting_.end() || waiting->second.empty()) {
                continue;  // a repeat's second answer (DUPLICATE), or unreadable
            }
            const std::size_t index = waiting->second.front();
            waiting->second.pop_front();
            if (waiting->second.empty()) {
                waiting_.erase(waiting);
            }
            replies_[index] = message.to_string();
            --in_flight_;
            answered_ = true;
        }
        fill();
    }

    void arm_timer() {
        timer_.expires_after(settings_.timeout);
        timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
            auto self = weak.lock();
            if (!ec && self && !self->stopped_) {
                self->on_timer();
            }
        });
    }

    // Every `timeout`: if nothing was answered since the last time, the requests in flight
    // are sent again, or, after `retries` silent rounds, given up.
    void on_timer() {
        if (answered_) {
            answered_ = false;
            silent_rounds_ = 0;
        } else if (++silent_rounds_ > settings_.retries) {
            give_up();
            return;
        } else {
            for (const auto& [key, indexes] : waiting_) {
                for (const std::size_t index : indexes) {
                    (void)socket_.send(zmq::buffer(requests_[index].payload),
                                       zmq::send_flags::dontwait);
                }
            }
            watch_->after_send();
        }
        fill();
        if (!stopped_) {
            arm_timer();
        }
    }

    void give_up() {
        why_ = "no reply from " + endpoint_ + " after " + std::to_string(settings_.retries + 1) +
               " attempts of " + std::to_string(settings_.timeout.count()) +
               " ms (is opel-escalatord running?)";
        waiting_.clear();
        in_flight_ = 0;
        sent_ = next_;
        next_ = requests_.size();
        finish_if_done();
    }

    void finish_if_done() {
        if (stopped_ || next_ < requests_.size() || in_flight_ > 0) {
            return;
        }
        stop();
        std::vector<bool> sent(requests_.size());
        for (std::size_t i = 0; i < sent.size(); ++i) {
            sent[i] = i < sent_.value_or(requests_.size());
        }
        // Called from this job's own handlers: the job is released after they return.
        boost::asio::post(io_, [self = shared_from_this(), sent = std::move(sent)]() mutable {
            if (!self->abandoned_) {
                self->done_(std::move(self->replies_), std::move(sent), self->why_);
                self->finished_(self.get());
            }
        });
    }

    boost::asio::io_context& io_;
    zmq::socket_t socket_;
    std::string endpoint_;
    Settings settings_;
    std::vector<Outgoing> requests_;
    std::vector<std::optional<std::string>> replies_;
    KeyOf key_of_;
    RawDone done_;
    std::function<void(Job*)> finished_;
    boost::asio::steady_timer timer_;
    std::optional<ZmqWatch> watch_;
    std::map<std::string, std::deque<std::size_t>> waiting_;  // submission_id -> requests
    std::size_t next_ = 0;                                    // the next request to send
    std::size_t in_flight_ = 0;
    std::optional<std::size_t> sent_;  // after giving up: how many had been sent
    std::string why_;                  // after giving up: why
    int silent_rounds_ = 0;            // timer rounds in a row without an answer
    bool answered_ = false;            // an answer came since the last round
    bool stopped_ = false;
    bool abandoned_ = false;
};

Submitter::Submitter(boost::asio::io_context& io, zmq::context_t& context, std::string endpoint,
                     Settings settings)
    : io_(io), context_(context), endpoint_(std::move(endpoint)), settings_(std::move(settings)) {}

Submitter::~Submitter() { stop(); }

void Submitter::start(
    std::vector<Outgoing> requests, std::function<std::string(std::string_view)> key_of,
    std::function<void(std::vector<std::optional<std::string>>, std::vector<bool>, std::string)>
        done) {
    auto job = std::make_shared<Job>(
        io_, context_, endpoint_, settings_, std::move(requests), std::move(key_of),
        std::move(done), [this](Job* finished) {
            jobs_.remove_if([finished](const auto& j) { return j.get() == finished; });
        });
    jobs_.push_back(job);
    job->start();
}

void Submitter::submit(std::vector<Outgoing> requests, Done done) {
    std::vector<std::string> keys;
    keys.reserve(requests.size());
    for (const Outgoing& r : requests) {
        keys.push_back(r.key);
    }
    start(
        std::move(requests),
        [](std::string_view reply) { return codec::read_command_reply(reply).submission_id; },
        [keys = std::move(keys), done = std::move(done)](
            std::vector<std::optional<std::string>> raw, const std::vector<bool>& sent,
            const std::string& why) {
            std::vector<codec::CommandReply> replies;
            replies.reserve(raw.size());
            for (std::size_t i = 0; i < raw.size(); ++i) {
                replies.push_back(codec::read_command_reply(
                    raw[i]
                        ? *raw[i]
                        : codec::unavailable_reply(keys[i], sent[i] ? why : "not sent: " + why)));
            }
            done(std::move(replies));
        });
}

void Submitter::query(std::string payload,
                      std::function<void(Result<std::string, std::string>)> done) {
    start(
        {{"", std::move(payload)}}, [](std::string_view) { return std::string(); },
        [done = std::move(done)](std::vector<std::optional<std::string>> raw,
                                 const std::vector<bool>&, std::string why) {
            done(raw.front() ? Result<std::string, std::string>(std::move(*raw.front()))
                             : unexpected(std::move(why)));
        });
}

void Submitter::stop() {
    for (const auto& job : jobs_) {
        job->abandon();
    }
    jobs_.clear();
}

std::size_t Submitter::in_flight() const {
    std::size_t n = 0;
    for (const auto& job : jobs_) {
        n += job->in_flight();
    }
    return n;
}

}  // namespace opel::webd

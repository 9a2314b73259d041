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
    Job(boost::asio::io_context& io, zmq::context_t& context, std::string endpoint,
        Settings settings, std::vector<Outgoing> requests, Done done,
        std::function<void(Job*)> finished)
        : io_(io),
          socket_(context, zmq::socket_type::dealer),
          endpoint_(std::move(endpoint)),
          settings_(settings),
          requests_(std::move(requests)),
          replies_(requests_.size()),
          done_(std::move(done)),
          finished_(std::move(finished)),
          timer_(io) {
        socket_.set(zmq::sockopt::ipv6, 1);
        socket_.set(zmq::sockopt::linger, 0);
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
            codec::CommandReply reply = codec::read_command_reply(message.to_string_view());
            auto waiting = waiting_.find(reply.submission_id);
            if (waiting == waiting_.end() || waiting->second.empty()) {
                continue;  // a repeat's second answer (DUPLICATE), or unreadable
            }
            const std::size_t index = waiting->second.front();
            waiting->second.pop_front();
            if (waiting->second.empty()) {
                waiting_.erase(waiting);
            }
            replies_[index] = std::move(reply);
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
        const std::string why = "no reply from " + endpoint_ + " after " +
                                std::to_string(settings_.retries + 1) + " attempts of " +
                                std::to_string(settings_.timeout.count()) +
                                " ms (is opel-escalatord running?)";
        for (std::size_t i = 0; i < requests_.size(); ++i) {
            if (!replies_[i]) {
                replies_[i] = codec::read_command_reply(codec::unavailable_reply(
                    requests_[i].key, i < next_ ? why : "not sent: " + why));
            }
        }
        waiting_.clear();
        in_flight_ = 0;
        next_ = requests_.size();
        finish_if_done();
    }

    void finish_if_done() {
        if (stopped_ || next_ < requests_.size() || in_flight_ > 0) {
            return;
        }
        stop();
        std::vector<codec::CommandReply> replies;
        replies.reserve(replies_.size());
        for (auto& reply : replies_) {
            replies.push_back(std::move(*reply));
        }
        // Called from this job's own handlers: the job is released after they return.
        boost::asio::post(io_, [self = shared_from_this(), replies = std::move(replies)]() mutable {
            if (!self->abandoned_) {
                self->done_(std::move(replies));
                self->finished_(self.get());
            }
        });
    }

    boost::asio::io_context& io_;
    zmq::socket_t socket_;
    std::string endpoint_;
    Settings settings_;
    std::vector<Outgoing> requests_;
    std::vector<std::optional<codec::CommandReply>> replies_;
    Done done_;
    std::function<void(Job*)> finished_;
    boost::asio::steady_timer timer_;
    std::optional<ZmqWatch> watch_;
    std::map<std::string, std::deque<std::size_t>> waiting_;  // submission_id -> requests
    std::size_t next_ = 0;                                    // the next request to send
    std::size_t in_flight_ = 0;
    int silent_rounds_ = 0;  // timer rounds in a row without an answer
    bool answered_ = false;  // an answer came since the last round
    bool stopped_ = false;
    bool abandoned_ = false;
};

Submitter::Submitter(boost::asio::io_context& io, zmq::context_t& context, std::string endpoint,
                     Settings settings)
    : io_(io), context_(context), endpoint_(std::move(endpoint)), settings_(settings) {}

Submitter::~Submitter() { stop(); }

void Submitter::submit(std::vector<Outgoing> requests, Done done) {
    auto job = std::make_shared<Job>(
        io_, context_, endpoint_, settings_, std::move(requests), std::move(done),
        [this](Job* finished) {
            jobs_.remove_if([finished](const auto& j) { return j.get() == finished; });
        });
    jobs_.push_back(job);
    job->start();
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

#include "notifyd/reporter.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "adapters/codec/command.h"

namespace opel::notifyd {

Reporter::Reporter(zmq::context_t& context, Duration timeout, std::optional<net::ClientKeys> keys)
    : context_(context), timeout_(timeout), keys_(std::move(keys)) {}

Reporter::~Reporter() = default;

void Reporter::start(const OutMessage& m) {
    Request r{m.receiver.target,
              std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer), Stopwatch{}};
    try {
        r.socket->set(zmq::sockopt::linger, 0);
        r.socket->set(zmq::sockopt::ipv6, 1);  // tcp://[::1]:P
        if (keys_) {
            net::make_curve_client(*r.socket, *keys_);
        }
        r.socket->connect(m.receiver.target);
        if (!r.socket->send(zmq::buffer(m.content.body), zmq::send_flags::dontwait)) {
            failed_to_start_.push_back(
                {m.key,
                 {Attempt::Outcome::retry, "cannot send to " + r.endpoint + ": queue full"}});
            return;
        }
    } catch (const zmq::error_t& e) {
        failed_to_start_.push_back(
            {m.key, {Attempt::Outcome::retry, "cannot send to " + r.endpoint + ": " + e.what()}});
        return;
    }
    requests_.insert_or_assign(m.key, std::move(r));
}

long Reporter::poll_items(std::vector<zmq_pollitem_t>& items) const {
    if (!failed_to_start_.empty()) {
        return 0;
    }
    long wait = -1;
    for (const auto& [key, r] : requests_) {
        items.push_back({r.socket->handle(), 0, ZMQ_POLLIN, 0});
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(timeout_ - r.started.elapsed());
        const long ms = std::max<long>(0, static_cast<long>(left.count()));
        wait = wait < 0 ? ms : std::min(wait, ms);
    }
    return wait;
}

std::vector<Finished> Reporter::perform() {
    std::vector<Finished> out = std::move(failed_to_start_);
    failed_to_start_.clear();
    for (auto it = requests_.begin(); it != requests_.end();) {
        Request& r = it->second;
        const auto took =
            std::chrono::duration_cast<std::chrono::milliseconds>(r.started.elapsed());
        std::vector<zmq::message_t> reply;  // [payload], after any empty delimiter frame
        std::optional<Attempt> ended;
        if (zmq::recv_multipart(*r.socket, std::back_inserter(reply), zmq::recv_flags::dontwait) &&
            !reply.empty()) {
            const codec::CommandReply answer =
                codec::read_command_reply(reply.back().to_string_view());
            ended = Attempt{
                answer.outcome == codec::CommandReply::Outcome::done      ? Attempt::Outcome::sent
                : answer.outcome == codec::CommandReply::Outcome::refused ? Attempt::Outcome::failed
                                                                          : Attempt::Outcome::retry,
                answer.detail};
        } else if (took >= timeout_) {
            ended = Attempt{Attempt::Outcome::retry, "no reply from " + r.endpoint + " within " +
                                                         std::to_string(timeout_.count()) +
                                                         " s (is opel-escalatord running?)"};
        }
        if (ended) {
            out.push_back({it->first, std::move(*ended), took});
            it = requests_.erase(it);
        } else {
            ++it;
        }
    }
    return out;
}

}  // namespace opel::notifyd

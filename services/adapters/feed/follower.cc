#include "adapters/feed/follower.h"

#include "adapters/codec/client.h"
#include "adapters/codec/proto.h"
#include "adapters/feed/query_client.h"
#include "adapters/feed/snapshot_client.h"
#include "adapters/net/client.h"

namespace opel::feed {
namespace {

Item item_of(const v1::Publication& pub) {
    Item item;
    item.epoch = pub.epoch();
    item.sequence = pub.sequence();
    if (pub.has_alert()) {
        item.alert = codec::from_proto(pub.alert());
    } else if (pub.has_status()) {
        item.status = codec::from_proto(pub.status());
    } else if (pub.has_heartbeat()) {
        item.heartbeat_at = TimePoint{Duration{pub.heartbeat().at().seconds()}};
    }
    return item;
}

}  // namespace

Follower::Follower(zmq::context_t& context, Endpoints endpoints, std::optional<std::uint64_t> after,
                   std::chrono::milliseconds timeout)
    : context_(context),
      endpoints_(std::move(endpoints)),
      timeout_(timeout),
      subscriber_(std::make_unique<net::Subscriber>(
          context, endpoints_.publish, std::vector<std::string>{""}, endpoints_.curve)),
      last_(after.value_or(0)),
      from_snapshot_(!after) {}

Follower::~Follower() = default;

zmq_pollitem_t Follower::poll_item() const { return {subscriber_->handle(), 0, ZMQ_POLLIN, 0}; }

Result<std::monostate, std::string> Follower::start(const Handler& handler) {
    if (!from_snapshot_) {
        return catch_up(handler);
    }
    // Nothing handled yet: the present is the starting point, the past is not news.
    auto snapshot = fetch_snapshot(context_, endpoints_.snapshot, "", timeout_, endpoints_.curve);
    if (!snapshot) {
        return unexpected(snapshot.error());
    }
    last_ = snapshot->sequence();
    return std::monostate{};
}

Result<std::monostate, std::string> Follower::catch_up(const Handler& handler) {
    v1::QueryRequest request;
    request.mutable_publications()->set_after_sequence(last_);
    bool stopped = false;
    auto done = query_pages(
        context_, endpoints_.query, request, timeout_,
        [&](const v1::QueryReply& reply) {
            for (const v1::Publication& pub : reply.publications()) {
                if (pub.sequence() <= last_) {
                    continue;
                }
                if (!handler(item_of(pub))) {
                    stopped = true;
                    return false;
                }
                last_ = pub.sequence();
            }
            if (!reply.more()) {
                last_ = std::max(last_, reply.last_sequence());
            }
            return true;
        },
        endpoints_.curve);
    if (!done) {
        return unexpected("catching up after sequence " + std::to_string(last_) + ": " +
                          done.error());
    }
    if (stopped) {
        return unexpected("handling sequence " + std::to_string(last_ + 1) + " failed");
    }
    ++catch_ups_;
    behind_ = false;
    return std::monostate{};
}

Result<std::monostate, std::string> Follower::pump(const Handler& handler) {
    if (!synchronised_) {
        if (auto r = start(handler); !r) {
            return r;
        }
        synchronised_ = true;
    }
    if (behind_) {
        if (auto r = catch_up(handler); !r) {
            return r;
        }
    }
    while (true) {
        auto message = subscriber_->receive(std::chrono::milliseconds(0));
        if (!message) {
            if (message.error().code == net::Errc::timeout) {
                return std::monostate{};
            }
            ++undecodable_;
            continue;
        }
        auto pub = codec::read_publication(message->first, message->second);
        if (!pub) {
            ++undecodable_;
            continue;
        }
        if (pub->has_heartbeat()) {
            const std::uint64_t published = pub->heartbeat().last_sequence();
            if (published < last_) {
                // The publisher's sequence went back (its database was restored): carry on
                // from where it is; deliveries are keyed by transition, not by sequence.
                last_ = published;
            }
            if (published > last_) {
                behind_ = true;
            }
            if (!handler(item_of(*pub))) {
                behind_ = true;
            }
        } else if (pub->sequence() <= last_) {
            continue;  // already handled (from the store, or before a restart)
        } else if (pub->sequence() == last_ + 1 && handler(item_of(*pub))) {
            last_ = pub->sequence();
            continue;
        } else {
            // A gap (the store has the missing ones and this one), or this one could not be
            // handled (the store has it to try again).
            behind_ = true;
        }
        if (behind_) {
            if (auto r = catch_up(handler); !r) {
                return r;
            }
        }
    }
}

}  // namespace opel::feed

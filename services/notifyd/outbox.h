// opel-notifyd's outbox (issue 14): its own SQLite database (WAL, synchronous=FULL) holding
// every delivery before it is attempted, the messages formed from them with their state and
// content, the open escalations with their timers, and the last feed position handled, each
// change in one transaction, so kill -9 at any moment loses nothing and repeats nothing a
// receiver has confirmed.
//
//   deliveries  (event, receiver) rows, written as the publication is handled; message
//               NULL while held in the grouping window
//   messages    what is attempted: content rendered once (a retry sends the same bytes),
//               state pending -> sent | retrying -> failed, attempts, next attempt, error
//   escalations (transition, route) open until acknowledged or superseded; reminder and
//               step counters advance in the transaction that stores their messages
//   meta        the feed position (publisher epoch and sequence) handled last
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "notifyd/delivery.h"
#include "notifyd/escalation.h"
#include "notifyd/render.h"
#include "notifyd/routing.h"

struct sqlite3;

namespace opel::notifyd {

template <typename T>
using OutboxResult = Result<T, std::string>;

struct StoredDelivery {
    std::string key;
    std::string route;
    std::string group;
    Receiver receiver;
    engine::Event event;
    WallTime created;
};

struct OutMessage {
    std::string key;
    Receiver receiver;
    Rendered content;
    DeliveryState state = DeliveryState::pending;
    int attempts = 0;
    WallTime created;
    WallTime next_attempt;
    std::string last_error;
    std::optional<WallTime> sent_at;
};

struct FeedPosition {
    std::uint64_t epoch = 0;
    std::uint64_t sequence = 0;
    bool known = true;  // false: never synchronised with the feed (a new outbox)
};

// A closed escalation: acknowledged (by a person) or superseded by a later transition.
struct Closed {
    std::string transition_id;
    std::string route;
    std::string state;  // "acknowledged" or "superseded"
    std::string by;     // who acknowledged; the superseding transition
    TimePoint at;
};

struct OutboxCounts {
    std::map<std::pair<std::string, std::string>, std::int64_t> by_state_and_kind;
    std::optional<WallTime> oldest_unsent;  // created time of the oldest pending/retrying
    std::int64_t open_escalations = 0;
    std::int64_t waiting_deliveries = 0;  // held in the grouping window
};

class Outbox {
public:
    // Opens (creating if needed) the database at `path`, created 0600.
    static OutboxResult<std::unique_ptr<Outbox>> open(const std::string& path,
                                                      bool read_only = false);
    ~Outbox();
    Outbox(const Outbox&) = delete;
    Outbox& operator=(const Outbox&) = delete;

    OutboxResult<FeedPosition> position();

    // One handled publication in one transaction: its deliveries, the escalations it opens
    // and closes, and the new feed position. A delivery whose key is stored already is left
    // as it is; returns the keys that were new (only those go to the grouping window).
    OutboxResult<std::vector<std::string>> record(const FeedPosition& position,
                                                  const std::vector<StoredDelivery>& deliveries,
                                                  const std::vector<OpenEscalation>& opened,
                                                  const std::vector<Closed>& closed);
    // The feed position alone (heartbeats and status messages move it without deliveries).
    OutboxResult<bool> set_position(const FeedPosition& position);
    // Deliveries still held for grouping (to re-hold after a restart), oldest first.
    OutboxResult<std::vector<StoredDelivery>> waiting();
    // Messages formed from held deliveries (`delivery_keys[i]` for messages[i]) or owed by an
    // escalation (then `escalation` carries its advanced counters), in one transaction.
    OutboxResult<bool> add_messages(const std::vector<OutMessage>& messages,
                                    const std::vector<std::vector<std::string>>& delivery_keys,
                                    const std::optional<OpenEscalation>& escalation = {});
    // Pending and retrying messages due by `now`, by next attempt time, then creation.
    OutboxResult<std::vector<OutMessage>> due(WallTime now, std::size_t limit);
    // When the next pending or retrying message is due.
    OutboxResult<std::optional<WallTime>> next_due();
    // The outcome of an attempt.
    OutboxResult<bool> attempted(const std::string& key, DeliveryState state, int attempts,
                                 WallTime next_attempt, const std::string& error, WallTime now);

    OutboxResult<std::vector<OpenEscalation>> open_escalations();
    OutboxResult<OutboxCounts> counts();

private:
    explicit Outbox(sqlite3* db) : db_(db) {}
    OutboxResult<bool> exec(const char* sql);
    sqlite3* db_;
};

}  // namespace opel::notifyd

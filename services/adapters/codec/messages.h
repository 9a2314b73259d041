// The messages a daemon sends and stores, built in one place (messages.cc) from engine
// values and returned as serialized opel.v1 bytes: submit replies, feed publications,
// snapshots and stored node states, and their reading back on restart. A daemon's core
// calls these and never a generated protobuf type.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/time.h"
#include "engine/engine.h"

namespace opel::codec {

// --- submit replies (opel.v1.SubmitReply) ---
// REJECTED with one error `code` and `message` (oversize, malformed framing).
std::string rejected_reply(std::string_view code, std::string_view message);
// UNAVAILABLE for `submission_id`: nothing was changed; the client may retry.
std::string unavailable_reply(std::string_view submission_id, std::string_view why);
// The reply for an engine outcome (sequence: the last the request's batch numbers; 0
// offline). With `with_result` false the site result is left out: the caller appends its
// serialized bytes with append_reply_result.
std::string outcome_reply(const engine::SubmitOutcome& outcome, std::string_view site_id,
                          std::uint64_t sequence, bool with_result = true);
// Sets the reply's `result` to a serialized opel.v1.NodeResult (wire.h: encode_result).
void append_reply_result(std::string& reply, std::string_view node_result);
// Sets the reply's `message` (for a reply built without one).
void append_reply_message(std::string& reply, std::string_view message);
// The DUPLICATE answer to a request whose key was answered before with `original` (a
// serialized reply): the same reply with `original_status` set. A stored reply was kept
// without its site result; `result_publication` is then the stored status publication that
// holds it, put back into the reply.
std::string duplicate_reply(std::string_view original,
                            std::optional<std::string_view> result_publication = std::nullopt);

// --- publications (opel.v1.Publication) ---
// An alert publication for `event`. `scratch` is memory the message may be built on (an
// arena's first block), so the hot path allocates once per message.
std::string alert_publication(std::uint64_t sequence, std::uint64_t epoch,
                              const engine::Event& event, std::span<char> scratch);
// A heartbeat naming the last sequence number (a heartbeat does not consume one).
std::string heartbeat_publication(std::uint64_t sequence, std::uint64_t epoch, TimePoint at);

// --- snapshots (opel.v1.SnapshotRequest / Snapshot) ---
// The subtree a serialized SnapshotRequest asks for ("" = everything), or why it cannot
// be read.
Result<std::string, std::string> snapshot_subtree(std::string_view request);
// A Snapshot consistent with `sequence`, holding `results`, naming the configuration in
// effect by its content hash (config::content_hash).
std::string snapshot_reply(std::uint64_t sequence, std::uint64_t epoch,
                           const std::vector<engine::NodeResult>& results,
                           std::string_view config_hash = {});
// A Snapshot carrying only an error (the request could not be read or framed).
std::string snapshot_error(std::uint64_t sequence, std::uint64_t epoch, std::string_view error);

// --- stored node state (opel.v1.NodeState) ---
// A node's state for the store; `scratch` as for alert_publication.
std::string encode_node_state(const engine::NodeSnapshot& snapshot, std::span<char> scratch);
// A stored state back, or nullopt when its bytes cannot be decoded.
std::optional<engine::NodeSnapshot> decode_node_state(std::string_view state);
// The node result a stored status publication carries, or nullopt when it carries none or
// cannot be decoded.
std::optional<engine::NodeResult> result_of_publication(std::string_view publication);

}  // namespace opel::codec

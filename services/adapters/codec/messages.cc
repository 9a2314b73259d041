// The daemon's replies, publications, snapshots and stored states (messages.h).
#include "adapters/codec/messages.h"

#include <google/protobuf/arena.h>

#include "adapters/codec/proto.h"
#include "adapters/codec/wire.h"
#include "opel/v1/feed.pb.h"
#include "opel/v1/request.pb.h"

namespace opel::codec {
namespace {

std::string serialize(const google::protobuf::Message& m) { return m.SerializeAsString(); }

bool parse(google::protobuf::Message& m, std::string_view bytes) {
    return m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace

std::string rejected_reply(std::string_view code, std::string_view message) {
    v1::SubmitReply reply;
    reply.set_status(v1::SUBMIT_STATUS_REJECTED);
    reply.set_message(std::string(message));
    v1::SubmitError* e = reply.add_errors();
    e->set_code(std::string(code));
    e->set_message(std::string(message));
    return serialize(reply);
}

std::string unavailable_reply(std::string_view submission_id, std::string_view why) {
    v1::SubmitReply reply;
    reply.set_status(v1::SUBMIT_STATUS_UNAVAILABLE);
    reply.set_submission_id(std::string(submission_id));
    reply.set_message(std::string(why));
    return serialize(reply);
}

std::string outcome_reply(const engine::SubmitOutcome& outcome, std::string_view site_id,
                          std::uint64_t sequence, bool with_result) {
    return serialize(to_reply(outcome, site_id, sequence, with_result));
}

void append_reply_result(std::string& reply, std::string_view node_result) {
    append_field(reply, v1::SubmitReply::kResultFieldNumber, node_result);
}

void append_reply_message(std::string& reply, std::string_view message) {
    append_field(reply, v1::SubmitReply::kMessageFieldNumber, message);
}

std::string duplicate_reply(std::string_view original,
                            std::optional<std::string_view> result_publication) {
    v1::SubmitReply reply;
    parse(reply, original);
    v1::Publication publication;
    if (result_publication && parse(publication, *result_publication) && publication.has_status()) {
        *reply.mutable_result() = std::move(*publication.mutable_status());
    }
    reply.set_original_status(reply.status());
    reply.set_status(v1::SUBMIT_STATUS_DUPLICATE);
    return serialize(reply);
}

std::string alert_publication(std::uint64_t sequence, std::uint64_t epoch,
                              const engine::Event& event, std::span<char> scratch) {
    google::protobuf::Arena arena(scratch.data(), scratch.size());
    auto* pub = google::protobuf::Arena::CreateMessage<v1::Publication>(&arena);
    pub->set_sequence(sequence);
    pub->set_epoch(epoch);
    to_proto(event, *pub->mutable_alert());
    return serialize(*pub);
}

std::string heartbeat_publication(std::uint64_t sequence, std::uint64_t epoch, TimePoint at) {
    v1::Publication pub;
    pub.set_sequence(sequence);
    pub.set_epoch(epoch);
    pub.mutable_heartbeat()->set_last_sequence(sequence);
    pub.mutable_heartbeat()->mutable_at()->set_seconds(at.time_since_epoch().count());
    return serialize(pub);
}

Result<std::string, std::string> snapshot_subtree(std::string_view request) {
    v1::SnapshotRequest parsed;
    if (!parse(parsed, request)) {
        return unexpected("not an opel.v1.SnapshotRequest (" + std::to_string(request.size()) +
                          " bytes)");
    }
    return std::move(*parsed.mutable_subtree());
}

std::string snapshot_reply(std::uint64_t sequence, std::uint64_t epoch,
                           const std::vector<engine::NodeResult>& results,
                           std::string_view config_hash) {
    v1::Snapshot snapshot;
    snapshot.set_sequence(sequence);
    snapshot.set_epoch(epoch);
    snapshot.set_config_hash(std::string(config_hash));
    for (const engine::NodeResult& r : results) {
        to_proto(r, *snapshot.add_results());
    }
    return serialize(snapshot);
}

std::string snapshot_error(std::uint64_t sequence, std::uint64_t epoch, std::string_view error) {
    v1::Snapshot snapshot;
    snapshot.set_sequence(sequence);
    snapshot.set_epoch(epoch);
    snapshot.set_error(std::string(error));
    return serialize(snapshot);
}

std::string encode_node_state(const engine::NodeSnapshot& snapshot, std::span<char> scratch) {
    google::protobuf::Arena arena(scratch.data(), scratch.size());
    auto* state = google::protobuf::Arena::CreateMessage<v1::NodeState>(&arena);
    to_proto(snapshot, *state);
    return serialize(*state);
}

std::optional<engine::NodeSnapshot> decode_node_state(std::string_view state) {
    v1::NodeState parsed;
    if (!parse(parsed, state)) {
        return std::nullopt;
    }
    return from_proto(parsed);
}

std::optional<engine::NodeResult> result_of_publication(std::string_view publication) {
    v1::Publication parsed;
    if (!parse(parsed, publication) || !parsed.has_status()) {
        return std::nullopt;
    }
    return from_proto(parsed.status());
}

}  // namespace opel::codec

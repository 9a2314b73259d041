#include "adapters/codec/client.h"

#include <google/protobuf/timestamp.pb.h>
#include <google/protobuf/util/time_util.h>

#include <optional>
#include <vector>

namespace opel::codec {
namespace {

namespace pb = google::protobuf;

// The first timestamp (anywhere in `m`) outside what RFC 3339 can write, 0001-01-01 to
// 9999-12-31, or with nanoseconds outside 0..999,999,999: its field path. Such a time has no
// JSON form and no human one.
std::optional<std::string> bad_timestamp(const pb::Message& m, const std::string& where) {
    if (const auto* ts = dynamic_cast<const pb::Timestamp*>(&m)) {
        const bool ok = ts->seconds() >= pb::util::TimeUtil::kTimestampMinSeconds &&
                        ts->seconds() <= pb::util::TimeUtil::kTimestampMaxSeconds &&
                        ts->nanos() >= 0 && ts->nanos() <= 999'999'999;
        return ok ? std::nullopt : std::optional(where);
    }
    const pb::Reflection& reflection = *m.GetReflection();
    std::vector<const pb::FieldDescriptor*> fields;
    reflection.ListFields(m, &fields);
    for (const pb::FieldDescriptor* f : fields) {
        if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
            continue;
        }
        const std::string inner = where.empty() ? f->name() : where + "." + f->name();
        if (!f->is_repeated()) {
            if (auto bad = bad_timestamp(reflection.GetMessage(m, f), inner)) {
                return bad;
            }
            continue;
        }
        for (int i = 0; i < reflection.FieldSize(m, f); ++i) {
            const std::string item = inner + "[" + std::to_string(i) + "]";
            if (auto bad = bad_timestamp(reflection.GetRepeatedMessage(m, f, i), item)) {
                return bad;
            }
        }
    }
    return std::nullopt;
}

template <typename Message>
bool parse(Message& message, std::string_view bytes) {
    return bytes.size() <= static_cast<std::size_t>(INT32_MAX) &&
           message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

// "<what> with a time out of range at <field>" when `m` holds one.
std::optional<std::string> time_problem(const pb::Message& m, std::string_view what) {
    if (auto bad = bad_timestamp(m, "")) {
        return std::string(what) + " with a time out of range at " + *bad;
    }
    return std::nullopt;
}

// Shown in messages about a topic: printable, and short enough for one line.
std::string shown(std::string_view topic) {
    std::string out;
    for (const char c : topic.substr(0, 80)) {
        out += (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    return topic.size() > 80 ? out + "..." : out;
}

Result<v1::Publication, std::string> checked_times(v1::Publication pub, std::string_view topic) {
    if (auto problem = time_problem(pub, "message on topic '" + shown(topic) + "'")) {
        return unexpected(std::move(*problem));
    }
    return pub;
}

}  // namespace

Result<v1::SubmitReply, std::string> read_reply(std::string_view bytes) {
    v1::SubmitReply reply;
    if (!parse(reply, bytes)) {
        return unexpected("undecodable reply (" + std::to_string(bytes.size()) + " bytes)");
    }
    if (reply.status() == v1::SUBMIT_STATUS_UNSPECIFIED ||
        !v1::SubmitStatus_IsValid(reply.status())) {
        return unexpected("reply with unknown status " + std::to_string(reply.status()));
    }
    if (auto problem = time_problem(reply, "reply")) {
        return unexpected(std::move(*problem));
    }
    return reply;
}

Result<v1::Publication, std::string> read_publication(std::string_view topic,
                                                      std::string_view bytes) {
    v1::Publication pub;
    if (!parse(pub, bytes)) {
        return unexpected("undecodable message on topic '" + shown(topic) + "'");
    }
    const auto path_after = [topic](std::string_view prefix) {
        return topic.substr(0, prefix.size()) == prefix ? topic.substr(prefix.size())
                                                        : std::string_view{};
    };
    switch (pub.body_case()) {
        case v1::Publication::kHeartbeat:
            if (topic != "heartbeat") {
                return unexpected("heartbeat on topic '" + shown(topic) + "'");
            }
            return checked_times(std::move(pub), topic);
        case v1::Publication::kStatus:
            if (pub.status().path().empty() || path_after("status/") != pub.status().path()) {
                return unexpected("result for '" + shown(pub.status().path()) + "' on topic '" +
                                  shown(topic) + "'");
            }
            break;
        case v1::Publication::kAlert:
            if (pub.alert().path().empty() || path_after("alert/") != pub.alert().path()) {
                return unexpected("alert for '" + shown(pub.alert().path()) + "' on topic '" +
                                  shown(topic) + "'");
            }
            break;
        default:
            return unexpected("message without a body on topic '" + shown(topic) + "'");
    }
    if (pub.sequence() == 0) {
        return unexpected("message without a sequence number on topic '" + shown(topic) + "'");
    }
    return checked_times(std::move(pub), topic);
}

Result<v1::Snapshot, std::string> read_snapshot(std::string_view bytes) {
    v1::Snapshot snapshot;
    if (!parse(snapshot, bytes)) {
        return unexpected("undecodable snapshot (" + std::to_string(bytes.size()) + " bytes)");
    }
    if (!snapshot.error().empty()) {
        return unexpected("snapshot refused: " + snapshot.error());
    }
    if (auto problem = time_problem(snapshot, "snapshot")) {
        return unexpected(std::move(*problem));
    }
    return snapshot;
}

Result<v1::QueryReply, std::string> read_query_reply(std::string_view bytes) {
    v1::QueryReply reply;
    if (!parse(reply, bytes)) {
        return unexpected("undecodable query reply (" + std::to_string(bytes.size()) + " bytes)");
    }
    if (reply.has_error()) {
        return unexpected("query refused: " + reply.error().field() + ": " + reply.error().code() +
                          ": " + reply.error().message());
    }
    if (auto problem = time_problem(reply, "query reply")) {
        return unexpected(std::move(*problem));
    }
    return reply;
}

}  // namespace opel::codec

#include "adapters/codec/command.h"

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "adapters/codec/client.h"
#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "adapters/codec/wire.h"
#include "opel/v1/request.pb.h"

namespace opel::codec {
namespace {

// The problems protobuf's parse lets through or cannot say: undecodable bytes (with the
// type's name), and fields this build does not know.
template <typename Message>
Result<Message, CommandErrors> parse(std::string_view bytes, const char* field) {
    Message m;
    if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
        return unexpected(CommandErrors{
            {field, "malformed",
             std::string(field) + " (" + std::to_string(bytes.size()) +
                 " bytes) cannot be read as " + m.GetTypeName() +
                 " (truncated, a field of the wrong type, or text that is not UTF-8)"}});
    }
    const auto& unknown = m.GetReflection()->GetUnknownFields(m);
    if (unknown.field_count() > 0) {
        return unexpected(CommandErrors{
            {field, "unknown_field",
             std::string(field) + " carries field " + std::to_string(unknown.field(0).number()) +
                 ", which " + m.GetTypeName() + " does not have in this daemon"}});
    }
    return m;
}

// A time as RFC 3339 can write it, or the field's invalid_time error.
std::optional<TimePoint> read_time(const google::protobuf::Timestamp& t, const char* field,
                                   CommandErrors& errors) {
    auto time = time_from_wire(t.seconds(), t.nanos());
    if (!time) {
        errors.push_back({field, "invalid_time",
                          std::string(field) + " is not a valid timestamp (seconds " +
                              std::to_string(t.seconds()) + ", nanos " + std::to_string(t.nanos()) +
                              ": years 1-9999, nanos 0-999999999)"});
        return std::nullopt;
    }
    return *time;
}

}  // namespace

Result<engine::Acknowledgement, CommandErrors> decode_acknowledgement(std::string_view bytes) {
    auto m = parse<v1::Acknowledgement>(bytes, "acknowledgement");
    if (!m) {
        return unexpected(std::move(m).error());
    }
    return engine::Acknowledgement{m->transition_id(), m->by(), m->note()};
}

Result<engine::Acknowledgement, CommandErrors> acknowledgement_from_json(std::string_view json) {
    v1::Acknowledgement m;
    const auto status = google::protobuf::util::JsonStringToMessage(std::string(json), &m);
    if (!status.ok()) {
        return unexpected(CommandErrors{
            {"acknowledgement", "malformed",
             "the acknowledgement is not {\"transition_id\": …, \"by\": …, \"note\": …} "
             "JSON: " +
                 std::string(status.message())}});
    }
    return engine::Acknowledgement{m.transition_id(), m.by(), m.note()};
}

Result<DecodedDeclaration, CommandErrors> decode_declaration(std::string_view bytes) {
    auto m = parse<v1::Declaration>(bytes, "declaration");
    if (!m) {
        return unexpected(std::move(m).error());
    }
    DecodedDeclaration out;
    engine::Declaration& d = out.declaration;
    d.site_id = m->site_id();
    d.level = m->level();
    d.reason = m->reason();
    d.by = m->by();
    CommandErrors errors;
    if (m->has_until()) {
        d.until = read_time(m->until(), "until", errors);
    }
    if (m->declaration_id().size() > engine::max_id_length) {
        errors.push_back({"declaration_id", "too_long",
                          "declaration_id is " + std::to_string(m->declaration_id().size()) +
                              " characters; at most " + std::to_string(engine::max_id_length)});
    }
    if (!errors.empty()) {
        return unexpected(std::move(errors));
    }
    out.declaration_id = m->declaration_id();
    return out;
}

Result<engine::Unacknowledged, CommandErrors> decode_unacknowledged(std::string_view bytes) {
    auto m = parse<v1::Unacknowledged>(bytes, "unacknowledged");
    if (!m) {
        return unexpected(std::move(m).error());
    }
    engine::Unacknowledged out = from_proto(*m);
    CommandErrors errors;
    if (!m->has_open_since()) {
        errors.push_back(
            {"open_since", "missing_field", "open_since (when the escalation opened) is required"});
    } else if (auto since = read_time(m->open_since(), "open_since", errors)) {
        out.open_since = *since;
    }
    if (m->follow_up() != v1::FOLLOW_UP_KIND_REMINDER &&
        m->follow_up() != v1::FOLLOW_UP_KIND_STEP) {
        errors.push_back(
            {"follow_up", "invalid_value",
             "follow_up is " + std::to_string(m->follow_up()) +
                 "; it must be FOLLOW_UP_KIND_REMINDER (1) or FOLLOW_UP_KIND_STEP (2)"});
    }
    if (!errors.empty()) {
        return unexpected(std::move(errors));
    }
    return out;
}

void quiet_protobuf_log() {
    google::protobuf::SetLogHandler([](google::protobuf::LogLevel /*level*/, const char* /*file*/,
                                       int /*line*/, const std::string& /*message*/) {});
}

std::string sitrep_request(const engine::Sitrep& sitrep) {
    v1::SubmitRequest request;
    *request.mutable_sitrep() = to_proto(sitrep);
    return request.SerializeAsString();
}

std::string acknowledgement_request(const engine::Acknowledgement& ack) {
    v1::SubmitRequest request;
    v1::Acknowledgement* a = request.mutable_acknowledgement();
    a->set_transition_id(ack.transition_id);
    a->set_by(ack.by);
    a->set_note(ack.note);
    return request.SerializeAsString();
}

std::string declaration_request(const engine::Declaration& declaration,
                                std::string_view declaration_id) {
    v1::SubmitRequest request;
    v1::Declaration* d = request.mutable_declaration();
    d->set_site_id(declaration.site_id);
    d->set_level(static_cast<std::uint32_t>(declaration.level));
    d->set_reason(declaration.reason);
    d->set_by(declaration.by);
    if (declaration.until) {
        d->mutable_until()->set_seconds(declaration.until->time_since_epoch().count());
    }
    d->set_declaration_id(std::string(declaration_id));
    return request.SerializeAsString();
}

std::string unacknowledged_request(const engine::Unacknowledged& report) {
    v1::SubmitRequest request;
    to_proto(report, *request.mutable_unacknowledged());
    return request.SerializeAsString();
}

CommandReply read_command_reply(std::string_view bytes) {
    using Outcome = CommandReply::Outcome;
    auto reply = read_reply(bytes);
    if (!reply) {
        return {Outcome::retry, "unreadable reply: " + reply.error(), "", "", ""};
    }
    const std::string status = v1::SubmitStatus_Name(reply->status()).substr(14);  // SUBMIT_STATUS_
    CommandReply out{Outcome::retry,
                     status + (reply->message().empty() ? "" : ": " + reply->message()),
                     to_json(*reply), status, reply->submission_id()};
    switch (reply->status()) {
        case v1::SUBMIT_STATUS_ACCEPTED:
        case v1::SUBMIT_STATUS_DUPLICATE:
        case v1::SUBMIT_STATUS_LATE:
            out.outcome = Outcome::done;
            break;
        case v1::SUBMIT_STATUS_REJECTED:
            out.outcome = Outcome::refused;
            out.detail = status;
            for (const v1::SubmitError& e : reply->errors()) {
                out.detail += (out.detail == status ? ": " : "; ") + e.field() + ": " + e.code() +
                              ": " + e.message();
            }
            break;
        default:
            break;
    }
    return out;
}

}  // namespace opel::codec

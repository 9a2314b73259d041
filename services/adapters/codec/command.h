// Commands on the submit socket (opel.v1.Acknowledgement, opel.v1.Declaration,
// opel.v1.Unacknowledged) <-> the engine's command values (engine/command.h). Commands come from
// people, a few a day, so they are read with protobuf's parser, then checked for what it lets
// through: fields this build does not know, and times RFC 3339 cannot write.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "engine/command.h"
#include "engine/sitrep.h"

namespace opel::codec {

using CommandErrors = std::vector<engine::FieldError>;

// A serialized opel.v1.Acknowledgement (the body of a SubmitRequest, wire.h: request_body).
Result<engine::Acknowledgement, CommandErrors> decode_acknowledgement(std::string_view bytes);

// A serialized opel.v1.Declaration and the idempotency key it names ("" = none given).
struct DecodedDeclaration {
    engine::Declaration declaration;
    std::string declaration_id;
};
Result<DecodedDeclaration, CommandErrors> decode_declaration(std::string_view bytes);

// An acknowledgement as JSON ({"transition_id": "RWJ#7", "by": "Jane Smith", "note": "…"},
// opel.v1.Acknowledgement's JSON mapping), e.g. from the wallboard's page.
Result<engine::Acknowledgement, CommandErrors> acknowledgement_from_json(std::string_view json);

// A serialized opel.v1.Unacknowledged (opel-notifyd's report of an open escalation).
Result<engine::Unacknowledged, CommandErrors> decode_unacknowledged(std::string_view bytes);

// Protobuf's parser writes its own line to stderr for some bad input (text that is not
// UTF-8), outside the daemon's log and its format. Every parse failure is reported by the
// caller, naming what and where; this drops protobuf's lines. Call once at start.
void quiet_protobuf_log();

// Serialized opel.v1.SubmitRequests carrying a sitrep or a command (for clients).
std::string sitrep_request(const engine::Sitrep& sitrep);
std::string acknowledgement_request(const engine::Acknowledgement& ack);
std::string declaration_request(const engine::Declaration& declaration,
                                std::string_view declaration_id);
std::string unacknowledged_request(const engine::Unacknowledged& report);

// What the reply to a command comes to for a client that sends commands unattended and
// retries (opel-notifyd): done (ACCEPTED, or DUPLICATE: it was done before), refused
// (REJECTED: sending it again cannot help), or retry (UNAVAILABLE, or a reply that cannot be
// read). `detail` says which, with the reply's message or every error.
// The same reading serves any SubmitReply (a sitrep's too: LATE is done).
struct CommandReply {
    enum class Outcome { done, refused, retry };
    Outcome outcome = Outcome::retry;
    std::string detail;
    std::string json;           // the reply as JSON (opel.v1.SubmitReply); "" when unreadable
    std::string status;         // "ACCEPTED", "DUPLICATE", ...; "" when unreadable
    std::string submission_id;  // the reply's (a command's key); "" when unreadable
};
CommandReply read_command_reply(std::string_view bytes);

}  // namespace opel::codec

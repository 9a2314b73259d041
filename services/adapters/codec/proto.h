// The protobuf mapping (proto.cc): opel.v1 messages <-> the engine's plain types. With
// wire.h, the only place that knows both sides; a daemon's core uses messages.h and wire.h
// and never a generated type (tools/dev/check-layering keeps the .pb.h includes here).
#pragma once

#include <string_view>

#include "adapters/codec/decoded.h"
#include "engine/engine.h"
#include "opel/v1/event.pb.h"
#include "opel/v1/reply.pb.h"
#include "opel/v1/result.pb.h"
#include "opel/v1/sitrep.pb.h"
#include "opel/v1/state.pb.h"

namespace opel::codec {

// Decodes a wire sitrep. Only a malformed timestamp can fail here; content rules are the
// engine's validate_sitrep.
SitrepResult from_proto(const v1::Sitrep& sitrep);
v1::Sitrep to_proto(const engine::Sitrep& sitrep);

v1::Status to_proto(engine::Status status);
engine::Status from_proto(v1::Status status);
v1::NodeResult to_proto(const engine::NodeResult& result);
v1::Event to_proto(const engine::Event& event);
// The same into an existing (empty) message, e.g. one on a protobuf Arena.
void to_proto(const engine::NodeResult& result, v1::NodeResult& out);
void to_proto(const engine::Event& event, v1::Event& out);
void to_proto(const engine::NodeSnapshot& snapshot, v1::NodeState& out);
void to_proto(const engine::Unacknowledged& report, v1::Unacknowledged& out);
v1::SubmitError to_proto(const engine::FieldError& error);

// Results and stored state back to the engine (restart, clients). Unknown enum values map to
// UNKNOWN / site; text fields are copied as they are.
engine::NodeResult from_proto(const v1::NodeResult& result);
engine::Event from_proto(const v1::Event& event);
// Times as sent (the command decoder checks them first).
engine::Unacknowledged from_proto(const v1::Unacknowledged& report);
v1::NodeState to_proto(const engine::NodeSnapshot& snapshot);
engine::NodeSnapshot from_proto(const v1::NodeState& state);

// The reply for an engine outcome (sequence is the caller's: 0 offline). With
// `with_result` false the site result is left out (a caller that has it serialized already
// appends it with append_field).
v1::SubmitReply to_reply(const engine::SubmitOutcome& outcome, std::string_view site_id,
                         std::uint64_t sequence, bool with_result = true);

}  // namespace opel::codec

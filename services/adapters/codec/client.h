// What a client reads from opel-escalatord (opel submit, status, watch, simulate): a reply
// to a submission, a message of the feed, a snapshot. Each is parsed with protobuf and then
// checked for what protobuf cannot check: a reply has a known outcome; a feed message has
// exactly one body, the one its topic names, for the node its topic names, and a sequence;
// a snapshot is not a refusal; every time is one RFC 3339 can write (so the message has a
// JSON form). The error says what was wrong, for the client's message.
// Unknown enum values inside results and events are let through (a newer daemon may add
// some); codec::from_proto maps them to UNKNOWN.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "opel/v1/feed.pb.h"
#include "opel/v1/query.pb.h"
#include "opel/v1/reply.pb.h"

namespace opel::codec {

Result<v1::SubmitReply, std::string> read_reply(std::string_view bytes);
Result<v1::Publication, std::string> read_publication(std::string_view topic,
                                                      std::string_view bytes);
// A snapshot the daemon refused (its `error`) is an error here too.
Result<v1::Snapshot, std::string> read_snapshot(std::string_view bytes);
// A query reply; a refused query ("query refused: field: code: message") is an error.
Result<v1::QueryReply, std::string> read_query_reply(std::string_view bytes);

}  // namespace opel::codec

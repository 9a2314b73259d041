#include "adapters/codec/query.h"

#include "adapters/codec/client.h"
#include "adapters/codec/proto.h"
#include "adapters/codec/wire.h"
#include "opel/v1/query.pb.h"

namespace opel::codec {
namespace {

Result<std::uint32_t, engine::FieldError> limit_of(std::uint32_t asked) {
    if (asked > max_query_limit) {
        return unexpected(engine::FieldError{"limit", "out_of_range",
                                             "limit " + std::to_string(asked) +
                                                 " is above the most one page holds (" +
                                                 std::to_string(max_query_limit) + ")"});
    }
    return asked == 0 ? default_query_limit : asked;
}

Result<std::optional<TimePoint>, engine::FieldError> time_of(bool present,
                                                             const google::protobuf::Timestamp& t,
                                                             const char* field) {
    if (!present) {
        return std::optional<TimePoint>{};
    }
    auto time = time_from_wire(t.seconds(), t.nanos());
    if (!time) {
        return unexpected(engine::FieldError{
            field, "invalid_time",
            std::string(field) + " is not a valid time (years 1-9999, nanos 0-999999999)"});
    }
    return std::optional<TimePoint>(*time);
}

Result<QueryAsk, engine::FieldError> history_ask(const v1::HistoryQuery& h) {
    QueryAsk ask;
    switch (h.kind()) {
        case v1::HISTORY_KIND_SITREPS:
            ask.kind = QueryAsk::Kind::sitreps;
            break;
        case v1::HISTORY_KIND_RESULTS:
            ask.kind = QueryAsk::Kind::results;
            break;
        case v1::HISTORY_KIND_EVENTS:
            ask.kind = QueryAsk::Kind::events;
            break;
        default:
            return unexpected(engine::FieldError{"kind", "missing",
                                                 "say which history: sitreps, results or events"});
    }
    auto from = time_of(h.has_from(), h.from(), "from");
    auto to = time_of(h.has_to(), h.to(), "to");
    auto limit = limit_of(h.limit());
    if (!from || !to || !limit) {
        return unexpected(!from ? from.error() : !to ? to.error() : limit.error());
    }
    if (*from && *to && **to < **from) {
        return unexpected(engine::FieldError{
            "to", "before_from",
            "to (" + format_utc(**to) + ") is before from (" + format_utc(**from) + ")"});
    }
    ask.node = h.node();
    ask.from = *from;
    ask.to = *to;
    ask.after = h.after_cursor();
    ask.limit = *limit;
    ask.only_node = h.only_node();
    return ask;
}

}  // namespace

Result<QueryAsk, engine::FieldError> read_query(std::string_view request) {
    v1::QueryRequest q;
    if (!q.ParseFromArray(request.data(), static_cast<int>(request.size()))) {
        return unexpected(engine::FieldError{
            "", "malformed",
            "not an opel.v1.QueryRequest (" + std::to_string(request.size()) + " bytes)"});
    }
    if (q.has_history()) {
        return history_ask(q.history());
    }
    if (!q.has_publications()) {
        return unexpected(engine::FieldError{"query", "missing",
                                             "the request asks for nothing: set "
                                             "publications or history"});
    }
    const v1::PublicationsQuery& p = q.publications();
    auto limit = limit_of(p.limit());
    auto since = time_of(p.has_since(), p.since(), "since");
    if (!limit || !since) {
        return unexpected(!limit ? limit.error() : since.error());
    }
    QueryAsk ask;
    ask.after = p.after_sequence();
    ask.from = *since;
    ask.limit = *limit;
    return ask;
}

std::string query_reply(QueryAsk::Kind kind, std::span<const QueryRow> rows,
                        const QueryPage& page) {
    v1::QueryReply reply;
    reply.set_more(page.more);
    reply.set_next_cursor(page.next_cursor);
    reply.set_last_sequence(page.last_sequence);
    reply.set_epoch(page.epoch);
    std::string out = reply.SerializeAsString();
    for (const QueryRow& row : rows) {
        if (kind != QueryAsk::Kind::sitreps) {
            append_field(out, v1::QueryReply::kPublicationsFieldNumber, row.payload);
            continue;
        }
        v1::StoredSitrep stored;
        stored.mutable_received_at()->set_seconds(row.received_at.time_since_epoch().count());
        stored.set_status(std::string(row.status));
        std::string bytes = stored.SerializeAsString();
        append_field(bytes, v1::StoredSitrep::kSitrepFieldNumber, row.payload);
        append_field(out, v1::QueryReply::kSitrepsFieldNumber, bytes);
    }
    return out;
}

std::string query_error(const engine::FieldError& error, const QueryPage& page) {
    v1::QueryReply reply;
    reply.mutable_error()->set_field(error.field);
    reply.mutable_error()->set_code(error.code);
    reply.mutable_error()->set_message(error.message);
    reply.set_last_sequence(page.last_sequence);
    reply.set_epoch(page.epoch);
    return reply.SerializeAsString();
}

std::string history_request(const QueryAsk& ask) {
    v1::QueryRequest request;
    v1::HistoryQuery& h = *request.mutable_history();
    h.set_kind(ask.kind == QueryAsk::Kind::sitreps  ? v1::HISTORY_KIND_SITREPS
               : ask.kind == QueryAsk::Kind::events ? v1::HISTORY_KIND_EVENTS
                                                    : v1::HISTORY_KIND_RESULTS);
    h.set_node(ask.node);
    if (ask.from) {
        h.mutable_from()->set_seconds(ask.from->time_since_epoch().count());
    }
    if (ask.to) {
        h.mutable_to()->set_seconds(ask.to->time_since_epoch().count());
    }
    h.set_after_cursor(ask.after);
    h.set_limit(ask.limit);
    h.set_only_node(ask.only_node);
    return request.SerializeAsString();
}

Result<ResultsPage, std::string> read_results_page(std::string_view reply) {
    auto page = read_query_reply(reply);  // a refusal is an error too, naming the field
    if (!page) {
        return unexpected(page.error());
    }
    ResultsPage out;
    out.more = page->more();
    out.next_cursor = page->next_cursor();
    for (const v1::Publication& p : page->publications()) {
        if (p.has_status()) {
            out.results.push_back(from_proto(p.status()));
        }
    }
    return out;
}

}  // namespace opel::codec

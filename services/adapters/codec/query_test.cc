#include "adapters/codec/query.h"

#include <gtest/gtest.h>

#include <array>

#include "adapters/codec/client.h"
#include "adapters/codec/wire.h"
#include "opel/v1/query.pb.h"

namespace opel::codec {
namespace {

std::string history(v1::HistoryKind kind, std::int64_t from, std::int64_t to,
                    std::uint32_t limit = 0) {
    v1::QueryRequest q;
    q.mutable_history()->set_kind(kind);
    q.mutable_history()->set_node("RWJ");
    q.mutable_history()->mutable_from()->set_seconds(from);
    q.mutable_history()->mutable_to()->set_seconds(to);
    q.mutable_history()->set_limit(limit);
    q.mutable_history()->set_after_cursor(5);
    return q.SerializeAsString();
}

TEST(QueryTest, AHistoryRequestIsReadIntoValues) {
    const auto ask = read_query(history(v1::HISTORY_KIND_EVENTS, 1767225600, 1767312000));
    ASSERT_TRUE(ask) << ask.error().message;
    EXPECT_EQ(ask->kind, QueryAsk::Kind::events);
    EXPECT_EQ(ask->node, "RWJ");
    EXPECT_EQ(format_utc(*ask->from), "2026-01-01T00:00:00Z");
    EXPECT_EQ(format_utc(*ask->to), "2026-01-02T00:00:00Z");
    EXPECT_EQ(ask->after, 5U);
    EXPECT_EQ(ask->limit, default_query_limit);
}

TEST(QueryTest, EveryBadRequestNamesItsField) {
    const auto error_of = [](const std::string& bytes) {
        const auto ask = read_query(bytes);
        return ask ? std::string("accepted") : ask.error().field + ": " + ask.error().code;
    };
    EXPECT_EQ(error_of("\xff"), ": malformed");
    EXPECT_EQ(error_of(""), "query: missing");
    EXPECT_EQ(error_of(history(v1::HISTORY_KIND_UNSPECIFIED, 0, 1)), "kind: missing");
    EXPECT_EQ(error_of(history(v1::HISTORY_KIND_RESULTS, 1767312000, 1767225600)),
              "to: before_from");
    EXPECT_EQ(error_of(history(v1::HISTORY_KIND_RESULTS, 0, 1, max_query_limit + 1)),
              "limit: out_of_range");
    EXPECT_EQ(error_of(history(v1::HISTORY_KIND_RESULTS, 253402300800, 253402300801)),
              "from: invalid_time");
    const auto backwards = read_query(history(v1::HISTORY_KIND_RESULTS, 1767312000, 1767225600));
    EXPECT_EQ(backwards.error().message,
              "to (2026-01-01T00:00:00Z) is before from (2026-01-02T00:00:00Z)");
}

TEST(QueryTest, RowsGoIntoTheReplyAsTheyWereStored) {
    engine::NodeResult r;
    r.node_id = "RWJ";
    r.path = "national/north-west/QOP/stockport/RWJ";
    const std::string pub = status_publication(7, encode_result(r), 3);
    const std::array rows{QueryRow{pub, {}, {}}, QueryRow{pub, {}, {}}};
    const std::string bytes = query_reply(QueryAsk::Kind::results, rows, {true, 7, 9, 3});
    const auto reply = read_query_reply(bytes);
    ASSERT_TRUE(reply) << reply.error();
    ASSERT_EQ(reply->publications_size(), 2);
    EXPECT_EQ(reply->publications(1).status().path(), r.path);
    EXPECT_TRUE(reply->more());
    EXPECT_EQ(reply->next_cursor(), 7U);
    EXPECT_EQ(reply->last_sequence(), 9U);

    v1::Sitrep sitrep;
    sitrep.set_site_id("RWJ");
    const std::string stored = sitrep.SerializeAsString();
    const std::array sitreps{QueryRow{stored, TimePoint{Duration{1767225600}}, "late"}};
    const auto with_sitreps =
        read_query_reply(query_reply(QueryAsk::Kind::sitreps, sitreps, {false, 1, 9, 3}));
    ASSERT_TRUE(with_sitreps) << with_sitreps.error();
    ASSERT_EQ(with_sitreps->sitreps_size(), 1);
    EXPECT_EQ(with_sitreps->sitreps(0).sitrep().site_id(), "RWJ");
    EXPECT_EQ(with_sitreps->sitreps(0).status(), "late");
    EXPECT_EQ(with_sitreps->sitreps(0).received_at().seconds(), 1767225600);
}

TEST(QueryTest, ARefusalReachesTheClientAsAnError) {
    const auto reply =
        read_query_reply(query_error({"node", "unknown", "no node 'XYZ'"}, {false, 0, 9, 3}));
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error(), "query refused: node: unknown: no node 'XYZ'");
}

TEST(QueryTest, AClientsHistoryRequestReadsBackAsAsked) {
    QueryAsk ask;
    ask.kind = QueryAsk::Kind::results;
    ask.node = "stockport";
    ask.only_node = true;
    ask.from = *parse_rfc3339("2026-01-13T08:00:00Z");
    ask.to = *parse_rfc3339("2026-01-14T08:00:00Z");
    ask.after = 12;
    ask.limit = 50;
    const auto read = read_query(history_request(ask));
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(read->kind, QueryAsk::Kind::results);
    EXPECT_EQ(read->node, "stockport");
    EXPECT_TRUE(read->only_node);
    EXPECT_EQ(format_utc(*read->from), "2026-01-13T08:00:00Z");
    EXPECT_EQ(format_utc(*read->to), "2026-01-14T08:00:00Z");
    EXPECT_EQ(read->after, 12U);
    EXPECT_EQ(read->limit, 50U);
}

TEST(QueryTest, AResultsPageGivesTheResultsAndWhetherThereIsMore) {
    engine::NodeResult r;
    r.node_id = "RWJ";
    r.status = engine::Status::opel3;
    r.parameters.push_back({"handover", "Handover", "min", 52.0, 3, 2, false, {}, false, ">= 45"});
    const std::string pub = status_publication(7, encode_result(r), 3);
    const std::array rows{QueryRow{pub, {}, {}}};
    const auto page =
        read_results_page(query_reply(QueryAsk::Kind::results, rows, {true, 7, 9, 3}));
    ASSERT_TRUE(page) << page.error();
    ASSERT_EQ(page->results.size(), 1U);
    EXPECT_EQ(page->results[0].status, engine::Status::opel3);
    EXPECT_EQ(page->results[0].parameters.at(0).value, 52.0);
    EXPECT_TRUE(page->more);
    EXPECT_EQ(page->next_cursor, 7U);
    const auto refused =
        read_results_page(query_error({"node", "unknown", "no node 'XYZ'"}, {false, 0, 9, 3}));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), "query refused: node: unknown: no node 'XYZ'");
    EXPECT_FALSE(read_results_page("\xff\xff"));
}

}  // namespace
}  // namespace opel::codec

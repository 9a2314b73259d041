// The query endpoint: history out of the store (sitreps, results and events of a subtree in a
// time range) and the stored publications after a sequence number, for `opel history`,
// `opel watch --since` and the daemons that catch up after a gap.
//
// It runs on its own thread with its own ROUTER socket and its own database connection, so
// a query never waits for ingest and ingest never waits for a query: SQLite's WAL lets the
// reader see the last committed state while the journal writes. Each answer is read in one
// read transaction (rows and last_sequence agree) and is one bounded page: at most the
// request's limit (≤ 10,000 rows) and about 4 MB; `more` and `next_cursor` say how to go on.
#pragma once

#include <spdlog/logger.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <variant>
#include <vector>
#include <zmq.hpp>

#include "adapters/codec/query.h"
#include "adapters/net/curve.h"
#include "adapters/net/errc.h"
#include "escalatord/scope.h"
#include "escalatord/store/store.h"

namespace opel::escalatord {

// A node of the configured tree, as the query endpoint resolves "node" to ids.
struct QueryNode {
    std::string id;
    std::string path;
    bool site = false;
};

class QueryService {
public:
    QueryService(zmq::context_t& context, std::string endpoint, std::unique_ptr<store::Store> store,
                 std::vector<QueryNode> nodes, std::uint64_t epoch, spdlog::logger& log);
    ~QueryService();
    QueryService(const QueryService&) = delete;
    QueryService& operator=(const QueryService&) = delete;

    // With `curve_secret`, a CURVE server: the context's ZAP handler (the Server's, bound
    // first) admits the keys, and each answer holds only its key's subtrees (set_scopes).
    net::NetResult<std::monostate> bind(bool allow_insecure_remote,
                                        std::optional<gid_t> group = std::nullopt,
                                        const std::optional<net::CurveKey>& curve_secret = {});
    // Serves on its own thread until stop() (or destruction).
    void start();
    void stop();

    // The serialized opel.v1.QueryReply for a serialized opel.v1.QueryRequest: what the
    // thread sends back (callable directly where no socket is wanted).
    // A CURVE `sender` reads only its subtrees: history of a node outside them is REJECTED
    // (node / not_allowed), a wider one narrowed, and publications of other nodes skipped.
    std::string answer(std::string_view request, const Sender& sender = {});

    // Replaces the node list (a reload changed the tree). Thread-safe: a query already
    // resolving ids keeps the list it started with.
    void set_nodes(std::vector<QueryNode> nodes);
    // Replaces the clients' scopes (CURVE; a reload). Thread-safe, like set_nodes.
    void set_scopes(std::shared_ptr<const Scopes> scopes);

private:
    std::shared_ptr<const std::vector<QueryNode>> nodes() const;

    Result<std::vector<std::string>, engine::FieldError> ids_for(const codec::QueryAsk& ask) const;
    // ids_for's answer limited to what `scope` may read (null: nothing).
    Result<std::vector<std::string>, engine::FieldError> within(const codec::QueryAsk& ask,
                                                                std::vector<std::string> ids,
                                                                const Sender& sender) const;
    std::string read_page(const codec::QueryAsk& ask, std::vector<std::string> ids,
                          const Sender& sender);
    // The sequence to read publications after: `after`, or with a time, the last before it.
    store::StoreResult<std::uint64_t> publications_from(const codec::QueryAsk& ask);
    // The page's rows (one more than the limit), in the caller's read transaction.
    store::StoreResult<std::vector<store::HistoryRow>> rows_for(const codec::QueryAsk& ask,
                                                                std::vector<std::string> ids);
    void run();
    void serve_one();

    zmq::context_t& context_;
    std::string endpoint_;
    std::unique_ptr<store::Store> store_;
    mutable std::mutex nodes_mutex_;  // guards nodes_: set on the io thread, read on this one
    std::shared_ptr<const std::vector<QueryNode>> nodes_;
    std::shared_ptr<const Scopes> scopes_;  // guarded by nodes_mutex_ too
    std::uint64_t epoch_;
    spdlog::logger& log_;
    bool curve_ = false;  // bound as a CURVE server
    zmq::socket_t router_;
    zmq::socket_t control_;  // stop(): a message here ends the thread's loop
    std::string control_endpoint_;
    std::thread thread_;
};

}  // namespace opel::escalatord

#include "escalatord/query.h"

#include <algorithm>
#include <array>
#include <map>
#include <zmq_addon.hpp>

#include "adapters/net/asio_socket.h"
#include "engine/model.h"

namespace opel::escalatord {
namespace {

// A page stops growing past this many bytes of rows (the client asks for the next one).
constexpr std::size_t max_page_bytes = std::size_t{4} << 20;

store::HistoryTable table_of(codec::QueryAsk::Kind kind) {
    switch (kind) {
        case codec::QueryAsk::Kind::sitreps:
            return store::HistoryTable::sitreps;
        case codec::QueryAsk::Kind::events:
            return store::HistoryTable::events;
        default:
            return store::HistoryTable::results;
    }
}

}  // namespace

QueryService::QueryService(zmq::context_t& context, std::string endpoint,
                           std::unique_ptr<store::Store> store, std::vector<QueryNode> nodes,
                           std::uint64_t epoch, spdlog::logger& log)
    : context_(context),
      endpoint_(std::move(endpoint)),
      store_(std::move(store)),
      nodes_(std::make_shared<const std::vector<QueryNode>>(std::move(nodes))),
      epoch_(epoch),
      log_(log),
      router_(context, zmq::socket_type::router),
      control_(context, zmq::socket_type::pair),
      control_endpoint_("inproc://opel-query-control-" +
                        std::to_string(reinterpret_cast<std::uintptr_t>(this))) {
    router_.set(zmq::sockopt::maxmsgsize, std::int64_t{4096});
    router_.set(zmq::sockopt::router_mandatory, 1);
    router_.set(zmq::sockopt::linger, 0);
    control_.set(zmq::sockopt::linger, 0);
    control_.bind(control_endpoint_);
}

QueryService::~QueryService() { stop(); }

net::NetResult<std::monostate> QueryService::bind(
    bool allow_insecure_remote, std::optional<gid_t> group,
    const std::optional<net::CurveKey>& curve_secret) {
    if (curve_secret) {
        net::make_curve_server(router_, *curve_secret);
        curve_ = true;
    }
    return net::bind_listener(router_, endpoint_, allow_insecure_remote || curve_, group);
}

void QueryService::start() {
    thread_ = std::thread([this] { run(); });
}

void QueryService::stop() {
    if (thread_.joinable()) {
        control_.send(zmq::str_buffer("stop"), zmq::send_flags::none);
        thread_.join();
    }
}

void QueryService::run() {
    zmq::socket_t control(context_, zmq::socket_type::pair);
    control.set(zmq::sockopt::linger, 0);
    control.connect(control_endpoint_);
    std::array<zmq::pollitem_t, 2> items{
        {{router_.handle(), 0, ZMQ_POLLIN, 0}, {control.handle(), 0, ZMQ_POLLIN, 0}}};
    while (true) {
        zmq::poll(items.data(), items.size(), std::chrono::milliseconds(-1));
        if ((items[1].revents & ZMQ_POLLIN) != 0) {
            return;
        }
        if ((items[0].revents & ZMQ_POLLIN) != 0) {
            serve_one();
        }
    }
}

void QueryService::serve_one() {
    std::vector<zmq::message_t> frames = net::receive_multipart(router_);
    if (frames.size() < 2) {
        return;  // nothing routable to answer
    }
    std::shared_ptr<const Scopes> keep_scopes;
    Sender sender;
    if (curve_) {
        sender.curve = true;
        if (const auto name = net::client_name(frames.back())) {
            sender.name = std::string(*name);
            const std::scoped_lock lock(nodes_mutex_);
            sender.scope = scopes_ ? scopes_->find(*name) : nullptr;
            keep_scopes = scopes_;  // the scope stays valid while this answer is read
        }
    }
    const std::string reply = answer(frames.back().to_string_view(), sender);
    frames.back().rebuild(reply.data(), reply.size());
    try {
        if (!zmq::send_multipart(router_, frames, zmq::send_flags::dontwait)) {
            log_.warn("query: reply undelivered (the client is not reading)");
        }
    } catch (const zmq::error_t& e) {
        log_.warn("query: reply undelivered: {}", e.what());
    }
}

void QueryService::set_nodes(std::vector<QueryNode> nodes) {
    auto swapped = std::make_shared<const std::vector<QueryNode>>(std::move(nodes));
    const std::scoped_lock lock(nodes_mutex_);
    nodes_ = std::move(swapped);
}

void QueryService::set_scopes(std::shared_ptr<const Scopes> scopes) {
    const std::scoped_lock lock(nodes_mutex_);
    scopes_ = std::move(scopes);
}

std::shared_ptr<const std::vector<QueryNode>> QueryService::nodes() const {
    const std::scoped_lock lock(nodes_mutex_);
    return nodes_;
}

Result<std::vector<std::string>, engine::FieldError> QueryService::ids_for(
    const codec::QueryAsk& ask) const {
    std::vector<std::string> ids;
    if (ask.node.empty()) {
        return ids;  // everything
    }
    // A node id names its subtree; anything else is a path filter (engine::path_matches).
    const std::shared_ptr<const std::vector<QueryNode>> nodes = this->nodes();
    const auto named = std::find_if(nodes->begin(), nodes->end(),
                                    [&](const QueryNode& n) { return n.id == ask.node; });
    if (ask.only_node && named != nodes->end()) {
        if (named->site || ask.kind != codec::QueryAsk::Kind::sitreps) {
            ids.push_back(named->id);
        } else {
            ids.emplace_back();  // a system has no sitreps of its own
        }
        return ids;
    }
    const std::string filter = named != nodes->end() ? named->path : ask.node;
    bool any = false;
    for (const QueryNode& n : *nodes) {
        if (engine::path_matches(n.path, filter)) {
            any = true;
            if (n.site || ask.kind != codec::QueryAsk::Kind::sitreps) {
                ids.push_back(n.id);
            }
        }
    }
    if (!any) {
        return unexpected(engine::FieldError{
            "node", "unknown", "no node with id or path '" + ask.node + "' in the configuration"});
    }
    if (ids.empty()) {
        ids.emplace_back();  // a subtree without sites has no sitreps: match nothing
    }
    return ids;
}

Result<std::vector<std::string>, engine::FieldError> QueryService::within(
    const codec::QueryAsk& ask, std::vector<std::string> ids, const Sender& sender) const {
    const bool everything = ids.empty();
    const bool nothing_of_this_kind = ids.size() == 1 && ids.front().empty();
    std::vector<std::string> out;
    for (const QueryNode& n : *nodes()) {
        const bool asked = everything ? n.site || ask.kind != codec::QueryAsk::Kind::sitreps
                                      : std::find(ids.begin(), ids.end(), n.id) != ids.end();
        if (asked && sender.scope != nullptr && sender.scope->may_read(n.path)) {
            out.push_back(n.id);
        }
    }
    if (!out.empty()) {
        return out;
    }
    if (nothing_of_this_kind) {
        return ids;  // a subtree without rows of this kind: nothing to show anyone
    }
    const std::string who = sender.name.empty() ? "this key" : sender.name;
    return unexpected(engine::FieldError{
        "node", "not_allowed",
        ask.node.empty() ? who + " may read no node with rows of this kind"
                         : "'" + ask.node + "' is not inside the subtrees " + who + " may read"});
}

std::string QueryService::answer(std::string_view request, const Sender& sender) {
    codec::QueryPage page;
    page.epoch = epoch_;
    const auto ask = codec::read_query(request);
    if (!ask) {
        return codec::query_error(ask.error(), page);
    }
    auto ids =
        ask->kind == codec::QueryAsk::Kind::publications
            ? Result<std::vector<std::string>, engine::FieldError>(std::vector<std::string>{})
            : ids_for(*ask);
    if (ids && sender.curve && ask->kind != codec::QueryAsk::Kind::publications) {
        ids = within(*ask, std::move(*ids), sender);
    }
    if (!ids) {
        return codec::query_error(ids.error(), page);
    }
    return read_page(*ask, std::move(*ids), sender);
}

store::StoreResult<std::uint64_t> QueryService::publications_from(const codec::QueryAsk& ask) {
    if (ask.kind != codec::QueryAsk::Kind::publications || !ask.from) {
        return ask.after;
    }
    const auto first = store_->first_sequence_since(*ask.from);
    if (!first) {
        return unexpected(first.error());
    }
    // None yet: everything from now on is after the last stored one.
    const auto last = store_->last_sequence();
    if (!last) {
        return unexpected(last.error());
    }
    return std::max(ask.after, *first ? **first - 1 : *last);
}

store::StoreResult<std::vector<store::HistoryRow>> QueryService::rows_for(
    const codec::QueryAsk& ask, std::vector<std::string> ids) {
    const auto after = publications_from(ask);
    if (!after) {
        return unexpected(after.error());
    }
    // One row more than the page: tells whether there is a next page.
    const std::size_t limit = std::size_t{ask.limit} + 1;
    if (ask.kind == codec::QueryAsk::Kind::publications) {
        return store_->publications_after(*after, limit);
    }
    return store_->history(table_of(ask.kind), {std::move(ids), ask.from, ask.to, *after, limit});
}

std::string QueryService::read_page(const codec::QueryAsk& ask, std::vector<std::string> ids,
                                    const Sender& sender) {
    codec::QueryPage page;
    page.epoch = epoch_;
    const auto unavailable = [&](const store::StoreError& e) {
        log_.warn("query: {}", e.message);
        return codec::query_error({"", "unavailable", e.message + " (retry)"}, page);
    };
    if (auto r = store_->begin_read(); !r) {
        return unavailable(r.error());
    }
    const auto last = store_->last_sequence();
    auto rows = rows_for(ask, std::move(ids));
    store_->end_read();
    if (!last || !rows) {
        return unavailable(!last ? last.error() : rows.error());
    }
    page.last_sequence = *last;
    // Publications of nodes a CURVE sender may not read are skipped (the cursor moves past
    // them all the same), so a page may hold fewer rows than the limit.
    std::map<std::string, std::string, std::less<>> paths;
    if (sender.curve && ask.kind == codec::QueryAsk::Kind::publications) {
        for (const QueryNode& n : *nodes()) {
            paths.emplace(n.id, n.path);
        }
    }
    const auto skipped = [&](const store::HistoryRow& row) {
        if (!sender.curve || ask.kind != codec::QueryAsk::Kind::publications) {
            return false;
        }
        const auto path = paths.find(row.node_id);
        return sender.scope == nullptr || path == paths.end() ||
               !sender.scope->may_read(path->second);
    };
    std::vector<codec::QueryRow> out;
    std::size_t bytes = 0;
    page.next_cursor = ask.after;
    for (std::size_t i = 0; i < rows->size(); ++i) {
        const store::HistoryRow& row = (*rows)[i];
        if (i == ask.limit || (!out.empty() && bytes + row.payload.size() > max_page_bytes)) {
            page.more = true;
            break;
        }
        page.next_cursor = row.cursor;
        if (skipped(row)) {
            continue;
        }
        bytes += row.payload.size();
        out.push_back({row.payload, row.received_at, row.status});
    }
    return codec::query_reply(ask.kind, out, page);
}

}  // namespace opel::escalatord

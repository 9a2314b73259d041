// Fuzz target: what the opel command and opel-webd do with bytes a daemon (or anything
// listening on its endpoint) sends back: a submit reply, a feed message (topic and payload), a
// snapshot, a page of results history (drawn as opel-webd's history JSON and CSV). The first
// byte picks which; a feed message's topic is the bytes up to the first NUL. Each is
// read (codec/client.h) and, when accepted, shown as the command shows it: JSON, and the
// human rendering after the mapping to engine types. Nothing may crash, and an accepted feed
// message is what its topic says.
#include <google/protobuf/stubs/logging.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string_view>

#include "adapters/codec/board.h"
#include "adapters/codec/client.h"
#include "adapters/codec/json.h"
#include "adapters/codec/proto.h"
#include "adapters/codec/query.h"
#include "adapters/config/loader.h"
#include "engine/model.h"
#include "report.h"

namespace {

void show_reply(std::string_view bytes, std::ostream& out) {
    const auto reply = opel::codec::read_reply(bytes);
    if (!reply) {
        return;
    }
    out << opel::codec::to_json(*reply);
    opel::cli::print_site(out, opel::codec::from_proto(reply->result()));
}

void show_publication(std::string_view bytes, std::ostream& out) {
    const std::size_t nul = bytes.find('\0');
    const std::string_view topic = bytes.substr(0, nul);
    const std::string_view payload =
        nul == std::string_view::npos ? std::string_view{} : bytes.substr(nul + 1);
    const auto pub = opel::codec::read_publication(topic, payload);
    if (!pub) {
        return;
    }
    out << opel::codec::to_json(*pub);
    if (pub->has_status()) {
        if (topic != "status/" + pub->status().path()) {
            std::abort();
        }
        opel::cli::print_row(out, 0, "", opel::codec::from_proto(pub->status()));
    } else if (pub->has_alert()) {
        if (topic != "alert/" + pub->alert().path()) {
            std::abort();
        }
        opel::cli::print_event(out, opel::codec::from_proto(pub->alert()));
    } else if (topic != "heartbeat") {
        std::abort();
    }
}

void show_snapshot(std::string_view bytes, std::ostream& out) {
    const auto snapshot = opel::codec::read_snapshot(bytes);
    if (!snapshot) {
        return;
    }
    out << opel::codec::to_json(*snapshot);
    for (const opel::v1::NodeResult& r : snapshot->results()) {
        opel::cli::print_row(out, 1, r.node_id(), opel::codec::from_proto(r));
    }
}

// A results page as opel-webd charts it: every result of the page as site RWJ's of the system
// tests' configuration (its JSON and CSV, with RWJ's card's parameters).
void show_history(std::string_view bytes, std::ostringstream& out) {
    const auto page = opel::codec::read_results_page(bytes);
    if (!page) {
        return;
    }
    static const auto model = [] {
        auto loaded = opel::config::load_config(OPEL_FUZZ_CONFIG);
        if (!loaded) {
            std::abort();  // the fuzz target's own configuration must load
        }
        return std::make_unique<opel::engine::Model>(std::move(loaded->engine));
    }();
    opel::codec::HistorySeries series;
    series.node = *model->find_node("RWJ");
    series.results = page->results;
    out << opel::codec::history_json(*model, series) << opel::codec::history_csv(*model, series);
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    google::protobuf::SetLogHandler(nullptr);
    return 0;
}

// NOLINTNEXTLINE(readability-identifier-naming)
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::ostringstream out;
    switch (data[0] % 4) {
        case 0:
            show_reply(bytes, out);
            break;
        case 1:
            show_publication(bytes, out);
            break;
        case 2:
            show_snapshot(bytes, out);
            break;
        default:
            show_history(bytes, out);
    }
    return 0;
}

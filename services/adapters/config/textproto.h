// Reading configuration files in protobuf text format with every problem at file:line (the
// loader's and notifyd's settings share it). Internal to the config adapter.
#pragma once

#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "adapters/config/loader.h"

namespace opel::config::textproto {

namespace pb = google::protobuf;

// One parsed file: the message, where each field was, and the file name for errors.
template <typename Message>
struct Parsed {
    std::string file;
    Message message;
    std::unique_ptr<pb::TextFormat::ParseInfoTree> tree =
        std::make_unique<pb::TextFormat::ParseInfoTree>();
    bool ok = false;  // read and parsed; false after an error was appended
};

// Reads and parses `path` into `message`, recording where each field was in `tree` and
// appending its problems to `errors`; false after an error was appended.
bool parse_text(const std::filesystem::path& path, pb::Message& message,
                pb::TextFormat::ParseInfoTree& tree, std::vector<ConfigError>& errors);

// Reads and parses `path`, appending its problems to `errors` (validation collects every
// problem, so the convert and check steps append rather than return).
template <typename Message>
Parsed<Message> parse_file(const std::filesystem::path& path, std::vector<ConfigError>& errors) {
    Parsed<Message> out;
    out.file = path.string();
    out.ok = parse_text(path, out.message, *out.tree, errors);
    return out;
}

// The line of `field_path` (e.g. "parameters[2].thresholds.opel3") inside the message
// described by `desc` whose locations are in `tree`, or the nearest enclosing location found
// (`fallback_line` if none).
int locate(const pb::Descriptor* desc, const pb::TextFormat::ParseInfoTree* tree,
           const std::string& field_path, int fallback_line);

// Where an item (a measure, a card, a node) lives: file, message type, location tree.
struct ItemSite {
    std::string file;
    const pb::Descriptor* desc = nullptr;
    const pb::TextFormat::ParseInfoTree* tree = nullptr;
    int line = 1;
};

ConfigError error_at(const ItemSite& site, const std::string& field, std::string message);

// Where `parent`'s repeated message field `field_name`[index] is.
ItemSite repeated_item(const std::string& file, const pb::Message& parent, const char* field_name,
                       const pb::TextFormat::ParseInfoTree* tree, int index);

}  // namespace opel::config::textproto

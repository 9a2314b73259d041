#include "adapters/config/textproto.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/tokenizer.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string_view>

namespace opel::config::textproto {
namespace {

// Edit distance between `a` and `b` counting an adjacent swap as one edit (optimal string
// alignment), so "nmae" is one edit from "name".
std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) {
        d[i][0] = i;
    }
    for (std::size_t j = 0; j <= b.size(); ++j) {
        d[0][j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
            }
        }
    }
    return d[a.size()][b.size()];
}

// The field of message type `type` closest to the unknown `name`: at most two edits away and
// fewer edits than half its length. Empty when none is that close.
std::string closest_field(const std::string& type, const std::string& name) {
    const pb::Descriptor* desc = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(type);
    std::string best;
    std::size_t best_distance = std::min<std::size_t>(3, (name.size() + 1) / 2);
    for (int i = 0; desc != nullptr && i < desc->field_count(); ++i) {
        const std::string& candidate = desc->field(i)->name();
        const std::size_t distance = edit_distance(name, candidate);
        if (distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

// libprotobuf's unknown-field error (`Message type "T" has no field named "F".`) with a
// "did you mean" suggestion from T's field names; other messages unchanged.
std::string with_suggestion(const std::string& message) {
    static const std::string head = "Message type \"";
    static const std::string middle = "\" has no field named \"";
    const std::size_t type_end = message.find(middle);
    if (message.rfind(head, 0) != 0 || type_end == std::string::npos) {
        return message;
    }
    const std::size_t name_begin = type_end + middle.size();
    const std::size_t name_end = message.find('"', name_begin);
    if (name_end == std::string::npos) {
        return message;
    }
    const std::string suggestion =
        closest_field(message.substr(head.size(), type_end - head.size()),
                      message.substr(name_begin, name_end - name_begin));
    if (suggestion.empty()) {
        return message;
    }
    return message.substr(0, name_end + 1) + "; did you mean '" + suggestion + "'?";
}

// Collects libprotobuf's text-format errors instead of letting it print them.
class CollectingErrors final : public pb::io::ErrorCollector {
public:
    CollectingErrors(std::string file, std::vector<ConfigError>& errors)
        : file_(std::move(file)), errors_(errors) {}
    void AddError(int line, pb::io::ColumnNumber column, const std::string& message) override {
        errors_.push_back({file_, line + 1, column + 1, {}, with_suggestion(message)});
    }
    void AddWarning(int line, pb::io::ColumnNumber column, const std::string& message) override {
        AddError(line, column, message);
    }

private:
    std::string file_;
    std::vector<ConfigError>& errors_;
};

// Splits "parameters[2].thresholds.opel3" into {("parameters",2),("thresholds",-1),...}.
std::vector<std::pair<std::string, int>> split_path(const std::string& path) {
    std::vector<std::pair<std::string, int>> out;
    std::stringstream ss(path);
    std::string part;
    while (std::getline(ss, part, '.')) {
        int index = -1;
        if (const auto open = part.find('['); open != std::string::npos) {
            index = std::stoi(part.substr(open + 1));
            part = part.substr(0, open);
        }
        out.emplace_back(part, index);
    }
    return out;
}

}  // namespace

bool parse_text(const std::filesystem::path& path, pb::Message& message,
                pb::TextFormat::ParseInfoTree& tree, std::vector<ConfigError>& errors) {
    const std::string file = path.string();
    std::ifstream in(path);
    if (!in) {
        errors.push_back({file, 0, 0, {}, "cannot open file"});
        return false;
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    const std::size_t before = errors.size();
    CollectingErrors collector(file, errors);
    pb::TextFormat::Parser parser;
    parser.RecordErrorsTo(&collector);
    parser.WriteLocationsTo(&tree);
    const bool ok = parser.ParseFromString(buffer.str(), &message);
    if (!ok && errors.size() == before) {
        errors.push_back({file, 0, 0, {}, "cannot parse file"});
    }
    return ok;
}

// The line of `field_path` inside the message described by `desc` whose locations are in
// `tree`, or the nearest enclosing location found (`fallback_line` if none).
int locate(const pb::Descriptor* desc, const pb::TextFormat::ParseInfoTree* tree,
           const std::string& field_path, int fallback_line) {
    int line = fallback_line;
    for (const auto& [name, index] : split_path(field_path)) {
        if (desc == nullptr || tree == nullptr) {
            break;
        }
        const pb::FieldDescriptor* field = desc->FindFieldByName(name);
        if (field == nullptr) {
            break;
        }
        const int loc_index = field->is_repeated() ? std::max(index, 0) : -1;
        const auto loc = tree->GetLocation(field, loc_index);
        if (loc.line < 0) {
            break;
        }
        line = loc.line + 1;
        if (field->type() != pb::FieldDescriptor::TYPE_MESSAGE) {
            break;
        }
        tree = tree->GetTreeForNested(field, loc_index);
        desc = field->message_type();
    }
    return line;
}

ConfigError error_at(const ItemSite& site, const std::string& field, std::string message) {
    return {site.file, locate(site.desc, site.tree, field, site.line), 0, field,
            std::move(message)};
}

// REPEATED
ItemSite repeated_item(const std::string& file, const pb::Message& parent, const char* field_name,
                       const pb::TextFormat::ParseInfoTree* tree, int index) {
    const pb::FieldDescriptor* field = parent.GetDescriptor()->FindFieldByName(field_name);
    const auto loc = tree->GetLocation(field, index);
    return {file, field->message_type(), tree->GetTreeForNested(field, index),
            loc.line >= 0 ? loc.line + 1 : 1};
}

}  // namespace opel::config::textproto

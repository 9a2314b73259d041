// opel-webd's users and upload tokens (the file webd.users_file names), converted to plain
// values and checked against the tree, every problem at file:line.
#include <set>

#include "adapters/config/loader.h"
#include "adapters/config/textproto.h"
#include "opel/config/v1/opel_config.pb.h"

namespace opel::config {
namespace {

namespace cfg = opel::config::v1;
using textproto::error_at;
using textproto::ItemSite;
using textproto::parse_file;
using textproto::repeated_item;

constexpr std::size_t max_name_length = 100;

// What the checks append to.
struct Checking {
    std::vector<ConfigError>& errors;
    const engine::Model& model;
    std::set<std::string, std::less<>> names;  // users' and tokens' names so far
    std::string item;                          // "users[2]": the item being checked

    void add(const ItemSite& site, const std::string& field, std::string message) {
        errors.push_back(error_at(site, field, std::move(message)));
        errors.back().field = item.empty() ? field : item + "." + field;
    }

    // A name: present, printable ASCII without spaces at its ends, not too long, unique.
    void name(const ItemSite& site, const std::string& name) {
        if (name.empty()) {
            add(site, "name", "a name is required");
        } else if (auto problem = web_name_problem(name)) {
            add(site, "name", std::move(*problem));
        } else if (!names.insert(name).second) {
            add(site, "name", "'" + name + "' is named twice (users and tokens share names)");
        }
    }

    // Each of `sites` is a site of the tree; at least one when `required`, none otherwise.
    std::vector<std::string> sites(const ItemSite& site,
                                   const google::protobuf::RepeatedPtrField<std::string>& ids,
                                   bool required, const std::string& who) {
        if (required && ids.empty()) {
            add(site, "sites", who + " needs at least one site it may upload for");
        }
        if (!required && !ids.empty()) {
            add(site, "sites", who + " uploads nothing, so has no sites (make it a submitter)");
        }
        std::vector<std::string> out;
        for (int i = 0; i < ids.size(); ++i) {
            const auto index = model.find_node(ids[i]);
            if (!index || model.node(*index).config.kind != engine::NodeKind::site) {
                add(site, "sites[" + std::to_string(i) + "]",
                    "'" + ids[i] + "' is not " + (index ? "a site (a system)" : "in the tree"));
            }
            out.push_back(ids[i]);
        }
        return out;
    }
};

bool is_lower_hex(const std::string& text, std::size_t length) {
    if (text.size() != length) {
        return false;
    }
    for (const char c : text) {
        if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
            return false;
        }
    }
    return true;
}

WebUser convert_user(const cfg::WebUser& u, const ItemSite& site, Checking& c) {
    WebUser out;
    out.name = u.name();
    c.name(site, u.name());
    switch (u.role()) {
        case cfg::WEB_ROLE_VIEWER:
            out.role = WebRole::viewer;
            break;
        case cfg::WEB_ROLE_ACKNOWLEDGER:
            out.role = WebRole::acknowledger;
            break;
        case cfg::WEB_ROLE_SUBMITTER:
            out.role = WebRole::submitter;
            break;
        default:
            c.add(site, "role",
                  "a role is required: WEB_ROLE_VIEWER, WEB_ROLE_ACKNOWLEDGER or "
                  "WEB_ROLE_SUBMITTER");
    }
    // crypto_pwhash_str writes "$argon2id$v=19$m=...,t=...,p=...$salt$hash" (under 128 bytes).
    out.password_hash = u.password_hash();
    if ((out.password_hash.rfind("$argon2id$", 0) != 0 &&
         out.password_hash.rfind("$argon2i$", 0) != 0) ||
        out.password_hash.size() >= 128) {
        c.add(site, "password_hash",
              "not a crypto_pwhash_str hash (\"$argon2id$v=19$...\"; make one with opel web-user)");
    }
    out.sites = c.sites(site, u.sites(), out.role == WebRole::submitter, "user '" + u.name() + "'");
    return out;
}

WebToken convert_token(const cfg::WebToken& t, const ItemSite& site, Checking& c) {
    WebToken out;
    out.name = t.name();
    c.name(site, t.name());
    out.token_hash = t.token_hash();
    if (!is_lower_hex(out.token_hash, 64)) {
        c.add(site, "token_hash",
              "not a token hash (64 lowercase hex digits, BLAKE2b-256; make one with opel "
              "web-token)");
    }
    out.sites = c.sites(site, t.sites(), true, "token '" + t.name() + "'");
    return out;
}

}  // namespace

std::optional<std::string> web_name_problem(const std::string& name) {
    bool printable = !name.empty() && name.size() <= max_name_length && name.front() != ' ' &&
                     name.back() != ' ';
    for (const char c : name) {
        printable = printable && c >= 0x20 && c < 0x7f;
    }
    if (printable) {
        return std::nullopt;
    }
    return "'" + name + "' is not a name: printable ASCII, no spaces at either end, at most " +
           std::to_string(max_name_length) + " characters";
}

Result<WebAccess, std::vector<ConfigError>> load_web_access(const std::filesystem::path& file,
                                                            const engine::Model& model) {
    std::vector<ConfigError> errors;
    const auto parsed = parse_file<cfg::WebAccess>(file, errors);
    if (!parsed.ok) {
        return unexpected(std::move(errors));
    }
    const cfg::WebAccess& a = parsed.message;
    Checking c{errors, model, {}, {}};
    WebAccess out;
    for (int i = 0; i < a.users_size(); ++i) {
        c.item = "users[" + std::to_string(i) + "]";
        out.users.push_back(convert_user(
            a.users(i), repeated_item(parsed.file, a, "users", parsed.tree.get(), i), c));
    }
    for (int i = 0; i < a.tokens_size(); ++i) {
        c.item = "tokens[" + std::to_string(i) + "]";
        out.tokens.push_back(convert_token(
            a.tokens(i), repeated_item(parsed.file, a, "tokens", parsed.tree.get(), i), c));
    }
    if (out.users.empty() && out.tokens.empty()) {
        c.item.clear();
        c.add({parsed.file, cfg::WebAccess::descriptor(), parsed.tree.get(), 1}, "users",
              "no users and no tokens: nobody could use the wallboard");
    }
    if (!errors.empty()) {
        return unexpected(std::move(errors));
    }
    return out;
}

}  // namespace opel::config

// Loads the configuration files (protobuf text format) into plain, validated C++ values.
// Nothing outside this library sees the config protos. Every problem — syntax, unknown field,
// missing or out-of-range value, cross-field rule — comes back as file:line: field: message,
// all of them at once: the cross-field checks run even when some parts did not load, except
// those that read a broken part, which are listed as skipped.
//
//   opel.textproto ──▶ catalogue.textproto, cards/*.textproto, trees/*.textproto
//        │ parse (ErrorCollector + ParseInfoTree) ─▶ convert ─▶ engine::check_config
//        ▼
//   LoadedConfig { engine::EngineConfig, EscalatordSettings }
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "adapters/config/notify_settings.h"
#include "adapters/config/settings.h"
#include "base/result.h"
#include "engine/config.h"
#include "engine/model.h"

namespace opel::config {

// One configuration problem; line and column are 1-based (0 = whole file).
struct ConfigError {
    std::string file;
    int line = 0;
    int column = 0;
    std::string field;  // e.g. "parameters[2].thresholds.opel3"; empty for syntax errors
    std::string message;
    // Not a problem but a check that was not run because its inputs have problems (which are
    // reported): message names the check and why, e.g. "floor rules of card 'x' (...)".
    bool skipped = false;

    // "file:line: field: message" (or "file:line:column: message" for syntax errors);
    // "skipped: message" for a skipped check.
    std::string to_string() const;
};

struct LoadedConfig {
    engine::EngineConfig engine;
    EscalatordSettings escalatord;
    WebdSettings webd;  // assets made absolute (relative to the root file's directory)
    std::filesystem::path root_file;
    std::vector<std::filesystem::path> files;  // every file read, root first
};

// Loads `path`: a directory (reads <dir>/opel.textproto) or the root file itself.
Result<LoadedConfig, std::vector<ConfigError>> load_config(const std::filesystem::path& path);

// opel-notifyd's settings (the root file's `notifyd`) and the routing file they name,
// checked against `loaded`'s tree (every subtree names a node, every group exists, every
// address and URL is well formed): every problem at file:line, all at once. No value when
// the root file has no `notifyd` section.
Result<std::optional<NotifydSettings>, std::vector<ConfigError>> load_notifyd_config(
    const LoadedConfig& loaded);

// Why `name` cannot name a user or token of opel-webd's users file (printable ASCII, no
// spaces at either end, at most 100 characters), or none when it can.
std::optional<std::string> web_name_problem(const std::string& name);

// opel-webd's users and tokens from `file` (opel.config.v1.WebAccess), checked against
// `model`'s tree: names unique and printable, every role set, every hash in its form, every
// site a site of the tree (a submitter and a token name at least one; the others none), and
// at least one user or token. Every problem at file:line, all at once.
Result<WebAccess, std::vector<ConfigError>> load_web_access(const std::filesystem::path& file,
                                                            const engine::Model& model);

// A stable name for a configuration: 16 hex digits of a 64-bit FNV-1a digest of the bytes
// of every file it was read from (`files`, in order, each with its length so file
// boundaries count). It identifies a configuration (logs, the config event, snapshots); it
// does not protect one. A file that can no longer be read counts as empty.
std::string content_hash(const LoadedConfig& loaded);

}  // namespace opel::config

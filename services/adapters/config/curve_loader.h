// Internal to the config library (loader.cc, notify_loader.cc): escalatord.curve and the
// clients' key files, converted and checked (curve_loader.cc). Holds protobuf types: not for
// use outside this directory.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "adapters/config/loader.h"
#include "adapters/config/textproto.h"

namespace opel::config::v1 {
class EscalatordSettings;
}

namespace opel::engine {
class Model;
}

namespace opel::config {

// A client's key files made absolute (relative to `base`); both or neither, else a problem at
// `field`.
CurveClientFiles client_key_files(const std::filesystem::path& base, const std::string& public_file,
                                  const std::string& secret_file, const textproto::ItemSite& site,
                                  const std::string& field, std::vector<ConfigError>& errors);

// escalatord.curve without the tree: key files present, at least one client, names unique
// and printable, keys in Z85 and unique, each client allowed something. None when unset.
std::optional<CurveSettings> convert_curve(const v1::EscalatordSettings& s,
                                           const std::filesystem::path& base,
                                           const textproto::ItemSite& site,
                                           std::vector<ConfigError>& errors);

// The clients' sites and subtrees against the tree: every one a node (a system among the
// sites stands for every site below it), every subtree one whose path no other node's path
// begins with (feed filters are prefixes).
void check_curve_clients(const CurveSettings& curve, const engine::Model& model,
                         const textproto::ItemSite& site, std::vector<ConfigError>& errors);

}  // namespace opel::config

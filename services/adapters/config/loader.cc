#include "adapters/config/loader.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>

#include "adapters/config/curve_loader.h"
#include "adapters/config/textproto.h"
#include "engine/model.h"
#include "opel/config/v1/card.pb.h"
#include "opel/config/v1/catalogue.pb.h"
#include "opel/config/v1/opel_config.pb.h"
#include "opel/config/v1/tree.pb.h"

namespace opel::config {
namespace {

namespace pb = google::protobuf;
namespace cfg = opel::config::v1;
using engine::ConfigProblem;
using textproto::error_at;
using textproto::ItemSite;
using textproto::parse_file;
using textproto::Parsed;
using textproto::repeated_item;

std::optional<double> opt(bool has, double v) {
    return has ? std::optional<double>(v) : std::nullopt;
}

engine::MeasureDef convert(const cfg::Measure& m) {
    return {m.name(),
            m.unit(),
            m.integer(),
            opt(m.has_min(), m.min()),
            opt(m.has_max(), m.max()),
            m.description(),
            {m.at_most().begin(), m.at_most().end()}};
}

std::array<double, 3> triple(const ItemSite& site, const std::string& field, bool present, bool h2,
                             double v2, bool h3, double v3, bool h4, double v4,
                             std::vector<ConfigError>& errors) {
    if (!present) {
        errors.push_back(error_at(site, field, "required: opel2, opel3 and opel4"));
        return {};
    }
    if (!h2) {
        errors.push_back(error_at(site, field, "opel2 is required"));
    }
    if (!h3) {
        errors.push_back(error_at(site, field, "opel3 is required"));
    }
    if (!h4) {
        errors.push_back(error_at(site, field, "opel4 is required"));
    }
    return {v2, v3, v4};
}

engine::Bands convert_bands(const ItemSite& site, const std::string& field, bool present,
                            const cfg::Bands& b, std::vector<ConfigError>& errors) {
    return {triple(site, field, present, b.has_opel2(), b.opel2(), b.has_opel3(), b.opel3(),
                   b.has_opel4(), b.opel4(), errors)};
}

engine::Expression convert_expression(const cfg::Parameter& p, const ItemSite& site,
                                      const std::string& field, std::vector<ConfigError>& errors) {
    engine::Expression e;
    switch (p.expression_case()) {
        case cfg::Parameter::kMeasure:
            e.kind = engine::ExpressionKind::measure;
            e.numerator = {p.measure().measure()};
            break;
        case cfg::Parameter::kPercent:
            e.kind = engine::ExpressionKind::percent;
            e.numerator = {p.percent().numerator().begin(), p.percent().numerator().end()};
            e.denominator = {p.percent().denominator().begin(), p.percent().denominator().end()};
            break;
        case cfg::Parameter::kPercentChange:
            e.kind = engine::ExpressionKind::percent_change;
            e.numerator = {p.percent_change().value()};
            e.denominator = {p.percent_change().baseline()};
            break;
        case cfg::Parameter::EXPRESSION_NOT_SET:
            errors.push_back(error_at(site, field + ".expression",
                                      "an expression is required: measure, percent or "
                                      "percent_change"));
            e.numerator = {""};
            break;
    }
    return e;
}

// Card parameter `p`, at `field` ("parameters[i]") of the card at `site`.
engine::Parameter convert_parameter(const cfg::Parameter& p, const ItemSite& site,
                                    const std::string& field, std::vector<ConfigError>& errors) {
    engine::Parameter param;
    param.id = p.id();
    param.name = p.name();
    param.unit = p.unit();
    param.expression = convert_expression(p, site, field, errors);
    switch (p.direction()) {
        case cfg::DIRECTION_HIGHER_IS_WORSE:
            param.direction = engine::Direction::higher_is_worse;
            break;
        case cfg::DIRECTION_LOWER_IS_WORSE:
            param.direction = engine::Direction::lower_is_worse;
            break;
        default:
            errors.push_back(error_at(site, field + ".direction",
                                      "direction is required: DIRECTION_HIGHER_IS_WORSE or "
                                      "DIRECTION_LOWER_IS_WORSE"));
    }
    const cfg::Thresholds& t = p.thresholds();
    param.thresholds =
        triple(site, field + ".thresholds", p.has_thresholds(), t.has_opel2(), t.opel2(),
               t.has_opel3(), t.opel3(), t.has_opel4(), t.opel4(), errors);
    param.weight =
        p.has_weight() ? static_cast<int>(std::min<std::uint32_t>(p.weight(), 1000000)) : 1;
    return param;
}

engine::MissingPolicy convert(cfg::MissingPolicy missing) {
    switch (missing) {
        case cfg::MISSING_POLICY_WORST:
            return engine::MissingPolicy::worst;
        case cfg::MISSING_POLICY_UNKNOWN:
            return engine::MissingPolicy::unknown;
        default:
            return engine::MissingPolicy::carry_forward;
    }
}

// A card's actions by level (index 0: OPEL 1); every level must be given exactly once.
std::array<engine::LevelActions, 4> convert_actions(
    const pb::RepeatedPtrField<cfg::LevelActions>& rows, const ItemSite& site,
    std::vector<ConfigError>& errors) {
    std::array<engine::LevelActions, 4> actions;
    std::array<bool, 4> seen{};
    for (int i = 0; i < rows.size(); ++i) {
        const cfg::LevelActions& la = rows.Get(i);
        const std::string field = "actions[" + std::to_string(i) + "]";
        if (la.level() < 1 || la.level() > 4) {
            errors.push_back(error_at(site, field + ".level",
                                      "level must be 1..4, got " + std::to_string(la.level())));
            continue;
        }
        if (seen[la.level() - 1]) {
            errors.push_back(
                error_at(site, field + ".level",
                         "actions for OPEL " + std::to_string(la.level()) + " are given twice"));
            continue;
        }
        seen[la.level() - 1] = true;
        engine::LevelActions& out = actions[la.level() - 1];
        out.includes_lower_levels = la.includes_lower_levels();
        out.stand_down_note = la.stand_down_note();
        for (const cfg::Action& a : la.actions()) {
            out.actions.push_back({a.role(), a.action()});
        }
    }
    for (std::size_t level = 1; level <= 4; ++level) {
        if (!seen[level - 1]) {
            errors.push_back(error_at(site, "actions",
                                      "no actions for OPEL " + std::to_string(level) +
                                          ": every card says what to do at every level"));
        }
    }
    return actions;
}

engine::ActionCard convert(const cfg::ActionCard& c, const ItemSite& site,
                           std::vector<ConfigError>& errors) {
    engine::ActionCard card;
    card.id = c.id();
    card.name = c.name();
    card.description = c.description();
    for (int i = 0; i < c.parameters_size(); ++i) {
        card.parameters.push_back(convert_parameter(
            c.parameters(i), site, "parameters[" + std::to_string(i) + "]", errors));
    }
    card.bands = convert_bands(site, "bands", c.has_bands(), c.bands(), errors);
    for (const cfg::FloorRule& f : c.floors()) {
        card.floors.push_back({f.parameter(), static_cast<int>(std::min(f.min_score(), 99U)),
                               static_cast<int>(std::min(f.min_level(), 99U)), f.note(), 0});
    }
    card.hysteresis.deescalation_margin = c.hysteresis().deescalation_margin();
    card.hysteresis.deescalate_after =
        std::chrono::minutes{c.hysteresis().deescalate_after_minutes()};
    card.hysteresis.escalate_after = std::chrono::minutes{c.hysteresis().escalate_after_minutes()};
    card.reporting_interval = std::chrono::minutes{c.reporting_interval_minutes()};
    card.grace = std::chrono::minutes{c.grace_minutes()};
    card.missing = convert(c.missing());
    if (c.has_max_age_minutes()) {
        card.max_age = std::chrono::minutes{c.max_age_minutes()};
    }
    card.actions = convert_actions(c.actions(), site, errors);
    return card;
}

engine::SystemCard convert(const cfg::SystemCard& c, const ItemSite& site,
                           std::vector<ConfigError>& errors) {
    return {c.id(), c.name(), c.description(), convert_actions(c.actions(), site, errors)};
}

engine::NodeConfig convert(const cfg::Node& n, const ItemSite& site,
                           std::vector<ConfigError>& errors) {
    engine::NodeConfig node;
    node.id = n.id();
    node.name = n.name();
    node.parent = n.parent();
    node.weight = n.has_weight() ? n.weight() : 1;
    node.card = n.card();
    node.system_card = n.system_card();
    switch (n.kind()) {
        case cfg::NODE_KIND_SITE:
            node.kind = engine::NodeKind::site;
            break;
        case cfg::NODE_KIND_LOCALITY:
            node.kind = engine::NodeKind::locality;
            break;
        case cfg::NODE_KIND_ICS:
            node.kind = engine::NodeKind::ics;
            break;
        case cfg::NODE_KIND_REGION:
            node.kind = engine::NodeKind::region;
            break;
        case cfg::NODE_KIND_NATIONAL:
            node.kind = engine::NodeKind::national;
            break;
        default:
            errors.push_back(error_at(site, "kind",
                                      "kind is required: NODE_KIND_SITE, _LOCALITY, _ICS, "
                                      "_REGION or _NATIONAL"));
    }
    switch (n.provider_type()) {
        case cfg::PROVIDER_TYPE_ACUTE:
            node.provider_type = engine::ProviderType::acute;
            break;
        case cfg::PROVIDER_TYPE_COMMUNITY:
            node.provider_type = engine::ProviderType::community;
            break;
        case cfg::PROVIDER_TYPE_MENTAL_HEALTH:
            node.provider_type = engine::ProviderType::mental_health;
            break;
        case cfg::PROVIDER_TYPE_NHS111:
            node.provider_type = engine::ProviderType::nhs111;
            break;
        case cfg::PROVIDER_TYPE_PAEDIATRIC:
            node.provider_type = engine::ProviderType::paediatric;
            break;
        default:
            node.provider_type = engine::ProviderType::none;
    }
    node.aggregation = n.aggregation() == cfg::AGGREGATION_MAX_LEVEL
                           ? engine::Aggregation::max_level
                           : engine::Aggregation::weighted_mean;
    if (n.has_bands()) {
        node.bands = convert_bands(site, "bands", true, n.bands(), errors);
    }
    node.deescalation_margin = n.deescalation_margin();
    node.min_coverage_percent = n.min_coverage_percent();
    for (const cfg::NodeFloorRule& f : n.floors()) {
        node.floors.push_back({static_cast<int>(std::min(f.min_children(), 1000000U)),
                               static_cast<int>(std::min(f.level(), 99U)), f.note()});
    }
    node.pillars = n.pillars();
    return node;
}

EscalatordSettings convert(const cfg::EscalatordSettings& s) {
    EscalatordSettings out;
    if (!s.submit_endpoint().empty()) {
        out.submit_endpoint = s.submit_endpoint();
    }
    if (!s.publish_endpoint().empty()) {
        out.publish_endpoint = s.publish_endpoint();
    }
    if (!s.snapshot_endpoint().empty()) {
        out.snapshot_endpoint = s.snapshot_endpoint();
    }
    if (!s.query_endpoint().empty()) {
        out.query_endpoint = s.query_endpoint();
    }
    if (!s.database_path().empty()) {
        out.database_path = s.database_path();
    }
    if (!s.metrics_address().empty()) {
        out.metrics_address = s.metrics_address();
    }
    if (s.has_max_clock_skew_seconds()) {
        out.max_clock_skew = Duration{s.max_clock_skew_seconds()};
    }
    if (s.has_heartbeat_interval_seconds()) {
        out.heartbeat_interval = Duration{s.heartbeat_interval_seconds()};
    }
    if (s.has_max_message_bytes()) {
        out.max_message_bytes = s.max_message_bytes();
    }
    out.group = s.group();
    return out;
}

// The root file's missing required values.
std::vector<ConfigError> root_problems(const Parsed<cfg::OpelConfig>& root) {
    std::vector<ConfigError> errors;
    const ItemSite site{root.file, cfg::OpelConfig::descriptor(), root.tree.get(), 1};
    if (root.message.catalogue().empty()) {
        errors.push_back(error_at(site, "catalogue", "the catalogue file is required"));
    }
    if (root.message.tree().empty()) {
        errors.push_back(error_at(site, "tree", "the tree file is required"));
    }
    if (root.message.cards().empty()) {
        errors.push_back(error_at(site, "cards", "at least one card file is required"));
    }
    if (root.message.has_backfill_limit_days()) {
        const std::uint32_t days = root.message.backfill_limit_days();
        if (days < 1 || days > 3660) {
            errors.push_back(error_at(site, "backfill_limit_days",
                                      "must be 1..3660 days, got " + std::to_string(days)));
        }
    }
    if (root.message.has_sustained_pressure_minutes()) {
        const std::uint32_t minutes = root.message.sustained_pressure_minutes();
        if (minutes < 1 || minutes > 10080) {
            errors.push_back(
                error_at(site, "sustained_pressure_minutes",
                         "must be 1..10080 minutes (a week), got " + std::to_string(minutes)));
        }
    }
    const cfg::WebdSettings& webd = root.message.webd();
    if (webd.has_feed_silence_seconds() &&
        (webd.feed_silence_seconds() < 1 || webd.feed_silence_seconds() > 3600)) {
        errors.push_back(error_at(site, "webd",
                                  "feed_silence_seconds must be 1..3600, got " +
                                      std::to_string(webd.feed_silence_seconds())));
    }
    if (webd.has_submit_timeout_ms() &&
        (webd.submit_timeout_ms() < 50 || webd.submit_timeout_ms() > 600000)) {
        errors.push_back(error_at(site, "webd",
                                  "submit_timeout_ms must be 50..600000, got " +
                                      std::to_string(webd.submit_timeout_ms())));
    }
    if (webd.tls_certificate().empty() != webd.tls_private_key().empty()) {
        errors.push_back(error_at(site, "webd",
                                  "tls_certificate and tls_private_key go together: give both "
                                  "(HTTPS) or neither (plain HTTP)"));
    }
    if (webd.has_session_hours() && (webd.session_hours() < 1 || webd.session_hours() > 168)) {
        errors.push_back(
            error_at(site, "webd",
                     "session_hours must be 1..168, got " + std::to_string(webd.session_hours())));
    }
    return errors;
}

WebdSettings convert(const cfg::WebdSettings& s, const std::filesystem::path& base) {
    WebdSettings out;
    if (!s.address().empty()) {
        out.address = s.address();
    }
    if (!s.assets().empty()) {
        out.assets = (base / s.assets()).lexically_normal().string();
    }
    if (s.has_feed_silence_seconds()) {
        out.feed_silence = std::chrono::seconds(s.feed_silence_seconds());
    }
    if (s.has_submit_timeout_ms()) {
        out.submit_timeout = std::chrono::milliseconds(s.submit_timeout_ms());
    }
    const auto file = [&base](const std::string& name) {
        return name.empty() ? name : (base / name).lexically_normal().string();
    };
    out.tls_certificate = file(s.tls_certificate());
    out.tls_private_key = file(s.tls_private_key());
    out.users_file = file(s.users_file());
    if (s.has_session_hours()) {
        out.session_idle = std::chrono::hours(s.session_hours());
    }
    return out;
}

// Where each measure, card and node lives, for mapping engine::ConfigProblem to file:line.
struct ItemSites {
    std::vector<ItemSite> measures;
    std::vector<ItemSite> cards;
    std::vector<ItemSite> system_cards;
    std::vector<ItemSite> nodes;
    std::string fallback_file;  // for a problem with no item (an empty tree)
};

// The fields named by errors[from..]: the parts of an item that did not convert.
std::set<std::string, std::less<>> fields_of(const std::vector<ConfigError>& errors,
                                             std::size_t from) {
    std::set<std::string, std::less<>> out;
    for (std::size_t i = from; i < errors.size(); ++i) {
        out.insert(errors[i].field);
    }
    return out;
}

// Appends check_config's problems at their file:line, then the checks it skipped.
void add_check_results(const engine::ConfigCheck& check, const ItemSites& sites,
                       std::vector<ConfigError>& errors) {
    for (const ConfigProblem& p : check.problems) {
        const std::vector<ItemSite>& items =
            p.where == ConfigProblem::Where::measure       ? sites.measures
            : p.where == ConfigProblem::Where::card        ? sites.cards
            : p.where == ConfigProblem::Where::system_card ? sites.system_cards
                                                           : sites.nodes;
        if (p.index < items.size()) {
            errors.push_back(error_at(items[p.index], p.field, p.message));
        } else {
            errors.push_back({sites.fallback_file, 0, 0, p.field, p.message});
        }
    }
    for (const std::string& what : check.skipped) {
        errors.push_back({{}, 0, 0, {}, what, true});
    }
}

// One load_config run: the configuration read so far, where each item came from and every
// problem found. Owns the parsed files: the item sites point into their location trees.
struct Loading {
    LoadedConfig loaded;
    std::filesystem::path base;  // the root file's folder: other files are named from it
    std::vector<ConfigError> errors;
    ItemSites sites;
    engine::UnusableParts unusable;
    Parsed<cfg::MeasureCatalogue> catalogue;
    std::vector<Parsed<cfg::ActionCard>> cards;
    std::vector<Parsed<cfg::SystemCard>> system_cards;
    Parsed<cfg::Tree> tree;
};

void read_catalogue(Loading& l, const std::string& file) {
    l.loaded.files.push_back(l.base / file);
    l.catalogue = parse_file<cfg::MeasureCatalogue>(l.loaded.files.back(), l.errors);
    l.unusable.catalogue = !l.catalogue.ok;
    const auto& catalogue = l.catalogue;
    for (int i = 0; catalogue.ok && i < catalogue.message.measures_size(); ++i) {
        l.loaded.engine.measures.push_back(convert(catalogue.message.measures(i)));
        l.sites.measures.push_back(
            repeated_item(catalogue.file, catalogue.message, "measures", catalogue.tree.get(), i));
    }
}

void read_cards(Loading& l, const pb::RepeatedPtrField<std::string>& files) {
    for (const std::string& file : files) {
        l.loaded.files.push_back(l.base / file);
        auto& card =
            l.cards.emplace_back(parse_file<cfg::ActionCard>(l.loaded.files.back(), l.errors));
        if (!card.ok) {
            l.unusable.cards = true;
            continue;
        }
        const ItemSite site{card.file, cfg::ActionCard::descriptor(), card.tree.get(), 1};
        const std::size_t before = l.errors.size();
        l.loaded.engine.cards.push_back(convert(card.message, site, l.errors));
        l.unusable.card_fields[l.sites.cards.size()] = fields_of(l.errors, before);
        l.sites.cards.push_back(site);
    }
}

void read_system_cards(Loading& l, const pb::RepeatedPtrField<std::string>& files) {
    for (const std::string& file : files) {
        l.loaded.files.push_back(l.base / file);
        auto& card = l.system_cards.emplace_back(
            parse_file<cfg::SystemCard>(l.loaded.files.back(), l.errors));
        if (!card.ok) {
            l.unusable.system_cards = true;
            continue;
        }
        const ItemSite site{card.file, cfg::SystemCard::descriptor(), card.tree.get(), 1};
        l.loaded.engine.system_cards.push_back(convert(card.message, site, l.errors));
        l.sites.system_cards.push_back(site);
    }
}

void read_tree(Loading& l, const std::string& file) {
    l.loaded.files.push_back(l.base / file);
    l.tree = parse_file<cfg::Tree>(l.loaded.files.back(), l.errors);
    l.unusable.tree = !l.tree.ok;
    const auto& tree = l.tree;
    for (int i = 0; tree.ok && i < tree.message.nodes_size(); ++i) {
        const ItemSite site = repeated_item(tree.file, tree.message, "nodes", tree.tree.get(), i);
        const std::size_t before = l.errors.size();
        l.loaded.engine.nodes.push_back(convert(tree.message.nodes(i), site, l.errors));
        l.unusable.node_fields[l.sites.nodes.size()] = fields_of(l.errors, before);
        l.sites.nodes.push_back(site);
    }
    l.sites.fallback_file = tree.file;
}

}  // namespace

std::string ConfigError::to_string() const {
    if (skipped) {
        return "skipped: " + message;
    }
    std::string out = file;
    if (line > 0) {
        out += ":" + std::to_string(line);
        if (field.empty() && column > 0) {
            out += ":" + std::to_string(column);
        }
    }
    out += ": ";
    if (!field.empty()) {
        out += field + ": ";
    }
    return out + message;
}

Result<LoadedConfig, std::vector<ConfigError>> load_config(const std::filesystem::path& path) {
    Loading l;
    l.loaded.root_file = std::filesystem::is_directory(path) ? path / "opel.textproto" : path;
    l.loaded.files.push_back(l.loaded.root_file);
    const auto root = parse_file<cfg::OpelConfig>(l.loaded.root_file, l.errors);
    if (!root.ok) {
        return unexpected(std::move(l.errors));
    }
    l.base = l.loaded.root_file.parent_path();
    l.errors = root_problems(root);
    if (root.message.has_backfill_limit_days()) {
        l.loaded.engine.backfill_limit = std::chrono::days{root.message.backfill_limit_days()};
    }
    if (root.message.has_sustained_pressure_minutes()) {
        l.loaded.engine.sustained_pressure =
            std::chrono::minutes{root.message.sustained_pressure_minutes()};
    }
    if (!l.errors.empty()) {
        return unexpected(std::move(l.errors));
    }
    l.loaded.escalatord = convert(root.message.escalatord());
    l.loaded.webd = convert(root.message.webd(), l.base);
    const ItemSite root_site{root.file, cfg::OpelConfig::descriptor(), root.tree.get(), 1};
    l.loaded.escalatord.curve =
        convert_curve(root.message.escalatord(), l.base, root_site, l.errors);
    l.loaded.webd.curve = client_key_files(l.base, root.message.webd().curve().public_key_file(),
                                           root.message.webd().curve().secret_key_file(), root_site,
                                           "webd.curve", l.errors);
    read_catalogue(l, root.message.catalogue());
    read_cards(l, root.message.cards());
    read_system_cards(l, root.message.system_cards());
    read_tree(l, root.message.tree());
    add_check_results(engine::check_config(l.loaded.engine, l.unusable), l.sites, l.errors);
    if (!l.errors.empty()) {
        return unexpected(std::move(l.errors));
    }
    if (l.loaded.escalatord.curve) {
        const engine::Model model(l.loaded.engine);
        check_curve_clients(*l.loaded.escalatord.curve, model, root_site, l.errors);
        if (!l.errors.empty()) {
            return unexpected(std::move(l.errors));
        }
    }
    return std::move(l.loaded);
}

namespace {

// FNV-1a, 64-bit: enough to tell configurations apart, and the same on every platform.
struct Fnv1a {
    std::uint64_t state = 14695981039346656037ULL;
    void add(std::string_view bytes) {
        for (const char c : bytes) {
            state ^= static_cast<unsigned char>(c);
            state *= 1099511628211ULL;
        }
    }
};

}  // namespace

std::string content_hash(const LoadedConfig& loaded) {
    Fnv1a digest;
    for (const std::filesystem::path& file : loaded.files) {
        std::ifstream in(file, std::ios::binary);
        std::ostringstream bytes;
        bytes << in.rdbuf();
        const std::string text = bytes.str();
        digest.add(std::to_string(text.size()) + ":");
        digest.add(text);
    }
    constexpr std::string_view hex = "0123456789abcdef";
    std::string out(16, '0');
    for (std::size_t i = 0; i < 16; ++i) {
        out[15 - i] = hex[(digest.state >> (4 * i)) & 0xF];
    }
    return out;
}

}  // namespace opel::config

#include "common/codec/codec.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>

#include "opel/v1/feed.pb.h"
#include "opel/v1/request.pb.h"

namespace opel::codec {
namespace {

namespace pb = google::protobuf;

google::protobuf::Timestamp timestamp(TimePoint t) {
    google::protobuf::Timestamp ts;
    ts.set_seconds(t.time_since_epoch().count());
    return ts;
}

std::optional<TimePoint> time_of(const google::protobuf::Timestamp& ts, bool present) {
    if (!present) {
        return std::nullopt;
    }
    return TimePoint{Duration{ts.seconds()}};
}

engine::NodeKind kind_from(std::string_view kind) {
    for (const engine::NodeKind k :
         {engine::NodeKind::site, engine::NodeKind::locality, engine::NodeKind::ics,
          engine::NodeKind::region, engine::NodeKind::national}) {
        if (engine::to_string(k) == kind) {
            return k;
        }
    }
    return engine::NodeKind::site;
}

engine::ProviderType provider_from(std::string_view type) {
    for (const engine::ProviderType t :
         {engine::ProviderType::acute, engine::ProviderType::community,
          engine::ProviderType::mental_health, engine::ProviderType::nhs111}) {
        if (engine::to_string(t) == type) {
            return t;
        }
    }
    return engine::ProviderType::none;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

// Splits CSV text into records of fields (RFC 4180: quotes, doubled quotes, newlines inside
// quotes). Each record carries the line it starts on.
struct Record {
    int line = 0;
    std::vector<std::string> fields;
};

std::vector<Record> split_csv(std::string_view text) {
    std::vector<Record> records;
    Record current{1, {}};
    std::string field;
    bool quoted = false;
    bool any = false;
    int line = 1;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                if (c == '\n') {
                    ++line;
                }
                field += c;
            }
            continue;
        }
        if (c == '"') {
            quoted = true;
            any = true;
        } else if (c == ',') {
            current.fields.push_back(std::move(field));
            field.clear();
            any = true;
        } else if (c == '\n') {
            if (any || !field.empty()) {
                current.fields.push_back(std::move(field));
                records.push_back(std::move(current));
            }
            field.clear();
            any = false;
            ++line;
            current = Record{line, {}};
        } else if (c != '\r') {
            field += c;
            any = true;
        }
    }
    if (any || !field.empty()) {
        current.fields.push_back(std::move(field));
        records.push_back(std::move(current));
    }
    return records;
}

std::optional<double> parse_number(std::string_view s) {
    s = trim(s);
    if (s.empty()) {
        return std::nullopt;
    }
    if (s.front() == '+') {
        s.remove_prefix(1);
    }
    double value = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || ptr != s.data() + s.size()) {
        return std::nullopt;
    }
    return value;
}

}  // namespace

namespace {

// A Timestamp's fields as sent, before they are checked.
struct SentTime {
    std::int64_t seconds = 0;
    std::int32_t nanos = 0;
};

// What from_proto and decode_sitrep share once the fields are read: the declared level is
// capped, the time checked and converted.
SitrepResult finish_sitrep(engine::Sitrep& out, std::optional<SentTime> as_at,
                           std::optional<std::uint32_t> declared_level) {
    if (declared_level) {
        out.declared_level = static_cast<int>(std::min<std::uint32_t>(*declared_level, 1000));
    }
    if (as_at) {
        if (as_at->seconds < pb::util::TimeUtil::kTimestampMinSeconds ||
            as_at->seconds > pb::util::TimeUtil::kTimestampMaxSeconds || as_at->nanos < 0 ||
            as_at->nanos > 999999999) {
            return unexpected(std::vector<engine::FieldError>{
                {"as_at", "invalid_time", "as_at is not a valid timestamp"}});
        }
        out.as_at = TimePoint{Duration{as_at->seconds}};
    }
    return std::move(out);
}

}  // namespace

SitrepResult from_proto(const v1::Sitrep& in) {
    engine::Sitrep out;
    out.site_id = in.site_id();
    out.submission_id = in.submission_id();
    out.declared_reason = in.declared_reason();
    out.comment = in.comment();
    for (const auto& [name, value] : in.measures()) {
        out.measures.emplace(name, value);
    }
    return finish_sitrep(
        out,
        in.has_as_at() ? std::optional<SentTime>({in.as_at().seconds(), in.as_at().nanos()})
                       : std::nullopt,
        in.has_declared_level() ? std::optional<std::uint32_t>(in.declared_level()) : std::nullopt);
}

SitrepResult sitrep_from_json(std::string_view json) {
    v1::Sitrep sitrep;
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    const auto status = pb::util::JsonStringToMessage(std::string(json), &sitrep, options);
    if (!status.ok()) {
        return unexpected(std::vector<engine::FieldError>{
            {"", "malformed", "not a valid sitrep JSON object: " + std::string(status.message())}});
    }
    return from_proto(sitrep);
}

std::vector<CsvRow> sitreps_from_csv(std::string_view text) {
    std::vector<CsvRow> rows;
    std::vector<Record> records = split_csv(text);
    if (records.empty()) {
        rows.push_back({1, unexpected(std::vector<engine::FieldError>{
                               {"", "malformed", "empty CSV: a header line is required"}})});
        return rows;
    }
    const Record& header = records.front();
    enum class Column {
        site_id,
        as_at,
        submission_id,
        declared_level,
        declared_reason,
        comment,
        measure
    };
    std::vector<Column> columns;
    std::vector<engine::FieldError> header_errors;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < header.fields.size(); ++i) {
        const std::string name(trim(header.fields[i]));
        const auto dup = std::find(names.begin(), names.end(), name);
        if (name.empty()) {
            header_errors.push_back(
                {"header", "malformed", "column " + std::to_string(i + 1) + " has no name"});
        } else if (dup != names.end()) {
            header_errors.push_back(
                {"header", "duplicate_column", "column '" + name + "' appears twice"});
        }
        names.push_back(name);
        columns.push_back(name == "site_id"           ? Column::site_id
                          : name == "as_at"           ? Column::as_at
                          : name == "submission_id"   ? Column::submission_id
                          : name == "declared_level"  ? Column::declared_level
                          : name == "declared_reason" ? Column::declared_reason
                          : name == "comment"         ? Column::comment
                                                      : Column::measure);
    }
    for (const char* required : {"site_id", "as_at"}) {
        if (std::find(names.begin(), names.end(), required) == names.end()) {
            header_errors.push_back({"header", "missing_column",
                                     std::string("the header needs a '") + required + "' column"});
        }
    }
    if (!header_errors.empty()) {
        rows.push_back({header.line, unexpected(std::move(header_errors))});
        return rows;
    }
    for (std::size_t r = 1; r < records.size(); ++r) {
        const Record& rec = records[r];
        std::vector<engine::FieldError> errors;
        engine::Sitrep s;
        if (rec.fields.size() != names.size()) {
            errors.push_back({"", "malformed",
                              "line has " + std::to_string(rec.fields.size()) +
                                  " fields; the header has " + std::to_string(names.size())});
            rows.push_back({rec.line, unexpected(std::move(errors))});
            continue;
        }
        for (std::size_t i = 0; i < names.size(); ++i) {
            const std::string value(trim(rec.fields[i]));
            switch (columns[i]) {
                case Column::site_id:
                    s.site_id = value;
                    break;
                case Column::as_at:
                    if (!value.empty()) {
                        s.as_at = parse_rfc3339(value);
                        if (!s.as_at) {
                            errors.push_back({"as_at", "invalid_time",
                                              "'" + value +
                                                  "' is not an RFC 3339 time such as "
                                                  "2026-01-06T08:00:00Z"});
                        }
                    }
                    break;
                case Column::submission_id:
                    s.submission_id = value;
                    break;
                case Column::declared_level:
                    if (!value.empty()) {
                        const auto level = parse_number(value);
                        if (!level || *level != std::floor(*level) || std::abs(*level) > 1000) {
                            errors.push_back({"declared_level", "invalid_level",
                                              "'" + value + "' is not an OPEL level 1..4"});
                        } else {
                            s.declared_level = static_cast<int>(*level);
                        }
                    }
                    break;
                case Column::declared_reason:
                    s.declared_reason = value;
                    break;
                case Column::comment:
                    s.comment = rec.fields[i];
                    break;
                case Column::measure:
                    if (!value.empty()) {
                        const auto number = parse_number(value);
                        if (!number) {
                            errors.push_back({"measures." + names[i], "not_a_number",
                                              "'" + value + "' is not a number"});
                        } else {
                            s.measures.emplace(names[i], *number);
                        }
                    }
                    break;
            }
        }
        if (errors.empty()) {
            rows.push_back({rec.line, std::move(s)});
        } else {
            rows.push_back({rec.line, unexpected(std::move(errors))});
        }
    }
    return rows;
}

v1::Sitrep to_proto(const engine::Sitrep& in) {
    v1::Sitrep out;
    out.set_site_id(in.site_id);
    if (in.as_at) {
        *out.mutable_as_at() = timestamp(*in.as_at);
    }
    out.set_submission_id(in.submission_id);
    if (in.declared_level) {
        out.set_declared_level(static_cast<std::uint32_t>(std::max(*in.declared_level, 0)));
    }
    out.set_declared_reason(in.declared_reason);
    out.set_comment(in.comment);
    for (const auto& [name, value] : in.measures) {
        (*out.mutable_measures())[name] = value;
    }
    return out;
}

engine::Status from_proto(v1::Status status) {
    switch (status) {
        case v1::STATUS_OPEL_1:
            return engine::Status::opel1;
        case v1::STATUS_OPEL_2:
            return engine::Status::opel2;
        case v1::STATUS_OPEL_3:
            return engine::Status::opel3;
        case v1::STATUS_OPEL_4:
            return engine::Status::opel4;
        case v1::STATUS_STALE:
            return engine::Status::stale;
        default:
            return engine::Status::unknown;
    }
}

v1::Status to_proto(engine::Status status) {
    switch (status) {
        case engine::Status::opel1:
            return v1::STATUS_OPEL_1;
        case engine::Status::opel2:
            return v1::STATUS_OPEL_2;
        case engine::Status::opel3:
            return v1::STATUS_OPEL_3;
        case engine::Status::opel4:
            return v1::STATUS_OPEL_4;
        case engine::Status::stale:
            return v1::STATUS_STALE;
        case engine::Status::unknown:
            break;
    }
    return v1::STATUS_UNKNOWN;
}

v1::NodeResult to_proto(const engine::NodeResult& r) {
    v1::NodeResult out;
    to_proto(r, out);
    return out;
}

void to_proto(const engine::NodeResult& r, v1::NodeResult& out) {
    out.set_node_id(r.node_id);
    out.set_path(r.path);
    out.set_kind(std::string(engine::to_string(r.kind)));
    out.set_status(to_proto(r.status));
    out.set_computed(to_proto(r.computed));
    out.set_band_level(to_proto(r.band_level));
    out.set_total(r.total);
    out.set_normalised_score(r.normalised);
    for (const engine::ParameterResult& p : r.parameters) {
        v1::ParameterResult* pr = out.add_parameters();
        pr->set_id(p.id);
        pr->set_name(p.name);
        pr->set_unit(p.unit);
        if (p.value) {
            pr->set_value(*p.value);
        }
        pr->set_score(static_cast<std::uint32_t>(p.score));
        pr->set_weight(static_cast<std::uint32_t>(p.weight));
        pr->set_carried_forward(p.carried_forward);
        if (p.carried_from) {
            *pr->mutable_carried_from() = timestamp(*p.carried_from);
        }
        pr->set_worst_policy(p.worst_policy);
    }
    out.set_decided_by(r.decided_by);
    out.set_coverage_percent(r.coverage_percent);
    for (const engine::PillarResult& p : r.pillars) {
        v1::PillarResult* pr = out.add_pillars();
        pr->set_provider_type(std::string(engine::to_string(p.provider_type)));
        pr->set_status(to_proto(p.status));
        pr->set_normalised_score(p.normalised);
        pr->set_coverage_percent(p.coverage_percent);
    }
    if (r.as_at) {
        *out.mutable_as_at() = timestamp(*r.as_at);
    }
    out.set_transition_number(r.transition_number);
    out.set_declared_level(static_cast<std::uint32_t>(r.declared_level));
    out.set_declared_reason(r.declared_reason);
    out.set_card(r.card);
    out.set_submission_id(r.submission_id);
    out.set_comment(r.comment);
}

v1::Event to_proto(const engine::Event& e) {
    v1::Event out;
    to_proto(e, out);
    return out;
}

void to_proto(const engine::Event& e, v1::Event& out) {
    switch (e.kind) {
        case engine::EventKind::escalated:
            out.set_kind(v1::EVENT_KIND_ESCALATED);
            break;
        case engine::EventKind::deescalated:
            out.set_kind(v1::EVENT_KIND_DEESCALATED);
            break;
        case engine::EventKind::stale:
            out.set_kind(v1::EVENT_KIND_STALE);
            break;
        case engine::EventKind::recovered:
            out.set_kind(v1::EVENT_KIND_RECOVERED);
            break;
        case engine::EventKind::unknown:
            out.set_kind(v1::EVENT_KIND_UNKNOWN);
            break;
        case engine::EventKind::known:
            out.set_kind(v1::EVENT_KIND_KNOWN);
            break;
        case engine::EventKind::declared_mismatch:
            out.set_kind(v1::EVENT_KIND_DECLARED_MISMATCH);
            break;
    }
    out.set_node_id(e.node_id);
    out.set_path(e.path);
    out.set_transition_id(e.transition_id);
    out.set_from(to_proto(e.from));
    out.set_to(to_proto(e.to));
    *out.mutable_at() = timestamp(e.at);
    to_proto(e.result, *out.mutable_result());
    for (const engine::ActionItem& a : e.actions) {
        v1::ActionItem* item = out.add_actions();
        item->set_role(a.role);
        item->set_action(a.action);
        item->set_level(static_cast<std::uint32_t>(a.level));
    }
    out.set_stand_down_note(e.stand_down_note);
    out.set_declared_level(static_cast<std::uint32_t>(e.declared_level));
    if (e.kind == engine::EventKind::declared_mismatch) {
        out.set_computed(to_proto(e.computed));
    }
    out.set_declared_reason(e.declared_reason);
}

v1::SubmitError to_proto(const engine::FieldError& error) {
    v1::SubmitError out;
    out.set_field(error.field);
    out.set_code(error.code);
    out.set_message(error.message);
    return out;
}

v1::SubmitReply to_reply(const engine::SubmitOutcome& outcome, std::string_view site_id,
                         std::uint64_t sequence, bool with_result) {
    v1::SubmitReply reply;
    switch (outcome.status) {
        case engine::SubmitStatus::accepted:
            reply.set_status(v1::SUBMIT_STATUS_ACCEPTED);
            break;
        case engine::SubmitStatus::duplicate:
            reply.set_status(v1::SUBMIT_STATUS_DUPLICATE);
            break;
        case engine::SubmitStatus::late:
            reply.set_status(v1::SUBMIT_STATUS_LATE);
            break;
        case engine::SubmitStatus::rejected:
            reply.set_status(v1::SUBMIT_STATUS_REJECTED);
            break;
    }
    reply.set_submission_id(outcome.submission_id);
    reply.set_site_id(std::string(site_id));
    reply.set_sequence(sequence);
    for (const engine::NodeResult& r : outcome.results) {
        if (with_result && r.node_id == site_id) {
            *reply.mutable_result() = to_proto(r);
        }
    }
    for (const engine::FieldError& e : outcome.errors) {
        *reply.add_errors() = to_proto(e);
    }
    return reply;
}

engine::NodeResult from_proto(const v1::NodeResult& in) {
    engine::NodeResult r;
    r.node_id = in.node_id();
    r.path = in.path();
    r.kind = kind_from(in.kind());
    r.status = from_proto(in.status());
    r.computed = from_proto(in.computed());
    r.band_level = from_proto(in.band_level());
    r.total = in.total();
    r.normalised = in.normalised_score();
    for (const v1::ParameterResult& p : in.parameters()) {
        r.parameters.push_back({p.id(), p.name(), p.unit(),
                                p.has_value() ? std::optional<double>(p.value()) : std::nullopt,
                                static_cast<int>(p.score()), static_cast<int>(p.weight()),
                                p.carried_forward(),
                                time_of(p.carried_from(), p.has_carried_from()), p.worst_policy()});
    }
    r.decided_by = in.decided_by();
    r.coverage_percent = in.coverage_percent();
    for (const v1::PillarResult& p : in.pillars()) {
        r.pillars.push_back({provider_from(p.provider_type()), from_proto(p.status()),
                             p.normalised_score(), p.coverage_percent()});
    }
    r.as_at = time_of(in.as_at(), in.has_as_at());
    r.transition_number = in.transition_number();
    r.declared_level = static_cast<int>(std::min<std::uint32_t>(in.declared_level(), 4));
    r.declared_reason = in.declared_reason();
    r.card = in.card();
    r.submission_id = in.submission_id();
    r.comment = in.comment();
    return r;
}

engine::Event from_proto(const v1::Event& in) {
    engine::Event e;
    switch (in.kind()) {
        case v1::EVENT_KIND_DEESCALATED:
            e.kind = engine::EventKind::deescalated;
            break;
        case v1::EVENT_KIND_STALE:
            e.kind = engine::EventKind::stale;
            break;
        case v1::EVENT_KIND_RECOVERED:
            e.kind = engine::EventKind::recovered;
            break;
        case v1::EVENT_KIND_UNKNOWN:
            e.kind = engine::EventKind::unknown;
            break;
        case v1::EVENT_KIND_KNOWN:
            e.kind = engine::EventKind::known;
            break;
        case v1::EVENT_KIND_DECLARED_MISMATCH:
            e.kind = engine::EventKind::declared_mismatch;
            break;
        default:
            e.kind = engine::EventKind::escalated;
    }
    e.node_id = in.node_id();
    e.path = in.path();
    e.transition_id = in.transition_id();
    e.from = from_proto(in.from());
    e.to = from_proto(in.to());
    e.at = TimePoint{Duration{in.at().seconds()}};
    e.result = from_proto(in.result());
    for (const v1::ActionItem& a : in.actions()) {
        e.actions.push_back({a.role(), a.action(), static_cast<int>(a.level())});
    }
    e.stand_down_note = in.stand_down_note();
    e.declared_level = static_cast<int>(std::min<std::uint32_t>(in.declared_level(), 4));
    e.computed = from_proto(in.computed());
    e.declared_reason = in.declared_reason();
    return e;
}

v1::NodeState to_proto(const engine::NodeSnapshot& s) {
    v1::NodeState out;
    to_proto(s, out);
    return out;
}

void to_proto(const engine::NodeSnapshot& s, v1::NodeState& out) {
    out.set_status(to_proto(s.status));
    out.set_transitions(s.transitions);
    if (s.hold.escalate_since) {
        *out.mutable_escalate_since() = timestamp(*s.hold.escalate_since);
    }
    if (s.hold.deescalate_since) {
        *out.mutable_deescalate_since() = timestamp(*s.hold.deescalate_since);
    }
    to_proto(s.result, *out.mutable_result());
    if (s.latest_as_at) {
        *out.mutable_latest_as_at() = timestamp(*s.latest_as_at);
    }
    if (s.deadline) {
        *out.mutable_deadline() = timestamp(*s.deadline);
    }
    for (const auto& c : s.carried) {
        v1::CarriedSlot* slot = out.add_carried();
        if (c) {
            slot->mutable_value()->set_value(c->value);
            *slot->mutable_value()->mutable_as_at() = timestamp(c->as_at);
        }
    }
    if (s.reported_mismatch) {
        out.set_mismatch_declared(static_cast<std::uint32_t>(s.reported_mismatch->first));
        out.set_mismatch_computed(to_proto(s.reported_mismatch->second));
    }
}

engine::NodeSnapshot from_proto(const v1::NodeState& in) {
    engine::NodeSnapshot s;
    s.status = from_proto(in.status());
    s.transitions = in.transitions();
    s.hold.escalate_since = time_of(in.escalate_since(), in.has_escalate_since());
    s.hold.deescalate_since = time_of(in.deescalate_since(), in.has_deescalate_since());
    s.result = from_proto(in.result());
    s.latest_as_at = time_of(in.latest_as_at(), in.has_latest_as_at());
    s.deadline = time_of(in.deadline(), in.has_deadline());
    for (const v1::CarriedSlot& slot : in.carried()) {
        if (slot.has_value()) {
            s.carried.emplace_back(engine::CarriedValue{
                slot.value().value(), TimePoint{Duration{slot.value().as_at().seconds()}}});
        } else {
            s.carried.emplace_back(std::nullopt);
        }
    }
    if (in.mismatch_declared() != 0) {
        s.reported_mismatch =
            std::pair{static_cast<int>(in.mismatch_declared()), from_proto(in.mismatch_computed())};
    }
    return s;
}

std::string to_json(const google::protobuf::Message& message) {
    std::string out;
    pb::util::JsonPrintOptions options;
    options.preserve_proto_field_names = true;
    const auto status = pb::util::MessageToJsonString(message, &out, options);
    OPEL_CHECK(status.ok(), "every opel.v1 message has a JSON mapping");
    return out;
}

namespace {

constexpr std::uint32_t wire_varint = 0;
constexpr std::uint32_t wire_fixed64 = 1;
constexpr std::uint32_t wire_length_delimited = 2;

void append_varint(std::string& out, std::uint64_t value) {
    while (value >= 0x80) {
        out.push_back(static_cast<char>((value & 0x7f) | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<char>(value));
}

// Reads a varint at `at`, advancing it; none when truncated or longer than 10 bytes.
std::optional<std::uint64_t> read_varint(std::string_view in, std::size_t& at) {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64 && at < in.size(); shift += 7) {
        const auto byte = static_cast<unsigned char>(in[at++]);
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if ((byte & 0x80) == 0) {
            return value;
        }
    }
    return std::nullopt;
}

}  // namespace

void append_field(std::string& message, int number, std::string_view bytes) {
    append_varint(message, (static_cast<std::uint64_t>(number) << 3) | wire_length_delimited);
    append_varint(message, bytes.size());
    message.append(bytes);
}

std::string status_publication(std::uint64_t sequence, std::string_view node_result) {
    std::string out;
    out.reserve(node_result.size() + 16);
    if (sequence != 0) {  // proto3: a zero scalar is not written
        append_varint(out,
                      (std::uint64_t{v1::Publication::kSequenceFieldNumber} << 3) | wire_varint);
        append_varint(out, sequence);
    }
    append_field(out, v1::Publication::kStatusFieldNumber, node_result);
    return out;
}

namespace {

// proto3 serialization rules, field by field, as protobuf's generated code applies them:
// a scalar or string is written unless it is zero or empty, a double unless its bits are
// all zero; a field with presence (optional, message) whenever it is set.
void put_tag(std::string& out, int number, std::uint32_t type) {
    append_varint(out, (static_cast<std::uint64_t>(number) << 3) | type);
}

void put_string(std::string& out, int number, std::string_view value) {
    if (!value.empty()) {
        put_tag(out, number, wire_length_delimited);
        append_varint(out, value.size());
        out.append(value);
    }
}

void put_varint(std::string& out, int number, std::uint64_t value) {
    if (value != 0) {
        put_tag(out, number, wire_varint);
        append_varint(out, value);
    }
}

void put_double(std::string& out, int number, double value, bool present = false) {
    const auto bits = std::bit_cast<std::uint64_t>(value);
    if (bits != 0 || present) {
        put_tag(out, number, wire_fixed64);
        for (int i = 0; i < 8; ++i) {
            out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
        }
    }
}

void put_message(std::string& out, int number, std::string_view bytes) {
    put_tag(out, number, wire_length_delimited);
    append_varint(out, bytes.size());
    out.append(bytes);
}

// A google.protobuf.Timestamp at whole seconds, as timestamp() builds it.
void put_time(std::string& out, int number, TimePoint t, std::string& scratch) {
    scratch.clear();
    put_varint(scratch, google::protobuf::Timestamp::kSecondsFieldNumber,
               static_cast<std::uint64_t>(t.time_since_epoch().count()));
    put_message(out, number, scratch);
}

std::uint64_t wire_status(engine::Status s) { return static_cast<std::uint64_t>(to_proto(s)); }

}  // namespace

std::string encode_result(const engine::NodeResult& r) {
    std::string out;
    out.reserve(1024);
    std::string part;  // one parameter or pillar
    std::string time;
    part.reserve(256);
    put_string(out, v1::NodeResult::kNodeIdFieldNumber, r.node_id);
    put_string(out, v1::NodeResult::kPathFieldNumber, r.path);
    put_string(out, v1::NodeResult::kKindFieldNumber, engine::to_string(r.kind));
    put_varint(out, v1::NodeResult::kStatusFieldNumber, wire_status(r.status));
    put_varint(out, v1::NodeResult::kComputedFieldNumber, wire_status(r.computed));
    put_varint(out, v1::NodeResult::kBandLevelFieldNumber, wire_status(r.band_level));
    put_double(out, v1::NodeResult::kTotalFieldNumber, r.total);
    put_double(out, v1::NodeResult::kNormalisedScoreFieldNumber, r.normalised);
    for (const engine::ParameterResult& p : r.parameters) {
        part.clear();
        put_string(part, v1::ParameterResult::kIdFieldNumber, p.id);
        put_string(part, v1::ParameterResult::kNameFieldNumber, p.name);
        if (p.value) {
            put_double(part, v1::ParameterResult::kValueFieldNumber, *p.value, true);
        }
        put_varint(part, v1::ParameterResult::kScoreFieldNumber,
                   static_cast<std::uint32_t>(p.score));
        put_varint(part, v1::ParameterResult::kWeightFieldNumber,
                   static_cast<std::uint32_t>(p.weight));
        put_varint(part, v1::ParameterResult::kCarriedForwardFieldNumber,
                   p.carried_forward ? 1 : 0);
        if (p.carried_from) {
            put_time(part, v1::ParameterResult::kCarriedFromFieldNumber, *p.carried_from, time);
        }
        put_varint(part, v1::ParameterResult::kWorstPolicyFieldNumber, p.worst_policy ? 1 : 0);
        put_string(part, v1::ParameterResult::kUnitFieldNumber, p.unit);
        put_message(out, v1::NodeResult::kParametersFieldNumber, part);
    }
    put_string(out, v1::NodeResult::kDecidedByFieldNumber, r.decided_by);
    put_double(out, v1::NodeResult::kCoveragePercentFieldNumber, r.coverage_percent);
    for (const engine::PillarResult& p : r.pillars) {
        part.clear();
        put_string(part, v1::PillarResult::kProviderTypeFieldNumber,
                   engine::to_string(p.provider_type));
        put_varint(part, v1::PillarResult::kStatusFieldNumber, wire_status(p.status));
        put_double(part, v1::PillarResult::kNormalisedScoreFieldNumber, p.normalised);
        put_double(part, v1::PillarResult::kCoveragePercentFieldNumber, p.coverage_percent);
        put_message(out, v1::NodeResult::kPillarsFieldNumber, part);
    }
    if (r.as_at) {
        put_time(out, v1::NodeResult::kAsAtFieldNumber, *r.as_at, time);
    }
    put_varint(out, v1::NodeResult::kTransitionNumberFieldNumber, r.transition_number);
    put_varint(out, v1::NodeResult::kDeclaredLevelFieldNumber,
               static_cast<std::uint32_t>(r.declared_level));
    put_string(out, v1::NodeResult::kDeclaredReasonFieldNumber, r.declared_reason);
    put_string(out, v1::NodeResult::kCardFieldNumber, r.card);
    put_string(out, v1::NodeResult::kSubmissionIdFieldNumber, r.submission_id);
    put_string(out, v1::NodeResult::kCommentFieldNumber, r.comment);
    return out;
}

std::optional<std::string_view> sole_sitrep(std::string_view request) {
    std::size_t at = 0;
    const auto tag = read_varint(request, at);
    if (!tag || *tag != ((std::uint64_t{v1::SubmitRequest::kSitrepFieldNumber} << 3) |
                         wire_length_delimited)) {
        return std::nullopt;
    }
    const auto size = read_varint(request, at);
    if (!size || *size != request.size() - at) {
        return std::nullopt;
    }
    return request.substr(at);
}

namespace {

// One field of a message being decoded: its number, wire type and, for a length-delimited
// field, its bytes (a varint's value in `value`, a fixed64's raw bits too).
struct WireField {
    std::uint64_t number = 0;
    std::uint32_t type = 0;
    std::uint64_t value = 0;
    std::string_view bytes;
};

// Reads the next field at `at`; none for anything but a well-formed varint, fixed64 or
// length-delimited field.
std::optional<WireField> read_field(std::string_view in, std::size_t& at) {
    const auto tag = read_varint(in, at);
    if (!tag || (*tag >> 3) == 0 || (*tag >> 3) > 0x1fffffff) {
        return std::nullopt;
    }
    WireField f{*tag >> 3, static_cast<std::uint32_t>(*tag & 7), 0, {}};
    if (f.type == wire_varint) {
        const auto v = read_varint(in, at);
        if (!v) {
            return std::nullopt;
        }
        f.value = *v;
    } else if (f.type == wire_fixed64) {
        if (in.size() - at < 8) {
            return std::nullopt;
        }
        for (int i = 7; i >= 0; --i) {
            f.value =
                (f.value << 8) | static_cast<unsigned char>(in[at + static_cast<std::size_t>(i)]);
        }
        at += 8;
    } else if (f.type == wire_length_delimited) {
        const auto size = read_varint(in, at);
        if (!size || *size > in.size() - at) {
            return std::nullopt;
        }
        f.bytes = in.substr(at, static_cast<std::size_t>(*size));
        at += static_cast<std::size_t>(*size);
    } else {
        return std::nullopt;
    }
    return f;
}

// Text the fast decoder takes as it is: ASCII needs no UTF-8 check (protobuf rejects invalid
// UTF-8 in a string field, so anything else goes to protobuf).
bool ascii(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

}  // namespace

std::optional<SitrepResult> decode_sitrep(std::string_view sitrep) {
    engine::Sitrep out;
    std::optional<SentTime> as_at;
    std::optional<std::uint32_t> declared_level;
    const auto text = [](const WireField& f, std::string& to) {
        if (f.type != wire_length_delimited || !ascii(f.bytes)) {
            return false;
        }
        to.assign(f.bytes);
        return true;
    };
    std::size_t at = 0;
    while (at < sitrep.size()) {
        const auto f = read_field(sitrep, at);
        if (!f) {
            return std::nullopt;
        }
        bool ok = false;
        switch (f->number) {
            case v1::Sitrep::kSiteIdFieldNumber:
                ok = text(*f, out.site_id);
                break;
            case v1::Sitrep::kSubmissionIdFieldNumber:
                ok = text(*f, out.submission_id);
                break;
            case v1::Sitrep::kDeclaredReasonFieldNumber:
                ok = text(*f, out.declared_reason);
                break;
            case v1::Sitrep::kCommentFieldNumber:
                ok = text(*f, out.comment);
                break;
            case v1::Sitrep::kDeclaredLevelFieldNumber:
                ok = f->type == wire_varint;
                declared_level = static_cast<std::uint32_t>(f->value);
                break;
            case v1::Sitrep::kAsAtFieldNumber: {
                // A repeated message field merges: what the later one sets wins.
                ok = f->type == wire_length_delimited;
                SentTime& t = as_at ? *as_at : as_at.emplace();
                for (std::size_t in = 0; ok && in < f->bytes.size();) {
                    const auto g = read_field(f->bytes, in);
                    constexpr int seconds = google::protobuf::Timestamp::kSecondsFieldNumber;
                    constexpr int nanos = google::protobuf::Timestamp::kNanosFieldNumber;
                    ok =
                        g && g->type == wire_varint && (g->number == seconds || g->number == nanos);
                    if (ok && g->number == seconds) {
                        t.seconds = static_cast<std::int64_t>(g->value);
                    } else if (ok) {
                        t.nanos = static_cast<std::int32_t>(static_cast<std::uint32_t>(g->value));
                    }
                }
                break;
            }
            case v1::Sitrep::kMeasuresFieldNumber: {
                // A map entry: key 1, value 2 (either may be missing); a later key wins.
                ok = f->type == wire_length_delimited;
                std::string key;
                double value = 0;
                for (std::size_t in = 0; ok && in < f->bytes.size();) {
                    const auto g = read_field(f->bytes, in);
                    if (g && g->number == 1) {
                        ok = text(*g, key);
                    } else if (g && g->number == 2 && g->type == wire_fixed64) {
                        value = std::bit_cast<double>(g->value);
                    } else {
                        ok = false;
                    }
                }
                if (ok) {
                    out.measures.insert_or_assign(std::move(key), value);
                }
                break;
            }
            default:
                break;  // an unknown field: left to protobuf
        }
        if (!ok) {
            return std::nullopt;
        }
    }
    return finish_sitrep(out, as_at, declared_level);
}

}  // namespace opel::codec

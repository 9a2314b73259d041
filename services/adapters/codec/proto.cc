// The protobuf mapping: opel.v1 messages <-> the engine's plain types.
#include "adapters/codec/proto.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cmath>

#include "adapters/codec/wire.h"

namespace opel::codec {
namespace {

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
          engine::ProviderType::mental_health, engine::ProviderType::nhs111,
          engine::ProviderType::paediatric}) {
        if (engine::to_string(t) == type) {
            return t;
        }
    }
    return engine::ProviderType::none;
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
    if (in.has_declared_level()) {
        out.declared_level = in.declared_level();
    }
    if (in.has_as_at()) {
        auto as_at = time_from_wire(in.as_at().seconds(), in.as_at().nanos());
        if (!as_at) {
            return unexpected(std::vector<engine::FieldError>{std::move(as_at).error()});
        }
        out.as_at = *as_at;
    }
    return out;
}

v1::Sitrep to_proto(const engine::Sitrep& in) {
    v1::Sitrep out;
    out.set_site_id(in.site_id);
    if (in.as_at) {
        *out.mutable_as_at() = timestamp(*in.as_at);
    }
    out.set_submission_id(in.submission_id);
    if (in.declared_level) {
        // Out of uint32's range only from a caller's bug: readers give 0..2^32-1.
        out.set_declared_level(static_cast<std::uint32_t>(std::clamp<std::int64_t>(
            *in.declared_level, 0, std::numeric_limits<std::uint32_t>::max())));
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
        pr->set_threshold(p.threshold);
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
    out.set_declared_by(r.declared_by);
    if (r.declared_until) {
        *out.mutable_declared_until() = timestamp(*r.declared_until);
    }
    if (r.acknowledged) {
        v1::Acknowledged* a = out.mutable_acknowledged();
        a->set_transition_id(r.acknowledged->transition_id);
        a->set_by(r.acknowledged->by);
        *a->mutable_at() = timestamp(r.acknowledged->at);
        a->set_note(r.acknowledged->note);
    }
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
        case engine::EventKind::config_reloaded:
            out.set_kind(v1::EVENT_KIND_CONFIG_RELOADED);
            break;
        case engine::EventKind::acknowledged:
            out.set_kind(v1::EVENT_KIND_ACKNOWLEDGED);
            break;
        case engine::EventKind::declared:
            out.set_kind(v1::EVENT_KIND_DECLARED);
            break;
        case engine::EventKind::declaration_expired:
            out.set_kind(v1::EVENT_KIND_DECLARATION_EXPIRED);
            break;
        case engine::EventKind::unacknowledged:
            out.set_kind(v1::EVENT_KIND_UNACKNOWLEDGED);
            break;
        case engine::EventKind::sustained_pressure:
            out.set_kind(v1::EVENT_KIND_SUSTAINED_PRESSURE);
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
    out.set_actions_note(e.actions_note);
    out.set_stand_down_note(e.stand_down_note);
    out.set_declared_level(static_cast<std::uint32_t>(e.declared_level));
    if (e.kind == engine::EventKind::declared_mismatch || e.kind == engine::EventKind::declared ||
        e.kind == engine::EventKind::declaration_expired) {
        out.set_computed(to_proto(e.computed));
    }
    out.set_declared_reason(e.declared_reason);
    out.set_config_hash(e.config_hash);
    out.set_by(e.by);
    out.set_note(e.note);
    if (e.until) {
        *out.mutable_until() = timestamp(*e.until);
    }
    if (e.unacknowledged) {
        to_proto(*e.unacknowledged, *out.mutable_unacknowledged());
    }
    if (e.pressure_since) {
        *out.mutable_pressure_since() = timestamp(*e.pressure_since);
    }
}

v1::SubmitError to_proto(const engine::FieldError& error) {
    v1::SubmitError out;
    out.set_field(error.field);
    out.set_code(error.code);
    out.set_message(error.message);
    return out;
}

namespace {

v1::SubmitStatus to_reply_status(engine::SubmitStatus status) {
    switch (status) {
        case engine::SubmitStatus::accepted:
            return v1::SUBMIT_STATUS_ACCEPTED;
        case engine::SubmitStatus::duplicate:
            return v1::SUBMIT_STATUS_DUPLICATE;
        case engine::SubmitStatus::late:
            return v1::SUBMIT_STATUS_LATE;
        case engine::SubmitStatus::rejected:
            break;
    }
    return v1::SUBMIT_STATUS_REJECTED;
}

}  // namespace

v1::SubmitReply to_reply(const engine::SubmitOutcome& outcome, std::string_view site_id,
                         std::uint64_t sequence, bool with_result) {
    v1::SubmitReply reply;
    reply.set_status(to_reply_status(outcome.status));
    reply.set_submission_id(outcome.submission_id);
    reply.set_site_id(std::string(site_id));
    reply.set_sequence(sequence);
    if (outcome.status == engine::SubmitStatus::duplicate) {
        reply.set_original_status(to_reply_status(outcome.original_status));
    }
    if (outcome.corrects) {
        *reply.mutable_corrects() = timestamp(*outcome.corrects);
        reply.set_message("correction of the " + format_london(*outcome.corrects) +
                          " sitrep: these figures replace it (both are kept in history)");
    }
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
        r.parameters.push_back(
            {p.id(), p.name(), p.unit(),
             p.has_value() ? std::optional<double>(p.value()) : std::nullopt,
             static_cast<int>(p.score()), static_cast<int>(p.weight()), p.carried_forward(),
             time_of(p.carried_from(), p.has_carried_from()), p.worst_policy(), p.threshold()});
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
    r.declared_by = in.declared_by();
    r.declared_until = time_of(in.declared_until(), in.has_declared_until());
    if (in.has_acknowledged()) {
        const v1::Acknowledged& a = in.acknowledged();
        r.acknowledged = engine::Acknowledged{a.transition_id(), a.by(),
                                              TimePoint{Duration{a.at().seconds()}}, a.note()};
    }
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
        case v1::EVENT_KIND_CONFIG_RELOADED:
            e.kind = engine::EventKind::config_reloaded;
            break;
        case v1::EVENT_KIND_ACKNOWLEDGED:
            e.kind = engine::EventKind::acknowledged;
            break;
        case v1::EVENT_KIND_DECLARED:
            e.kind = engine::EventKind::declared;
            break;
        case v1::EVENT_KIND_DECLARATION_EXPIRED:
            e.kind = engine::EventKind::declaration_expired;
            break;
        case v1::EVENT_KIND_UNACKNOWLEDGED:
            e.kind = engine::EventKind::unacknowledged;
            break;
        case v1::EVENT_KIND_SUSTAINED_PRESSURE:
            e.kind = engine::EventKind::sustained_pressure;
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
    e.actions_note = in.actions_note();
    e.stand_down_note = in.stand_down_note();
    e.declared_level = static_cast<int>(std::min<std::uint32_t>(in.declared_level(), 4));
    e.computed = from_proto(in.computed());
    e.declared_reason = in.declared_reason();
    e.config_hash = in.config_hash();
    e.by = in.by();
    e.note = in.note();
    e.until = time_of(in.until(), in.has_until());
    if (in.has_unacknowledged()) {
        e.unacknowledged = from_proto(in.unacknowledged());
    }
    e.pressure_since = time_of(in.pressure_since(), in.has_pressure_since());
    return e;
}

void to_proto(const engine::Unacknowledged& r, v1::Unacknowledged& out) {
    out.set_transition_id(r.transition_id);
    out.set_route(r.route);
    *out.mutable_open_since() = timestamp(r.open_since);
    out.set_follow_up(r.follow_up == engine::Unacknowledged::FollowUp::step
                          ? v1::FOLLOW_UP_KIND_STEP
                          : v1::FOLLOW_UP_KIND_REMINDER);
    out.set_number(static_cast<std::uint32_t>(r.number));
    for (const std::string& g : r.groups) {
        out.add_groups(g);
    }
    out.set_by(r.by);
}

engine::Unacknowledged from_proto(const v1::Unacknowledged& u) {
    return {u.transition_id(),
            u.route(),
            TimePoint{Duration{u.open_since().seconds()}},
            u.follow_up() == v1::FOLLOW_UP_KIND_STEP ? engine::Unacknowledged::FollowUp::step
                                                     : engine::Unacknowledged::FollowUp::reminder,
            u.number(),
            {u.groups().begin(), u.groups().end()},
            u.by()};
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
    if (s.declaration) {
        v1::StandingDeclaration* d = out.mutable_declaration();
        d->set_level(static_cast<std::uint32_t>(s.declaration->level));
        d->set_reason(s.declaration->reason);
        d->set_by(s.declaration->by);
        *d->mutable_at() = timestamp(s.declaration->at);
        if (s.declaration->until) {
            *d->mutable_until() = timestamp(*s.declaration->until);
        }
    }
    if (s.pressure.since) {
        *out.mutable_pressure_since() = timestamp(*s.pressure.since);
        out.set_pressure_reported(s.pressure.reported);
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
    if (in.has_declaration()) {
        const v1::StandingDeclaration& d = in.declaration();
        s.declaration = engine::StandingDeclaration{
            static_cast<int>(std::clamp<std::uint32_t>(d.level(), 1, 4)), d.reason(), d.by(),
            TimePoint{Duration{d.at().seconds()}}, time_of(d.until(), d.has_until())};
    }
    s.pressure = {time_of(in.pressure_since(), in.has_pressure_since()),
                  in.has_pressure_since() && in.pressure_reported()};
    return s;
}

}  // namespace opel::codec

// Engine: THE OPEL core. Owns the compiled Model and the state of every site and node, and
// turns sitreps and the passage of time into results and events (SPEC §4). Pure: it never
// reads a clock, blocks, logs or touches I/O; time arrives as an argument. Single-threaded:
// one owner calls it (the daemon's engine thread, or an offline tool).
//
//   submit(sitrep, wall_now?) ── duplicate? ── validate ── late? ── advance_to(now) ── apply
//                                                                         │            │
//   advance_to(now) ◀── timer at next_deadline() (daemon)                  ▼            ▼
//                                                              stale events   site result,
//                                                                              ancestors, events
// Modes: with wall_now (daemon) "now" is the wall clock and future as_at is checked; without
// (opel evaluate / replay) "now" is stream time: the largest accepted as_at so far.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/command.h"
#include "engine/hysteresis.h"
#include "engine/model.h"
#include "engine/node_result.h"
#include "engine/scoring.h"
#include "engine/sitrep.h"

namespace opel::engine {

enum class SubmitStatus { accepted, duplicate, late, rejected };

std::string_view to_string(SubmitStatus status);

struct SubmitOutcome {
    SubmitStatus status = SubmitStatus::rejected;
    std::string submission_id;
    SubmitStatus original_status = SubmitStatus::rejected;  // duplicate: the first outcome
    std::vector<FieldError> errors;                         // rejected: every problem
    // accepted: the results of deadlines that fired first (staleness, sustained pressure:
    // possibly of this very site), then the site's, then its recomputed ancestors'. The
    // site's result is its last one.
    std::vector<NodeResult> results;
    std::vector<Event> events;  // staleness that fired first, then this sitrep's
    // accepted: the as_at of the site's latest sitrep this one corrects (same site and as_at,
    // other figures; SPEC §4 rule 7)
    std::optional<TimePoint> corrects;
};

// Since when a node has been held at OPEL 3 or 4 without a break, and whether the
// sustained_pressure event for that run has gone out.
struct Pressure {
    std::optional<TimePoint> since;
    bool reported = false;
    bool operator==(const Pressure&) const = default;
};

// The durable state of one node: everything the engine needs to carry on after a restart
// exactly as if it had not stopped (held status, transition count, hysteresis holds,
// staleness clock, carry-forward values, the latest result that parents aggregate).
struct NodeSnapshot {
    Status status = Status::unknown;
    std::uint64_t transitions = 0;
    HoldState hold;
    NodeResult result;
    std::optional<TimePoint> latest_as_at;                    // sites
    std::optional<TimePoint> deadline;                        // sites: pending staleness deadline
    std::vector<std::optional<CarriedValue>> carried;         // sites: card parameter order
    std::optional<std::pair<int, Status>> reported_mismatch;  // sites
    std::optional<StandingDeclaration> declaration;           // sites: opel declare
    Pressure pressure;
};

struct EngineOptions {
    // Remember every accepted/late submission_id in memory for DUPLICATE detection. A daemon
    // that keeps idempotency keys in its store turns this off and checks the store first.
    bool track_submissions = true;
};

// Results and events from time passing (staleness deadlines).
struct Tick {
    std::vector<NodeResult> results;
    std::vector<Event> events;
};

class Engine {
public:
    // Precondition: check_config(config) is empty (checked).
    explicit Engine(EngineConfig config, EngineOptions options = {});
    Engine(const Engine&) = delete;
    Engine& operator=(const Engine&) = delete;

    // Submits one sitrep. wall_now: the daemon clock (enables the future check with
    // max_clock_skew); nullopt: stream time. Never throws for bad input.
    SubmitOutcome submit(const Sitrep& sitrep, std::optional<TimePoint> wall_now,
                         Duration max_clock_skew = std::chrono::minutes{5});

    // Commands (command.h), from people through the daemon; `now` is the daemon clock. Each
    // is REJECTED naming every problem (nothing changed), else ACCEPTED with what it changed.
    // Acknowledging transition n of a node: the `acknowledged` event; when n is the node's
    // current transition, also its result, which names the acknowledgement until the next
    // transition.
    SubmitOutcome acknowledge(const Acknowledgement& ack, TimePoint now);
    // Declaring a site's level (or withdrawing its standing declaration, level 0): the site's
    // result showing it, the `declared` event, and a declared_mismatch event when it differs
    // from the held level. The held level and the roll-up do not change.
    SubmitOutcome declare(const Declaration& declaration, TimePoint now);
    // The notifier reports that escalation `transition_id` is still not acknowledged: the
    // `unacknowledged` event. REJECTED when the transition is not the node's current one or
    // was acknowledged (nothing is open any more), besides malformed fields. Changes no state.
    SubmitOutcome report_unacknowledged(const Unacknowledged& report, TimePoint now);

    // Fires every staleness and sustained-pressure deadline <= now, one instant at a time,
    // oldest first (at one instant, staleness first: a node that goes stale at the moment
    // its pressure would have been sustained is not reported as sustained), then every
    // standing declaration whose `until` is <= now.
    Tick advance_to(TimePoint now);

    // The earliest pending staleness or sustained-pressure deadline or declaration end.
    std::optional<TimePoint> next_deadline() const;

    const Model& model() const { return model_; }
    // A node's current result (a copy: parameter names and units are added from the card,
    // which holds them once rather than once per site).
    NodeResult result(NodeIndex node) const;
    // A node's held status, without copying its result (for metrics over every node).
    Status status(NodeIndex node) const { return states_[node].status; }
    // A site's latest sitrep's as_at; none before its first sitrep, and for system nodes.
    std::optional<TimePoint> latest_as_at(NodeIndex node) const {
        return states_[node].latest_as_at;
    }
    // The largest time the engine has been advanced to (stream time offline).
    std::optional<TimePoint> now() const { return now_; }

    // State of one node, for storage. Without `include_result` the snapshot's result is left
    // empty: a store that keeps the node's last published result elsewhere saves the copy.
    NodeSnapshot snapshot(NodeIndex node, bool include_result = true) const;
    // Restores one node's state (after a restart). Carry-forward values whose count no
    // longer matches the node's card (the card changed) are dropped. Call before any submit.
    void restore(NodeIndex node, NodeSnapshot snapshot);
    // Restores the engine's notion of now.
    void restore_now(std::optional<TimePoint> now) { now_ = now; }

private:
    // What a site's result says of one card parameter beyond the card itself. Id, name,
    // unit and weight are the card's, added when a result leaves the engine (label()): a
    // few numbers per parameter instead of a whole ParameterResult with its three strings.
    struct ParameterNumbers {
        std::optional<double> value;
        std::optional<TimePoint> carried_from;
        int score = 0;
        bool carried_forward = false;
        bool worst_policy = false;
    };

    struct NodeState {
        Status status = Status::unknown;
        std::uint64_t transitions = 0;
        HoldState hold;
        // Without its parameters when `parameters` holds them (always, once a site has
        // reported under its current card); a restored result from another card keeps its
        // own until the site's next sitrep.
        NodeResult result;
        std::vector<ParameterNumbers> parameters;  // sites: card order, or empty
        // Sites only:
        std::optional<TimePoint> latest_as_at;
        std::optional<TimePoint> deadline;
        std::vector<std::optional<CarriedValue>> carried;
        std::optional<std::pair<int, Status>> reported_mismatch;
        std::optional<StandingDeclaration> declaration;
        Pressure pressure;  // every node
    };

    // Applies an accepted sitrep. Appends to `out`'s results and events, which already hold
    // the deadlines' (advance_to), as recompute_ancestors and emit do: appending into the
    // outcome's vectors saves building and merging new ones per sitrep.
    void apply(NodeIndex site, const Sitrep& sitrep, const MeasureValues& values, TimePoint now,
               SubmitOutcome& out);
    // The site's next status and the hysteresis or staleness note explaining it; moves the
    // site's deadline to `as_at` + reporting interval + grace (none when that is past `now`).
    std::pair<Status, std::string> next_site_status(NodeIndex site, const CardEvaluation& eval,
                                                    TimePoint as_at, TimePoint now);
    // An event when the site's result's declared level first disagrees with its held status,
    // or disagrees differently; agreement (or no declared level) clears it.
    std::optional<Event> declared_mismatch(NodeIndex site, TimePoint at);
    // An event of `kind` about `node` that changes no status (a mismatch, a person's
    // command): the node's identity, from = to = its held status, `at`, its labelled result.
    Event status_quo_event(EventKind kind, NodeIndex node, TimePoint at) const;
    // The site's result shows its standing declaration, or the sitrep's own, or none.
    void show_declaration(NodeIndex site, const Sitrep* sitrep);
    // The node a command's transition id names, or none with the transition_id error
    // (malformed, unknown node, a transition not made yet: nothing to `doing`).
    std::optional<NodeIndex> transition_node(const std::string& transition_id,
                                             std::string_view doing,
                                             std::vector<FieldError>& errors) const;
    // Ends the site's standing declaration at `at` (its until): the declaration_expired event.
    void expire_declaration(NodeIndex site, TimePoint at, Tick& tick);
    // Parameter ids, names, units and weights are kept once, in the card, not in every
    // site's result: label() rebuilds a copy's parameters from the card and the site's
    // numbers; emit() appends a labelled copy.
    void label(NodeResult& result, NodeIndex node) const;
    void emit(std::vector<NodeResult>& out, NodeIndex node) const;
    void build_site_result(NodeIndex site, const Sitrep& sitrep, const CardEvaluation& eval,
                           const std::string& submission_id, const std::string& note);
    // Sets a node's status; the transition event when it changed.
    std::optional<Event> set_status(NodeIndex node, Status status, TimePoint at);
    // Starts or ends the node's run at OPEL 3+ as its status moves from `from`; keeps
    // sustained_ends_ in step.
    void track_pressure(NodeIndex node, Status from, TimePoint at);
    // The sustained_pressure events of every node whose run reaches `instant` now, each with
    // the node's unchanged result (so a daemon stores the node's state: the run reported).
    void fire_sustained(TimePoint instant, Tick& tick);
    // Re-aggregates a system node from its children's contributions; its transition event.
    std::optional<Event> recompute_system(NodeIndex node, TimePoint at);
    // What a system node's children add up to: weights (all, and of those with a level), the
    // weighted sum of their normalised scores, and the worst level with its first child.
    struct ChildSums {
        double all_weight = 0;
        double included_weight = 0;
        double weighted_sum = 0;
        int worst = 0;
        std::optional<NodeIndex> worst_child;
    };
    ChildSums sum_children(const ModelNode& n) const;
    // The band level by the node's aggregation; appends the sentence explaining it to `why`
    // (the result's decided_by: writing into it keeps its buffer, no allocation per sitrep).
    int aggregate_band(const NodeConfig& cfg, const ChildSums& sums, const NodeResult& r,
                       std::string& why) const;
    // `level` raised by the node's floor rules; prepends each applied rule's sentence to `why`.
    int raise_by_floors(const ModelNode& n, int level, std::string& why) const;
    // The status a system node moves to at `level` (hysteresis for weighted means), with its
    // note appended to the node's decided_by.
    Status system_status(NodeIndex node, int level, TimePoint at);
    // Re-aggregates every ancestor of `changed`, deepest first; appends their results and
    // events to the outcome being built (see apply).
    void recompute_ancestors(std::span<const NodeIndex> changed, TimePoint at,
                             std::vector<NodeResult>& results, std::vector<Event>& events);
    void compute_pillars(NodeIndex node);

    // What a node gives its parents' roll-up: a copy of its status and result.normalised,
    // kept side by side so the aggregation loops over children and pillar sites read 16
    // bytes per node rather than a whole NodeState. Written only through set_contribution,
    // wherever those two change (set_status, build_site_result, recompute_system, restore).
    struct Contribution {
        Status status = Status::unknown;
        double normalised = 0;
    };
    // The only writer of contributions_: also marks the site's pillar groups for re-summing.
    void set_contribution(NodeIndex node, Contribution c);

    // One pillar group's sums per provider type. A group is re-summed from its sites only
    // after one of them changed, and the ICS's pillars add up its groups in order, so every
    // pillar is a function of the current contributions alone: a restarted engine (all
    // groups dirty) computes the same bits as one that ran through.
    struct PillarSum {
        double all = 0;
        double included = 0;
        double weighted = 0;
    };
    // ProviderType values, none included (index = the enum value).
    static constexpr std::size_t provider_types =
        static_cast<std::size_t>(ProviderType::paediatric) + 1;
    struct PillarGroup {
        std::array<PillarSum, provider_types> sums{};
        bool dirty = true;
    };

    Model model_;
    EngineOptions options_;
    std::vector<NodeState> states_;
    std::vector<Contribution> contributions_;            // by node index, as states_
    std::vector<std::vector<PillarGroup>> pillar_sums_;  // by node index: its pillar groups
    std::vector<NodeIndex> pending_;  // recompute_ancestors' work list, kept for its capacity
    std::set<std::pair<TimePoint, NodeIndex>> deadlines_;
    std::set<std::pair<TimePoint, NodeIndex>> declaration_ends_;  // standing declarations' until
    std::set<std::pair<TimePoint, NodeIndex>> sustained_ends_;    // pressure.since + sustained
    // The first outcome of a remembered submission and the content its key stands for.
    struct Seen {
        SubmitStatus status = SubmitStatus::accepted;
        Sitrep content;  // site, as_at and measures only
    };
    void remember(const std::string& submission_id, SubmitStatus status, const Sitrep& sitrep);
    // A REJECTED error when `as_at` is further back than the backfill limit allows.
    std::optional<FieldError> backfill_error(const Sitrep& sitrep,
                                             std::optional<TimePoint> wall_now) const;
    std::unordered_map<std::string, Seen> seen_;  // submission_id -> first outcome
    std::optional<TimePoint> now_;
};

}  // namespace opel::engine

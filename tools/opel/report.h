// Human-readable rendering shared by the opel subcommands: parameter breakdowns, alerts
// with their actions, tree rows. Plain text for a terminal, 100 columns or so.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "engine/node_result.h"
#include "engine/sitrep.h"

namespace opel::cli {

// Pads to `width` columns, or cuts with "~" so the next column always has a space before it.
std::string pad(std::string s, std::size_t width);
std::string level_text(engine::Status s);
// Every error of a rejected submission, one per line.
void print_errors(std::ostream& out, const std::vector<engine::FieldError>& errors);
// A site's explanation: what decided the level and each parameter's value, score, weight.
void print_site(std::ostream& out, const engine::NodeResult& r);
// For a site held above the level its current figures give: says so, and that its locality
// (which rolls up the current score) may show less. Empty otherwise.
std::string held_note(const engine::NodeResult& r);
// "RWJ#7 by Jane Smith at 2026-01-13 08:30 GMT - bed meeting at 09:00".
std::string acknowledgement_text(const engine::Acknowledged& a);
// An alert with why it happened and the new level's actions (lower-level actions counted).
void print_event(std::ostream& out, const engine::Event& e);
// One line of a tree: indented id and name, status, score/coverage or as_at.
void print_row(std::ostream& out, int depth, const std::string& name, const engine::NodeResult& r);

}  // namespace opel::cli

// What decoding a sitrep from any format gives: the engine's sitrep, or every problem found,
// each naming its field (or CSV line). Decoding never throws. Content rules (ranges, the
// catalogue) are the engine's validate_sitrep, not the codec's.
#pragma once

#include <vector>

#include "base/result.h"
#include "engine/sitrep.h"

namespace opel::codec {

using SitrepResult = Result<engine::Sitrep, std::vector<engine::FieldError>>;

}  // namespace opel::codec

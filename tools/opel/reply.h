// One request to opel-escalatord's submit endpoint and its reply as people (or scripts) read
// it: shared by `opel submit`, `opel ack` and `opel declare`.
#pragma once

#include <chrono>
#include <string>

#include "adapters/net/client.h"

namespace opel::cli {

struct Exchange {
    std::string program;   // "opel submit", for error messages
    std::string where;     // "line 3: " before the reply, or ""
    std::string what;      // the submission id or command, for error messages
    std::string endpoint;  // for error messages
    std::chrono::milliseconds timeout{5000};
    int retries = 3;
    bool json = false;  // print the reply as a JSON line (opel.v1.SubmitReply)
};

// Sends the serialized opel.v1.SubmitRequest `request` (retrying on timeout with the same
// bytes, so the daemon's idempotency keeps a retry from acting twice), prints the reply:
// status, id, level, the daemon's message, why, every error. True when it was ACCEPTED,
// DUPLICATE or LATE; false (said on stderr) when it was refused or never answered.
bool exchange(net::RequestClient& client, const std::string& request, const Exchange& how);

}  // namespace opel::cli

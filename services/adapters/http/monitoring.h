// A daemon's monitoring routes on its HTTP server: GET /metrics (Prometheus text), /healthz
// (the process serves) and /readyz (ready, or 503 with the reason), on loopback unless
// explicitly allowed, with the bound address logged (tests read the port from that line).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "adapters/http/server.h"

namespace spdlog {
class logger;
}

namespace opel::http {

struct Monitoring {
    std::function<std::string()> metrics;                   // the exposition
    std::function<std::optional<std::string>()> not_ready;  // why not ready; none: ready
};

// Routes, listens on `address` and starts `server`, unless `address` is "off". False when it
// cannot listen (logged as critical). A non-loopback address needs `allow_insecure_remote`
// and is logged as a warning.
bool serve_monitoring(Server& server, const std::string& address, bool allow_insecure_remote,
                      Monitoring monitoring, spdlog::logger& log);

}  // namespace opel::http

#include "adapters/http/monitoring.h"

#include <spdlog/logger.h>

namespace opel::http {

bool serve_monitoring(Server& server, const std::string& address, bool allow_insecure_remote,
                      Monitoring monitoring, spdlog::logger& log) {
    if (address == "off") {
        log.info("metrics: off");
        return true;
    }
    constexpr const char* text = "text/plain; charset=utf-8";
    constexpr const char* exposition = "text/plain; version=0.0.4; charset=utf-8";  // Prometheus
    server.route("/metrics", [metrics = std::move(monitoring.metrics)] {
        return Response{200, exposition, metrics()};
    });
    server.route("/healthz", [] { return Response{200, text, "ok\n"}; });
    server.route("/readyz", [not_ready = std::move(monitoring.not_ready)] {
        if (auto why = not_ready()) {
            return Response{503, text, "not ready: " + *why + "\n"};
        }
        return Response{200, text, "ready\n"};
    });
    auto bound = server.listen(address, allow_insecure_remote);
    if (!bound) {
        log.critical("metrics: {}", bound.error().message);
        return false;
    }
    const boost::asio::ip::address ip = bound->address();
    const std::string host = ip.is_v6() ? "[" + ip.to_string() + "]" : ip.to_string();
    if (!ip.is_loopback() && !server.secure()) {
        log.warn(
            "serving metrics UNENCRYPTED on non-loopback address {}: anyone who can reach it can "
            "read them; --allow-insecure-remote is set",
            address);
    }
    // Tests read the port from this line when they ask for port 0.
    log.info("metrics: {}://{}:{}/metrics, /healthz, /readyz", server.secure() ? "https" : "http",
             host, bound->port());
    server.start();
    return true;
}

}  // namespace opel::http

#include "adapters/log/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <unistd.h>

#include <cstdlib>

namespace opel::log {
namespace {

// %* in the JSON pattern: the message, escaped for a JSON string.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm& /*tm*/,
                spdlog::memory_buf_t& dest) override {
        for (const char c : msg.payload) {
            switch (c) {
                case '"':
                    dest.append(std::string_view("\\\""));
                    break;
                case '\\':
                    dest.append(std::string_view("\\\\"));
                    break;
                case '\n':
                    dest.append(std::string_view("\\n"));
                    break;
                case '\t':
                    dest.append(std::string_view("\\t"));
                    break;
                default:
                    if (static_cast<unsigned char>(c) < 0x20) {
                        dest.append(std::string_view("?"));
                    } else {
                        dest.push_back(c);
                    }
            }
        }
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<JsonEscapedMessage>();
    }
};

}  // namespace

std::optional<Format> parse_format(const std::string& text) {
    if (text == "human") {
        return Format::human;
    }
    if (text == "json") {
        return Format::json;
    }
    return std::nullopt;
}

std::shared_ptr<spdlog::logger> make_logger(const std::string& name, Format format,
                                            const std::string& level) {
    std::string wanted = level;
    if (wanted.empty()) {
        const char* env = std::getenv("SPDLOG_LEVEL");
        wanted = env != nullptr && *env != '\0' ? env : "info";
    }
    const spdlog::level::level_enum lvl = spdlog::level::from_str(wanted);
    if (lvl == spdlog::level::off && wanted != "off") {
        return nullptr;
    }
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    auto logger = std::make_shared<spdlog::logger>(name, sink);
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    if (format == Format::json) {
        formatter->add_flag<JsonEscapedMessage>('*').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","logger":"%n","msg":"%*"})");
    } else {
        formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %n: %v");
    }
    logger->set_formatter(std::move(formatter));
    logger->set_level(lvl);
    logger->flush_on(spdlog::level::info);
    return logger;
}

bool warn_if_root(spdlog::logger& log) {
    if (::geteuid() != 0) {
        return false;
    }
    log.warn(
        "running as root (uid 0): this daemon needs no privileges; run it as its own user "
        "(systemd: DynamicUser=yes or User=opel)");
    return true;
}

}  // namespace opel::log

#include "base/time.h"

namespace opel {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::sys_days;
using std::chrono::year_month_day;

bool parse_digits(std::string_view text, std::size_t pos, std::size_t count, int& out) {
    if (pos + count > text.size()) {
        return false;
    }
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    out = value;
    return true;
}

// 01:00 UTC on the last Sunday of the given month.
TimePoint last_sunday_one_am(std::chrono::year y, std::chrono::month m) {
    const sys_days last{y / m / std::chrono::last};
    const std::chrono::weekday wd{last};
    const sys_days sunday = last - (wd - std::chrono::Sunday);
    return TimePoint{sunday} + hours{1};
}

}  // namespace

namespace {

// Writes `t`'s date and time into `out`, a pattern with the year at 0, month at 5, day at 8,
// hour at 11, minute at 14 and (when `seconds`) second at 17. By hand, not snprintf: this
// runs for every sitrep (default submission ids) and for held levels' explanations.
void put_date_time(std::string& out, TimePoint t, bool seconds) {
    const sys_days day = std::chrono::floor<days>(t);
    const year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{t - day};
    const auto put = [&out](std::size_t at, long value, int width) {
        for (int i = width - 1; i >= 0; --i) {
            out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
            value /= 10;
        }
    };
    put(0, static_cast<int>(ymd.year()), 4);
    put(5, static_cast<long>(static_cast<unsigned>(ymd.month())), 2);
    put(8, static_cast<long>(static_cast<unsigned>(ymd.day())), 2);
    put(11, static_cast<long>(hms.hours().count()), 2);
    put(14, static_cast<long>(hms.minutes().count()), 2);
    if (seconds) {
        put(17, static_cast<long>(hms.seconds().count()), 2);
    }
}

}  // namespace

std::string format_utc(TimePoint t) {
    std::string out = "0000-00-00T00:00:00Z";
    put_date_time(out, t, true);
    return out;
}

std::optional<TimePoint> parse_rfc3339(std::string_view text) {
    int y = 0;
    int mo = 0;
    int d = 0;
    int h = 0;
    int mi = 0;
    int s = 0;
    if (!parse_digits(text, 0, 4, y) || text.size() < 20 || text[4] != '-' ||
        !parse_digits(text, 5, 2, mo) || text[7] != '-' || !parse_digits(text, 8, 2, d) ||
        (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !parse_digits(text, 11, 2, h) ||
        text[13] != ':' || !parse_digits(text, 14, 2, mi) || text[16] != ':' ||
        !parse_digits(text, 17, 2, s)) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    if (pos < text.size() && text[pos] == '.') {
        ++pos;
        const std::size_t start = pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
            ++pos;
        }
        if (pos == start) {
            return std::nullopt;
        }
    }
    if (pos >= text.size()) {
        return std::nullopt;
    }
    int offset_minutes = 0;
    if (text[pos] == 'Z' || text[pos] == 'z') {
        ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
        int oh = 0;
        int om = 0;
        if (!parse_digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
            !parse_digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset_minutes = (oh * 60 + om) * (text[pos] == '-' ? -1 : 1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) {
        return std::nullopt;
    }
    const year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(mo)},
                             std::chrono::day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || h > 23 || mi > 59 || s > 59) {
        return std::nullopt;
    }
    return TimePoint{sys_days{ymd}} + hours{h} + minutes{mi} + Duration{s} -
           minutes{offset_minutes};
}

Duration london_offset(TimePoint t) {
    const year_month_day ymd{std::chrono::floor<days>(t)};
    const TimePoint bst_start = last_sunday_one_am(ymd.year(), std::chrono::March);
    const TimePoint bst_end = last_sunday_one_am(ymd.year(), std::chrono::October);
    return (t >= bst_start && t < bst_end) ? Duration{hours{1}} : Duration{0};
}

std::string format_london(TimePoint t) {
    const Duration offset = london_offset(t);
    std::string out = offset.count() != 0 ? "0000-00-00 00:00 BST" : "0000-00-00 00:00 GMT";
    put_date_time(out, t + offset, false);
    return out;
}

}  // namespace opel

#include "base/time.h"

namespace opel {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::sys_days;
using std::chrono::year_month_day;

// The value of the `count` decimal digits at `pos` in `text`; none when one is missing or is
// not a digit.
std::optional<int> parse_digits(std::string_view text, std::size_t pos, std::size_t count) {
    if (pos + count > text.size()) {
        return std::nullopt;
    }
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
    }
    return value;
}

// After the seconds at `pos`: an optional fraction, then "Z", "z" or "+hh:mm"/"-hh:mm" ending
// the text. The offset east of UTC in minutes; none when the rest is malformed.
std::optional<int> parse_fraction_and_offset(std::string_view text, std::size_t pos) {
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
    if (text[pos] == 'Z' || text[pos] == 'z') {
        return pos + 1 == text.size() ? std::optional<int>(0) : std::nullopt;
    }
    if (text[pos] != '+' && text[pos] != '-') {
        return std::nullopt;
    }
    const auto oh = parse_digits(text, pos + 1, 2);
    if (!oh || pos + 3 >= text.size() || text[pos + 3] != ':') {
        return std::nullopt;
    }
    const auto om = parse_digits(text, pos + 4, 2);
    if (!om || *oh > 23 || *om > 59 || pos + 6 != text.size()) {
        return std::nullopt;
    }
    return (*oh * 60 + *om) * (text[pos] == '-' ? -1 : 1);
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
    const bool separators = text.size() >= 20 && text[4] == '-' && text[7] == '-' &&
                            (text[10] == 'T' || text[10] == 't' || text[10] == ' ') &&
                            text[13] == ':' && text[16] == ':';
    if (!separators) {
        return std::nullopt;
    }
    const auto y = parse_digits(text, 0, 4);
    const auto mo = parse_digits(text, 5, 2);
    const auto d = parse_digits(text, 8, 2);
    const auto h = parse_digits(text, 11, 2);
    const auto mi = parse_digits(text, 14, 2);
    const auto s = parse_digits(text, 17, 2);
    const auto offset_minutes = parse_fraction_and_offset(text, 19);
    if (!y || !mo || !d || !h || !mi || !s || !offset_minutes) {
        return std::nullopt;
    }
    const year_month_day ymd{std::chrono::year{*y}, std::chrono::month{static_cast<unsigned>(*mo)},
                             std::chrono::day{static_cast<unsigned>(*d)}};
    if (!ymd.ok() || *h > 23 || *mi > 59 || *s > 59) {
        return std::nullopt;
    }
    return TimePoint{sys_days{ymd}} + hours{*h} + minutes{*mi} + Duration{*s} -
           minutes{*offset_minutes};
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

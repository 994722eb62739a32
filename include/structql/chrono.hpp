#pragma once
// std::chrono's calendar types as columns (opt in: this header brings all of <chrono>, which
// the rest of StructQL avoids):
//
//   std::chrono::year_month_day, sys_days   DATE  "YYYY-MM-DD", years 0000 to 9999
//   std::chrono::hh_mm_ss<D>                TIME  "HH:MM:SS[.fff...]", 00:00:00 to 24:00:00;
//                                                 D no finer than microseconds (PostgreSQL's TIME)
//   std::chrono::sys_time<D>                TIMESTAMP, as structql::timestamp; reading a stored
//                                                 time finer than D is a data_error, not a rounding
//
// SQLite stores DATE and TIME as the text above (its date functions read it); PostgreSQL as
// its own date and time. A value out of range is a data_error naming the table and column.
#include <chrono>
#include <cstdint>
#include <utility>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

#include "structql/detail/text_forms.hpp"
#include "structql/schema/value_traits.hpp"

namespace structql {

namespace detail::calendar {

[[noreturn]] inline void not_a(std::string_view what, std::string_view text) {
    throw std::out_of_range("'" + std::string(text) + "' is not a " + std::string(what));
}

// Reads `digits` decimal digits at `pos`; -1 when they are not there.
inline int digits_at(std::string_view s, std::size_t& pos, std::size_t digits) {
    int value = 0;
    for (std::size_t i = 0; i < digits; ++i, ++pos) {
        if (pos >= s.size() || s[pos] < '0' || s[pos] > '9') return -1;
        value = value * 10 + (s[pos] - '0');
    }
    return value;
}

inline std::string date_text(const std::chrono::year_month_day& d) {
    int y = static_cast<int>(d.year());
    if (!d.ok()) throw std::out_of_range("the date is not a valid calendar date (year_month_day::ok() is false)");
    if (y < 0 || y > 9999) throw std::out_of_range("year " + std::to_string(y) + " is outside 0000 to 9999");
    return format_date(d);
}

inline std::chrono::year_month_day parse_date(std::string_view s) {
    std::size_t pos = 0;
    int y = digits_at(s, pos, 4);
    bool dash1 = pos < s.size() && s[pos++] == '-';
    int m = digits_at(s, pos, 2);
    bool dash2 = pos < s.size() && s[pos++] == '-';
    int d = digits_at(s, pos, 2);
    std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                                    std::chrono::day{static_cast<unsigned>(d)}};
    if (y < 0 || m < 0 || d < 0 || !dash1 || !dash2 || pos != s.size() || !ymd.ok()) not_a("date (YYYY-MM-DD)", s);
    return ymd;
}

// The time since midnight in "HH:MM:SS[.f{1,9}]".
inline std::chrono::nanoseconds parse_time(std::string_view s) {
    using namespace std::chrono;
    std::size_t pos = 0;
    int h = digits_at(s, pos, 2);
    bool colon1 = pos < s.size() && s[pos++] == ':';
    int m = digits_at(s, pos, 2);
    bool colon2 = pos < s.size() && s[pos++] == ':';
    int sec = digits_at(s, pos, 2);
    long long fraction = 0;
    int places = 0;
    if (pos < s.size() && s[pos] == '.') {
        for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9' && places < 9; ++pos, ++places)
            fraction = fraction * 10 + (s[pos] - '0');
        if (places == 0) not_a("time of day (HH:MM:SS[.fff])", s);
    }
    for (int p = places; p < 9; ++p) fraction *= 10;
    nanoseconds t = hours{h} + minutes{m} + seconds{sec} + nanoseconds{fraction};
    if (h < 0 || m < 0 || sec < 0 || !colon1 || !colon2 || pos != s.size() || m > 59 || sec > 59 || t > hours{24})
        not_a("time of day (HH:MM:SS[.fff], 00:00:00 to 24:00:00)", s);
    return t;
}

template <class D>
std::string time_text(const std::chrono::hh_mm_ss<D>& t) {
    using namespace std::chrono;
    if (t.is_negative() || t.to_duration() > hours{24})
        throw std::out_of_range("a time of day is 00:00:00 to 24:00:00");
    char text[32];
    int n = std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld", static_cast<long long>(t.hours().count()),
                          static_cast<long long>(t.minutes().count()), static_cast<long long>(t.seconds().count()));
    if constexpr (hh_mm_ss<D>::fractional_width > 0) {
        std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n), ".%0*lld",
                      static_cast<int>(hh_mm_ss<D>::fractional_width),
                      static_cast<long long>(t.subseconds().count()));
    }
    return text;
}

template <class D>
D exactly(std::chrono::nanoseconds t, std::string_view text) {
    auto whole = std::chrono::floor<D>(t);
    if (whole != t)
        throw std::out_of_range("'" + std::string(text) + "' is finer than the member's precision (" +
                                std::to_string(D::period::num) + "/" + std::to_string(D::period::den) + " s)");
    return whole;
}

}  // namespace detail::calendar

template <>
struct value_traits<std::chrono::year_month_day> {
    using storage_type = std::string;
    static constexpr column_type sql_type = column_type::date;
    static std::string to_storage(const std::chrono::year_month_day& d) { return detail::calendar::date_text(d); }
    static std::chrono::year_month_day from_storage(const std::string& s) { return detail::calendar::parse_date(s); }
};

template <>
struct value_traits<std::chrono::sys_days> {
    using storage_type = std::string;
    static constexpr column_type sql_type = column_type::date;
    static std::string to_storage(std::chrono::sys_days d) {
        return detail::calendar::date_text(std::chrono::year_month_day{d});
    }
    static std::chrono::sys_days from_storage(const std::string& s) { return detail::calendar::parse_date(s); }
};

template <class D>
struct value_traits<std::chrono::hh_mm_ss<D>> {
    static_assert(std::chrono::treat_as_floating_point_v<typename D::rep> == false &&
                      std::ratio_divide<typename D::period, std::micro>::den == 1,
                  "StructQL: a TIME column keeps microseconds at most (PostgreSQL's TIME): use "
                  "std::chrono::hh_mm_ss<std::chrono::microseconds> or a coarser integer duration");
    using storage_type = std::string;
    static constexpr column_type sql_type = column_type::time;
    static std::string to_storage(const std::chrono::hh_mm_ss<D>& t) { return detail::calendar::time_text(t); }
    static std::chrono::hh_mm_ss<D> from_storage(const std::string& s) {
        return std::chrono::hh_mm_ss<D>{detail::calendar::exactly<D>(detail::calendar::parse_time(s), s)};
    }
};

// A time point of another precision than structql::timestamp's (system_clock::duration), which
// is stored as it: exact both ways, or a data_error. A narrow rep (sys_time<duration<int32_t>>,
// which ends in 2038) is checked both ways too: a value it cannot hold is a data_error, never a
// wrapped time.
template <class D>
    requires(!std::is_same_v<D, timestamp::duration> && !std::is_same_v<D, std::chrono::days> &&
             !std::chrono::treat_as_floating_point_v<typename D::rep> &&
             std::ratio_less_equal_v<timestamp::period, typename D::period>)
struct value_traits<std::chrono::sys_time<D>> {
    using storage_type = timestamp;
    // D's unit with a 64-bit rep: every timestamp fits it (D is no finer than a timestamp).
    using wide = std::chrono::duration<std::int64_t, typename D::period>;

    static timestamp to_storage(std::chrono::sys_time<D> t) {
        using namespace std::chrono;
        auto count = t.time_since_epoch().count();
        if constexpr (std::is_integral_v<typename D::rep>)
            if (!std::in_range<std::int64_t>(count))
                throw std::out_of_range("the time point is outside what a structql::timestamp holds");
        sys_time<wide> w{wide{static_cast<std::int64_t>(count)}};
        // Compared in D's unit, the coarser one, so that the comparison itself cannot overflow.
        if (w < ceil<wide>(timestamp::min()) || w > floor<wide>(timestamp::max()))
            throw std::out_of_range("the time point is outside what a structql::timestamp holds");
        return time_point_cast<timestamp::duration>(w);
    }
    static std::chrono::sys_time<D> from_storage(timestamp t) {
        using namespace std::chrono;
        auto whole = floor<wide>(t);
        if (whole != t)
            throw std::out_of_range("the stored time is finer than the member's precision (" +
                                    std::to_string(D::period::num) + "/" + std::to_string(D::period::den) + " s)");
        if constexpr (std::is_integral_v<typename D::rep>)
            if (!std::in_range<typename D::rep>(whole.time_since_epoch().count()))
                throw std::out_of_range("the stored time (" + std::to_string(floor<seconds>(t).time_since_epoch().count()) +
                                        " s since 1970) is outside what the member's time point holds (its rep is " +
                                        std::to_string(sizeof(typename D::rep) * 8) + " bits)");
        return sys_time<D>{D{static_cast<typename D::rep>(whole.time_since_epoch().count())}};
    }
};

}  // namespace structql

#pragma once
// PostgreSQL's binary wire format for the types StructQL stores (network byte order, microsecond
// timestamps since 2000, NUMERIC), and the text forms libpq falls back to.
#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "structql/detail/statement_cache.hpp"
#include "structql/detail/text_forms.hpp"
#include "structql/engine_options.hpp"
#include "structql/errors.hpp"
#include "structql/schema/value_traits.hpp"
#include "structql/sql/postgresql_dialect.hpp"


namespace structql::detail::pg {


// The server types StructQL reads and writes natively, by their fixed OIDs (pg_type.dat).
enum class kind : unsigned char {
    other, boolean, int2, int4, int8, float4, float8, numeric, text, bytea, timestamp, timestamptz, date, time, uuid, json, jsonb
};

inline kind kind_of(Oid type) noexcept {
    switch (type) {
        case 16: return kind::boolean;
        case 17: return kind::bytea;
        case 19:     // name
        case 25:     // text
        case 705:    // unknown (an untyped literal)
        case 1042:   // bpchar
        case 1043: return kind::text;  // varchar
        case 20: return kind::int8;
        case 21: return kind::int2;
        case 23: return kind::int4;
        case 700: return kind::float4;
        case 701: return kind::float8;
        case 1700: return kind::numeric;
        case 1114: return kind::timestamp;
        case 1184: return kind::timestamptz;
        case 1082: return kind::date;
        case 1083: return kind::time;
        case 2950: return kind::uuid;
        case 114: return kind::json;
        case 3802: return kind::jsonb;
        default: return kind::other;
    }
}

inline std::string type_name(kind k, Oid type) {
    switch (k) {
        case kind::boolean: return "BOOLEAN";
        case kind::int2: return "SMALLINT";
        case kind::int4: return "INTEGER";
        case kind::int8: return "BIGINT";
        case kind::float4: return "REAL";
        case kind::float8: return "DOUBLE PRECISION";
        case kind::numeric: return "NUMERIC";
        case kind::text: return "TEXT";
        case kind::bytea: return "BYTEA";
        case kind::timestamp: return "TIMESTAMP";
        case kind::timestamptz: return "TIMESTAMPTZ";
        case kind::date: return "DATE";
        case kind::time: return "TIME";
        case kind::uuid: return "UUID";
        case kind::json: return "JSON";
        case kind::jsonb: return "JSONB";
        case kind::other: break;
    }
    return "type OID " + std::to_string(type);
}

inline bool is_integer(kind k) noexcept { return k == kind::int2 || k == kind::int4 || k == kind::int8; }

// --- network byte order ---
inline void put_u64(std::string& out, std::uint64_t v) {
    out.resize(8);
    for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
}
inline std::uint64_t get_uint(const char* p, int bytes) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}
inline std::int64_t get_int(const char* p, int bytes) noexcept {
    std::uint64_t v = get_uint(p, bytes);
    if (bytes < 8 && (v >> (bytes * 8 - 1)) != 0) v |= ~std::uint64_t{0} << (bytes * 8);  // sign-extend
    return static_cast<std::int64_t>(v);
}

// --- timestamps: microseconds since 2000-01-01 00:00:00 UTC on the wire ---
inline constexpr std::int64_t epoch_2000_us = 946'684'800'000'000;

inline std::int64_t to_wire_micros(timestamp t) {
    using namespace std::chrono;
    return floor<microseconds>(t.time_since_epoch()).count() - epoch_2000_us;
}

inline timestamp from_wire_micros(std::int64_t us) {
    using namespace std::chrono;
    if (us == std::numeric_limits<std::int64_t>::max() || us == std::numeric_limits<std::int64_t>::min())
        throw conversion_failure("'infinity' is not a point in time a structql::timestamp can hold");
    constexpr std::int64_t limit = duration_cast<microseconds>(timestamp::duration::max()).count();
    if (us > limit - epoch_2000_us || us < -limit - epoch_2000_us)
        throw conversion_failure("timestamp " + std::to_string(us) +
                                 " us after 2000-01-01 is out of range for a structql::timestamp");
    return timestamp{duration_cast<timestamp::duration>(microseconds{us + epoch_2000_us})};
}

// "YYYY-MM-DD HH:MM:SS.ffffff+00", for text parameters and echo.
inline std::string format_timestamp(timestamp t) {
    using namespace std::chrono;
    auto us = floor<microseconds>(t);
    auto day = floor<days>(us);
    year_month_day ymd{day};
    hh_mm_ss<microseconds> time{us - day};
    char text[48];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u %02d:%02d:%02d.%06lld+00", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()), static_cast<long long>(time.subseconds().count()));
    return text;
}

// PostgreSQL's ISO text output: "YYYY-MM-DD HH:MM:SS[.f{1,6}][+HH[:MM[:SS]]]"; without an
// offset (TIMESTAMP) the time is taken as UTC. Only read when a statement falls back to text.
inline timestamp parse_timestamp(std::string_view s) {
    using namespace std::chrono;
    std::size_t pos = 0;
    auto fail = [&]() -> timestamp {
        throw conversion_failure("'" + std::string(s) + "' is not an ISO timestamp (set DateStyle to ISO)");
    };
    auto number = [&](std::size_t digits) {
        int value = 0;
        for (std::size_t i = 0; i < digits; ++i, ++pos) {
            if (pos >= s.size() || s[pos] < '0' || s[pos] > '9') fail();
            value = value * 10 + (s[pos] - '0');
        }
        return value;
    };
    auto expect = [&](char c) {
        if (pos >= s.size() || s[pos] != c) fail();
        ++pos;
    };
    int y = number(4);
    expect('-');
    int mo = number(2);
    expect('-');
    int d = number(2);
    expect(' ');
    int h = number(2);
    expect(':');
    int mi = number(2);
    expect(':');
    int sec = number(2);
    long long fraction = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int digits = 0;
        for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, ++digits)
            if (digits < 9) fraction = fraction * 10 + (s[pos] - '0');
        if (digits == 0) fail();
        for (; digits < 9; ++digits) fraction *= 10;
    }
    seconds offset{0};
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int sign = s[pos++] == '-' ? -1 : 1;
        int oh = number(2), om = 0, os = 0;
        if (pos < s.size() && s[pos] == ':') ++pos, om = number(2);
        if (pos < s.size() && s[pos] == ':') ++pos, os = number(2);
        offset = seconds{sign * (oh * 3600 + om * 60 + os)};
    }
    year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (pos != s.size() || !ymd.ok() || h > 23 || mi > 59 || sec > 60) fail();
    auto since_epoch = sys_days{ymd}.time_since_epoch() + hours{h} + minutes{mi} + seconds{sec} + nanoseconds{fraction} - offset;
    return timestamp{duration_cast<timestamp::duration>(since_epoch)};
}

// --- DATE, TIME, UUID and JSONB: binary forms as the text StructQL stores them as ---
// DATE: days since 2000-01-01 as a signed 32-bit integer -> "YYYY-MM-DD".
inline std::string date_text(std::string_view v) {
    using namespace std::chrono;
    if (v.size() != 4) throw conversion_failure("malformed DATE value");
    auto count = get_int(v.data(), 4);
    if (count == std::numeric_limits<std::int32_t>::max() || count == std::numeric_limits<std::int32_t>::min())
        throw conversion_failure("'infinity' is not a date StructQL can read");
    // Checked as days first: year_month_day's year wraps past 32767, and PostgreSQL's go further.
    const days since_epoch{count + 10'957};  // 10,957 days from 1970-01-01 to 2000-01-01
    if (since_epoch < sys_days{year{1} / January / 1}.time_since_epoch() ||
        since_epoch > sys_days{year{9999} / December / 31}.time_since_epoch())
        throw conversion_failure("date out of range (years 0001 to 9999)");
    return format_date(year_month_day{sys_days{since_epoch}});
}
// TIME: microseconds since midnight as a signed 64-bit integer -> "HH:MM:SS.ffffff".
inline std::string time_text(std::string_view v) {
    if (v.size() != 8) throw conversion_failure("malformed TIME value");
    auto us = get_int(v.data(), 8);
    if (us < 0 || us > 86'400'000'000) throw conversion_failure("TIME out of range (00:00:00 to 24:00:00)");
    char text[64];  // room for any long long, so that -Wformat-truncation can prove it fits
    std::snprintf(text, sizeof text, "%02lld:%02lld:%02lld.%06lld", static_cast<long long>(us / 3'600'000'000),
                  static_cast<long long>(us / 60'000'000 % 60), static_cast<long long>(us / 1'000'000 % 60),
                  static_cast<long long>(us % 1'000'000));
    std::string out = text;
    while (out.back() == '0' && out.size() > 8) out.pop_back();  // the server's form: "12:00:00", "13:45:30.25"
    if (out.back() == '.') out.pop_back();
    return out;
}
// UUID's text form, as the server writes it -> 16 bytes.
inline blob uuid_from_text(std::string_view v) {
    blob out(16);
    if (!parse_uuid(v, out.data())) throw conversion_failure("'" + std::string(v) + "' is not a UUID");
    return out;
}
// UUID's binary form (16 bytes) -> its text, as the server writes it.
inline std::string uuid_text(std::string_view v) {
    if (v.size() != 16) throw conversion_failure("malformed UUID value");
    return format_uuid(reinterpret_cast<const std::byte*>(v.data()));
}
// JSONB: a version byte (1), then the document's text.
inline std::string_view jsonb_text(std::string_view v) {
    if (v.empty() || v[0] != 1) throw conversion_failure("unknown JSONB binary format version");
    return v.substr(1);
}

// NUMERIC's binary form (ndigits, weight, sign, dscale, base-10000 digits) as decimal text.
inline std::string numeric_text(const char* p, int length) {
    if (length < 8) throw conversion_failure("malformed NUMERIC value");
    auto ndigits = static_cast<int>(get_int(p, 2));
    auto weight = static_cast<int>(get_int(p + 2, 2));
    auto sign = get_uint(p + 4, 2);
    auto dscale = static_cast<int>(get_int(p + 6, 2));
    if (sign == 0xC000) return "NaN";
    if (sign == 0xD000) return "Infinity";
    if (sign == 0xF000) return "-Infinity";
    if (ndigits < 0 || length < 8 + 2 * ndigits || dscale < 0) throw conversion_failure("malformed NUMERIC value");
    auto digit = [&](int i) { return i >= 0 && i < ndigits ? static_cast<int>(get_int(p + 8 + 2 * i, 2)) : 0; };
    std::string out = sign == 0x4000 ? "-" : "";
    if (weight < 0) {
        out += '0';
    } else {
        for (int i = 0; i <= weight; ++i) {
            char group[8];
            std::snprintf(group, sizeof group, i == 0 ? "%d" : "%04d", digit(i));
            out += group;
        }
    }
    if (dscale > 0) {
        out += '.';
        for (int i = weight + 1, written = 0; written < dscale; ++i) {
            char group[8];
            std::snprintf(group, sizeof group, "%04d", digit(i));
            for (int k = 0; k < 4 && written < dscale; ++k, ++written) out += group[k];
        }
    }
    return out;
}

inline std::int64_t integer_from_text(std::string_view text) {
    std::string_view whole = text.substr(0, text.find('.'));
    if (whole.size() < text.size() && text.find_first_not_of('0', whole.size() + 1) != std::string_view::npos)
        throw conversion_failure("value " + std::string(text) + " is not an integer");
    if (!whole.empty() && whole.front() == '+') whole.remove_prefix(1);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), v);
    if (ec == std::errc::result_out_of_range)
        throw conversion_failure("value " + std::string(text) + " is out of range for a 64-bit signed integer");
    if (ec != std::errc{} || end != whole.data() + whole.size() || whole.empty())
        throw conversion_failure("'" + std::string(text) + "' is not an integer");
    return v;
}

inline double double_from_text(std::string_view text) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc::result_out_of_range) {
        v = std::strtod(std::string(text).c_str(), nullptr);  // overflow to +-inf, underflow to 0
    } else if (ec != std::errc{} || end != text.data() + text.size()) {
        throw conversion_failure("'" + std::string(text) + "' is not a number");
    }
    return v;
}

inline void append_double_text(std::string& out, double v) {
    if (v != v) {
        out += "NaN";
    } else if (v == std::numeric_limits<double>::infinity()) {
        out += "Infinity";
    } else if (v == -std::numeric_limits<double>::infinity()) {
        out += "-Infinity";
    } else {
        char buffer[32];
        auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);  // shortest exact form
        out.append(buffer, static_cast<std::size_t>(end - buffer));
    }
}

inline constexpr char hex_digits[] = "0123456789abcdef";

inline blob bytea_from_hex(std::string_view text) {
    if (!text.starts_with("\\x") || text.size() % 2 != 0)
        throw conversion_failure("BYTEA text is not in hex format (set bytea_output to 'hex')");
    auto nibble = [&](char c) -> unsigned {
        if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
        if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
        if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
        throw conversion_failure("malformed BYTEA hex text");
    };
    blob out;
    out.reserve(text.size() / 2 - 1);
    for (std::size_t i = 2; i < text.size(); i += 2)
        out.push_back(static_cast<std::byte>(nibble(text[i]) << 4 | nibble(text[i + 1])));
    return out;
}

}  // namespace structql::detail::pg

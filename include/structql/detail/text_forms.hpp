#pragma once
// The text forms of a UUID and a date that StructQL writes and reads in more than one place:
// the opt-in column types (<structql/uuid.hpp>, <structql/chrono.hpp>) and the PostgreSQL
// backend's decoding of the server's binary values into the forms those types store.
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace structql::detail {

// 16 bytes -> "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" (lower case, dashes where RFC 9562 puts them).
inline std::string format_uuid(const std::byte* bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
        out += digits[std::to_integer<unsigned>(bytes[i]) >> 4];
        out += digits[std::to_integer<unsigned>(bytes[i]) & 0xf];
    }
    return out;
}

// That text (hex digits in either case) -> 16 bytes in `out`; false for anything else.
inline bool parse_uuid(std::string_view text, std::byte* out) {
    auto hex_value = [](char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    };
    std::size_t pos = 0;
    for (std::size_t i = 0; i < 16; ++i) {
        if ((i == 4 || i == 6 || i == 8 || i == 10) && !(pos < text.size() && text[pos++] == '-')) return false;
        int high = pos + 1 < text.size() ? hex_value(text[pos]) : -1;
        int low = pos + 1 < text.size() ? hex_value(text[pos + 1]) : -1;
        if (high < 0 || low < 0) return false;
        out[i] = static_cast<std::byte>(high * 16 + low);
        pos += 2;
    }
    return pos == text.size();
}

// A date of years 0000 to 9999 -> "YYYY-MM-DD" (the caller checks the range).
inline std::string format_date(const std::chrono::year_month_day& d) {
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(d.year()), static_cast<unsigned>(d.month()),
                  static_cast<unsigned>(d.day()));
    return text;
}

}  // namespace structql::detail

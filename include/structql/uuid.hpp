#pragma once
// structql::uuid: a UUID column (opt in), stored as a 16-byte BLOB on SQLite and as uuid on
// PostgreSQL; compared and ordered byte by byte, as PostgreSQL orders uuid.
#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

#include "structql/schema/value_traits.hpp"

namespace structql {

struct uuid {
    std::array<std::byte, 16> bytes{};  // the nil UUID

    // "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" (hex digits in either case, the four dashes where
    // RFC 9562 puts them); anything else is std::invalid_argument.
    static uuid parse(std::string_view text) {
        uuid out;
        std::size_t pos = 0;
        for (std::size_t i = 0; i < 16; ++i) {
            if ((i == 4 || i == 6 || i == 8 || i == 10) && !(pos < text.size() && text[pos++] == '-')) invalid(text);
            int high = pos + 1 < text.size() ? hex_value(text[pos]) : -1;
            int low = pos + 1 < text.size() ? hex_value(text[pos + 1]) : -1;
            if (high < 0 || low < 0) invalid(text);
            out.bytes[i] = static_cast<std::byte>(high * 16 + low);
            pos += 2;
        }
        if (pos != text.size()) invalid(text);
        return out;
    }

    // A random (version 4) UUID, from std::random_device.
    static uuid random() {
        thread_local std::random_device source;
        uuid out;
        for (std::size_t i = 0; i < 16; i += 4) {
            auto word = static_cast<std::uint32_t>(source());
            for (std::size_t b = 0; b < 4; ++b) out.bytes[i + b] = static_cast<std::byte>(word >> (8 * b));
        }
        out.bytes[6] = (out.bytes[6] & std::byte{0x0f}) | std::byte{0x40};  // version 4
        out.bytes[8] = (out.bytes[8] & std::byte{0x3f}) | std::byte{0x80};  // the RFC 9562 variant
        return out;
    }

    // The canonical form: 36 characters, lower case.
    std::string to_string() const {
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

    friend bool operator==(const uuid&, const uuid&) = default;
    friend std::strong_ordering operator<=>(const uuid&, const uuid&) = default;

private:
    static int hex_value(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }
    [[noreturn]] static void invalid(std::string_view text) {
        throw std::invalid_argument("'" + std::string(text) + "' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    }
};

template <>
struct value_traits<uuid> {
    using storage_type = blob;
    static constexpr column_type sql_type = column_type::uuid;
    static blob to_storage(const uuid& u) { return blob(u.bytes.begin(), u.bytes.end()); }
    static uuid from_storage(const blob& b) {
        if (b.size() != 16)
            throw std::out_of_range("a UUID is 16 bytes, the stored value has " + std::to_string(b.size()));
        uuid u;
        for (std::size_t i = 0; i < 16; ++i) u.bytes[i] = b[i];
        return u;
    }
};

}  // namespace structql

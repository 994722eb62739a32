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

#include "structql/detail/text_forms.hpp"
#include "structql/schema/value_traits.hpp"

namespace structql {

struct uuid {
    std::array<std::byte, 16> bytes{};  // the nil UUID

    // "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11" (hex digits in either case, the four dashes where
    // RFC 9562 puts them); anything else is std::invalid_argument.
    static uuid parse(std::string_view text) {
        uuid out;
        if (!detail::parse_uuid(text, out.bytes.data()))
            throw std::invalid_argument("'" + std::string(text) + "' is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
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
    std::string to_string() const { return detail::format_uuid(bytes.data()); }

    friend bool operator==(const uuid&, const uuid&) = default;
    friend std::strong_ordering operator<=>(const uuid&, const uuid&) = default;

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

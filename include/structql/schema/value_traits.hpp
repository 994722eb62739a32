#pragma once
// value_traits<T>: how a C++ value type is stored. Every mappable type names one of the six
// storage types below and converts to and from it; the backends only ever bind and read
// storage types. A type may also name the column's SQL type (`sql_type`) where the database has
// a better one than its storage's: DATE, TIME, DECIMAL and JSON are stored as text, UUID as a
// blob (see <structql/chrono.hpp>, <structql/uuid.hpp>, <structql/decimal.hpp>). Specialise
// value_traits for your own types:
//
//     template <> struct structql::value_traits<Money> {
//         using storage_type = std::int64_t;
//         static std::int64_t to_storage(const Money& m) { return m.cents; }
//         static Money from_storage(std::int64_t cents) { return Money{cents}; }
//     };
//
// to_storage / from_storage may throw a std::exception for values that do not fit; StructQL
// turns it into a structql::data_error naming the table and column.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "structql/detail/linkage.hpp"
#include "structql/detail/std_parts.hpp"

namespace structql {

// Declared before the aliases below, whose names its enumerators share. The first six are the
// storage types' own; the rest are SQL types some values are declared as (value_traits::sql_type).
enum class column_type { boolean, integer, real, text, blob, timestamp, date, time, uuid, decimal, json };

using blob = std::vector<std::byte>;
using timestamp = std::chrono::system_clock::time_point;

template <class T>
struct value_traits;  // no definition: a type without a specialisation cannot be a column

namespace detail {
template <class S>
inline constexpr bool is_storage_type_v =
    std::is_same_v<S, bool> || std::is_same_v<S, std::int64_t> || std::is_same_v<S, double> ||
    std::is_same_v<S, std::string> || std::is_same_v<S, blob> || std::is_same_v<S, timestamp>;

template <class S>
constexpr column_type column_type_of() {
    if constexpr (std::is_same_v<S, bool>) return column_type::boolean;
    else if constexpr (std::is_same_v<S, std::int64_t>) return column_type::integer;
    else if constexpr (std::is_same_v<S, double>) return column_type::real;
    else if constexpr (std::is_same_v<S, std::string>) return column_type::text;
    else if constexpr (std::is_same_v<S, blob>) return column_type::blob;
    else return column_type::timestamp;
}

// The storage type's column_type a SQL type travels as: the text types as text, UUID as a blob.
constexpr column_type storage_column_type(column_type type) {
    switch (type) {
        case column_type::date:
        case column_type::time:
        case column_type::decimal:
        case column_type::json: return column_type::text;
        case column_type::uuid: return column_type::blob;
        default: return type;
    }
}

// Whether the number v converts to the arithmetic type T without changing its value (for a
// floating-point T: without overflowing it). Unlike std::in_range it takes any arithmetic
// types, char and floating point included, and it never converts out of range first.
template <class T, class V>
constexpr bool fits(V v) {
    static_assert(std::is_arithmetic_v<T> && std::is_arithmetic_v<V>);
    if constexpr (std::is_integral_v<T> && std::is_integral_v<V>) {
        if (v < V{}) return std::is_signed_v<T> && static_cast<std::intmax_t>(v) >= std::intmax_t{std::numeric_limits<T>::min()};
        return static_cast<std::uintmax_t>(v) <= std::uintmax_t{std::numeric_limits<T>::max()};
    } else if constexpr (std::is_integral_v<T>) {
        // 2^digits is exact in floating point, while T's maximum may round up to it.
        V limit = 1;
        for (int i = 0; i < std::numeric_limits<T>::digits; ++i) limit *= 2;
        const V lowest = std::is_signed_v<T> ? -limit : V{0};
        if (!(v >= lowest && v < limit)) return false;  // NaN too
        if constexpr (std::is_signed_v<T>) return static_cast<V>(static_cast<std::intmax_t>(v)) == v;
        else return static_cast<V>(static_cast<std::uintmax_t>(v)) == v;
    } else if constexpr (std::is_floating_point_v<V>) {
        return !(v > std::numeric_limits<T>::max() || v < std::numeric_limits<T>::lowest()) ||
               v == std::numeric_limits<V>::infinity() || v == -std::numeric_limits<V>::infinity();
    } else {
        return true;  // an integer always has a nearest floating-point value
    }
}

// Whether every value of V is also a value of T, so that converting never changes one.
template <class V, class T>
constexpr bool holds_every_value_of() {
    using from = std::numeric_limits<V>;
    using to = std::numeric_limits<T>;
    if constexpr (!std::is_arithmetic_v<V> || !std::is_arithmetic_v<T> || std::is_same_v<V, T>) return true;
    else if constexpr (std::is_same_v<V, bool> || std::is_same_v<T, bool>) return true;
    else if constexpr (std::is_integral_v<V> && std::is_integral_v<T>)
        return (!from::is_signed || to::is_signed) && from::digits <= to::digits;
    else if constexpr (std::is_integral_v<V>) return from::digits <= to::digits;
    else if constexpr (std::is_integral_v<T>) return false;
    else return from::digits <= to::digits && from::max_exponent <= to::max_exponent && from::min_exponent >= to::min_exponent;
}

// "value V is out of range for a signed 32-bit integer": cold, and compiled once.
[[gnu::cold]] STRUCTQL_DECL std::string integer_range_message(std::string value, bool is_signed, std::size_t bits);
template <class T>
std::string integer_range_message(auto value) {
    return integer_range_message(std::to_string(value), std::is_signed_v<T>, sizeof(T) * 8);
}
}  // namespace detail

// A type StructQL can store: value_traits<T> is specialised and names a storage type.
template <class T>
concept mappable = requires { typename value_traits<T>::storage_type; } &&
                   detail::is_storage_type_v<typename value_traits<T>::storage_type>;

namespace detail {
// The SQL type of a column holding V: value_traits<V>::sql_type where it names one, else its
// storage type's.
template <class V>
constexpr column_type column_type_of_value() {
    using storage = typename value_traits<V>::storage_type;
    if constexpr (requires { value_traits<V>::sql_type; }) {
        static_assert(storage_column_type(value_traits<V>::sql_type) == column_type_of<storage>(),
                      "StructQL: value_traits<V>::sql_type does not fit its storage_type: DATE, TIME, DECIMAL and "
                      "JSON are stored as std::string, UUID as structql::blob, the others as their own type");
        return value_traits<V>::sql_type;
    } else {
        return column_type_of<storage>();
    }
}
}  // namespace detail

template <class T>
struct identity_value_traits {
    using storage_type = T;
    static const T& to_storage(const T& v) noexcept { return v; }
    static T from_storage(T&& v) noexcept { return std::move(v); }
};

template <> struct value_traits<bool> : identity_value_traits<bool> {};
template <> struct value_traits<double> : identity_value_traits<double> {};
template <> struct value_traits<std::string> : identity_value_traits<std::string> {};
template <> struct value_traits<blob> : identity_value_traits<blob> {};
template <> struct value_traits<timestamp> : identity_value_traits<timestamp> {};

template <std::integral T>
    requires(!std::is_same_v<T, bool>)
struct value_traits<T> {
    using storage_type = std::int64_t;
    static std::int64_t to_storage(T v) {
        if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
            if (v > static_cast<T>(std::numeric_limits<std::int64_t>::max()))
                throw std::out_of_range("value " + std::to_string(v) +
                                        " does not fit a 64-bit signed SQL INTEGER");
        }
        return static_cast<std::int64_t>(v);
    }
    static T from_storage(std::int64_t v) {
        if (!detail::fits<T>(v)) throw std::out_of_range(detail::integer_range_message<T>(v));
        return static_cast<T>(v);
    }
};

template <>
struct value_traits<float> {
    using storage_type = double;
    static double to_storage(float v) noexcept { return v; }
    static float from_storage(double v) {
        if (!detail::fits<float>(v))
            throw std::out_of_range("value " + std::to_string(v) + " is out of range for a float");
        return static_cast<float>(v);
    }
};

// What StructQL checks of an enum, declared by specialising enum_values<E> (see the README,
// "Enums"). Unspecialised, an enum is stored as its underlying integer and read back as
// whatever integer the column holds (Genre(99) included), as a static_cast would. With
//   static constexpr E values[] = {...};                       stored as the integer; any other
//                                                               integer read or written is a data_error
//   static constexpr std::pair<E, std::string_view> names[] = {{E::a, "a"}, ...};
//                                                               stored as the name (TEXT); an
//                                                               unknown name or value is a data_error
template <class E>
struct enum_values {};

namespace detail {
template <class E>
concept enumeration = std::is_enum_v<E>;
template <class E>
concept enum_with_names = requires { enum_values<E>::names[0].second; };
template <class E>
concept enum_with_values = !enum_with_names<E> && requires { enum_values<E>::values[0]; };

template <class E>
std::string enum_integer_text(E v) {
    return std::to_string(static_cast<std::int64_t>(static_cast<std::underlying_type_t<E>>(v)));
}
}  // namespace detail

template <detail::enumeration E>
struct value_traits<E> {
    using underlying = std::underlying_type_t<E>;
    using storage_type = typename value_traits<underlying>::storage_type;
    static storage_type to_storage(E v) {
        if constexpr (detail::enum_with_values<E>) check(v);
        return value_traits<underlying>::to_storage(static_cast<underlying>(v));
    }
    static E from_storage(storage_type v) {
        E e = static_cast<E>(value_traits<underlying>::from_storage(v));
        if constexpr (detail::enum_with_values<E>) check(e);
        return e;
    }

private:
    static void check(E v) {
        for (E known : enum_values<E>::values)
            if (known == v) return;
        throw std::out_of_range("value " + detail::enum_integer_text(v) +
                                " is not one of the enum's values (structql::enum_values<E>::values)");
    }
};

template <detail::enumeration E>
    requires detail::enum_with_names<E>
struct value_traits<E> {
    using storage_type = std::string;
    static std::string to_storage(E v) {
        for (const auto& [known, name] : enum_values<E>::names)
            if (known == v) return std::string(name);
        throw std::out_of_range("value " + detail::enum_integer_text(v) +
                                " has no name in structql::enum_values<E>::names");
    }
    static E from_storage(const std::string& s) {
        for (const auto& [known, name] : enum_values<E>::names)
            if (name == s) return known;
        throw std::out_of_range("'" + s + "' is not one of the enum's names (structql::enum_values<E>::names)");
    }
};

}  // namespace structql

#if STRUCTQL_DEFINITIONS
namespace structql::detail {

STRUCTQL_DECL std::string integer_range_message(std::string value, bool is_signed, std::size_t bits) {
    return "value " + value + " is out of range for a " + (is_signed ? "signed " : "unsigned ") +
           std::to_string(bits) + "-bit integer";
}

}  // namespace structql::detail
#endif  // STRUCTQL_DEFINITIONS

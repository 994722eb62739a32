#pragma once
// structql::decimal: an exact decimal number (opt in), for money and other amounts a double
// would round. Stored as its text on SQLite (a TEXT column: NUMERIC affinity would turn it into a
// double) and as NUMERIC on PostgreSQL. It holds the digits as written ("12.50" keeps its scale)
// and compares by value (12.5 == 12.50), as PostgreSQL's numeric and Python's Decimal do. On
// SQLite the database itself compares and sorts the column as text: filter and order by such a
// column on PostgreSQL, or in C++.
#include <compare>
#include <concepts>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "structql/schema/value_traits.hpp"

namespace structql {

class decimal {
public:
    decimal() = default;  // 0
    // [+-]digits[.digits] or [+-].digits (no exponent, no spaces); anything else is
    // std::invalid_argument. Leading zeros and a sign on zero are dropped: "-007.50" -> "-7.50".
    explicit decimal(std::string_view text) : text_(canonical(text)) {}
    template <std::integral I>
        requires(!std::same_as<I, bool>)
    decimal(I whole) : text_(std::to_string(whole)) {}

    const std::string& str() const noexcept { return text_; }

    friend bool operator==(const decimal& a, const decimal& b) { return compare(a, b) == 0; }
    friend std::strong_ordering operator<=>(const decimal& a, const decimal& b) { return compare(a, b) <=> 0; }

private:
    std::string text_ = "0";

    static std::string canonical(std::string_view text) {
        std::size_t pos = 0;
        bool negative = false;
        if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) negative = text[pos++] == '-';
        std::size_t whole_start = pos;
        while (pos < text.size() && is_digit(text[pos])) ++pos;
        std::string_view whole = text.substr(whole_start, pos - whole_start);
        std::string_view fraction;
        bool point = pos < text.size() && text[pos] == '.';
        if (point) {
            std::size_t start = ++pos;
            while (pos < text.size() && is_digit(text[pos])) ++pos;
            fraction = text.substr(start, pos - start);
        }
        if (pos != text.size() || (whole.empty() && fraction.empty()))
            throw std::invalid_argument("'" + std::string(text) + "' is not a decimal number ([-]digits[.digits])");
        while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
        std::string out;
        if (negative && (whole.find_first_not_of('0') != std::string_view::npos ||
                         fraction.find_first_not_of('0') != std::string_view::npos))
            out += '-';
        out += whole.empty() ? std::string_view("0") : whole;
        if (!fraction.empty()) {
            out += '.';
            out += fraction;
        }
        return out;
    }

    static bool is_digit(char c) { return c >= '0' && c <= '9'; }

    // <0, 0, >0 by value, on canonical texts.
    static int compare(const decimal& a, const decimal& b) {
        const bool a_negative = a.text_[0] == '-', b_negative = b.text_[0] == '-';
        if (a_negative != b_negative) return a_negative ? -1 : 1;
        const int magnitude = compare_magnitudes(a.text_.substr(a_negative ? 1 : 0), b.text_.substr(b_negative ? 1 : 0));
        return a_negative ? -magnitude : magnitude;
    }
    static int compare_magnitudes(std::string_view a, std::string_view b) {
        auto split = [](std::string_view t) {
            std::size_t point = t.find('.');
            std::string_view whole = t.substr(0, point);
            std::string_view fraction = point == std::string_view::npos ? std::string_view() : t.substr(point + 1);
            while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
            return std::pair{whole, fraction};
        };
        auto [a_whole, a_fraction] = split(a);
        auto [b_whole, b_fraction] = split(b);
        if (a_whole.size() != b_whole.size()) return a_whole.size() < b_whole.size() ? -1 : 1;
        if (int c = a_whole.compare(b_whole)) return c < 0 ? -1 : 1;
        int c = a_fraction.compare(b_fraction);  // no trailing zeros: text order is numeric order
        return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
};

template <>
struct value_traits<decimal> {
    using storage_type = std::string;
    static constexpr column_type sql_type = column_type::decimal;
    static const std::string& to_storage(const decimal& d) noexcept { return d.str(); }
    static decimal from_storage(const std::string& s) { return decimal(s); }
};

}  // namespace structql

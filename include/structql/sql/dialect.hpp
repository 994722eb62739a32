#pragma once
// A dialect says how SQL is spelled for one database: identifier quoting, placeholders,
// column type names, how a generated key is declared and read back, savepoints. Statement
// generators take it as a parameter, so each database gets its own compile-time text from one
// generator. (The full list a dialect provides: backend/concepts.hpp.)
#include <cstddef>
#include <string>
#include <string_view>

#include "structql/detail/static_text.hpp"
#include "structql/schema/value_traits.hpp"

namespace structql::sql {

// One quoted identifier made of `parts` ("ix_", table, "_", column), with the dialect's quote
// character doubled inside: every identifier is quoted, so `order`, `group` or `select` are valid
// table and column names.
template <class D>
constexpr void write_identifier(auto& out, auto... parts) {
    out.append(D::identifier_quote);
    auto part = [&](std::string_view text) {
        for (char c : text) {
            if (c == D::identifier_quote) out.append(c);
            out.append(c);
        }
    };
    (part(std::string_view(parts)), ...);
    out.append(D::identifier_quote);
}

namespace detail {

// The position just past a literal, quoted identifier or comment starting at `i` in `sql`, or
// `i` itself when none starts there: '...' (with '' inside), "..." and `...` (doubled quotes
// inside), [...], -- to the end of the line, /* ... */. Parameter counting skips them.
constexpr std::size_t skip_quoted(std::string_view sql, std::size_t i) {
    const char c = sql[i];
    auto past = [&](std::string_view close, std::size_t from) {
        std::size_t end = sql.find(close, from);
        return end == std::string_view::npos ? sql.size() : end + close.size();
    };
    if (c == '\'' || c == '"' || c == '`') {
        for (std::size_t j = i + 1; j < sql.size(); ++j)
            if (sql[j] == c) {
                if (j + 1 < sql.size() && sql[j + 1] == c) ++j;  // a doubled quote
                else return j + 1;
            }
        return sql.size();
    }
    if (c == '[') return past("]", i + 1);
    if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') return past("\n", i + 2);
    if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') return past("*/", i + 2);
    return i;
}

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_name_char(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace detail

// What most SQL databases share: double-quoted identifiers (SQL-92) and SQL-92 savepoints.
// A dialect derives from it and overrides what its database spells otherwise.
// A field of a date, time or timestamp, for sq::extract<part>(x) (query/functions.hpp).
enum class date_part { year, month, day, hour, minute, second };

struct standard_dialect {
    static constexpr char identifier_quote = '"';
    static constexpr std::string_view savepoint = "SAVEPOINT ";
    static constexpr std::string_view release_savepoint = "RELEASE SAVEPOINT ";
    static constexpr std::string_view rollback_to_savepoint = "ROLLBACK TO SAVEPOINT ";
    // Whether a flush batches UPDATEs of the same columns (detail/multi_row_update.hpp).
    static constexpr bool multi_row_update = false;
};

// A statement about a named savepoint: `verb` is one of the dialect's savepoint spellings.
template <class D>
std::string savepoint_statement(std::string_view verb, std::string_view name) {
    structql::detail::runtime_text out;
    out.append(verb);
    write_identifier<D>(out, name);
    return std::move(out.text);
}

}  // namespace structql::sql

#include "structql/sql/sqlite_dialect.hpp"

#pragma once
// A dialect says how SQL is spelled for one database: identifier quoting, placeholders,
// column type names, how a generated key is declared and read back, savepoints. Statement
// generators take it as a parameter, so each database gets its own compile-time text from one
// generator. (The full list a dialect provides: backend/concepts.hpp.)
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

// What most SQL databases share: double-quoted identifiers (SQL-92) and SQL-92 savepoints.
// A dialect derives from it and overrides what its database spells otherwise.
struct standard_dialect {
    static constexpr char identifier_quote = '"';
    static constexpr std::string_view savepoint = "SAVEPOINT ";
    static constexpr std::string_view release_savepoint = "RELEASE SAVEPOINT ";
    static constexpr std::string_view rollback_to_savepoint = "ROLLBACK TO SAVEPOINT ";
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

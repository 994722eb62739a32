#pragma once
// INSERT of many rows of one model in few statements: INSERT ... VALUES (...), (...), as many
// rows per statement as rows_per_insert allows, each row count's statement prepared once per
// connection. Used by connection.insert(range) and by a session's flush.
#include "structql/detail/std_parts.hpp"  // std::min, std::max
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

#include "structql/detail/rows.hpp"
#include "structql/detail/static_text.hpp"
#include "structql/query/on_conflict.hpp"
#include "structql/schema/table.hpp"
#include "structql/sql/statements.hpp"

namespace structql::detail {

// SQLite allows 32,766 parameters per statement and PostgreSQL 65,535; past a few hundred rows
// a longer statement is no faster.
inline constexpr std::size_t max_parameters_per_insert = 1000;

// The most rows one INSERT of a table takes; a generated key is left out of the columns (a model
// with no other column inserts DEFAULT VALUES, one row at a time).
constexpr std::size_t rows_per_insert(const table_view& t, bool generated) {
    const std::size_t width = t.columns.size() - (generated ? 1 : 0);
    return width == 0 ? 1 : std::max<std::size_t>(1, max_parameters_per_insert / width);
}
template <class T>
constexpr std::size_t rows_per_insert(bool generated) {
    return rows_per_insert(table<T>::view, generated);
}

template <class T>
inline const char multi_row_insert_id = 0;  // its address tags T's multi-row INSERTs in a statement cache
template <class ConflictAction>
inline const char upsert_id = 0;  // the same for one ON CONFLICT clause's

// The prepared INSERT of `rows` rows into the table, without the key column when `generated`;
// with `returning`, the statement returns the generated keys as rows (in no order SQL promises).
// With `conflict` (connection.insert's upsert, which reads no keys: never with `returning`), an
// ON CONFLICT clause follows the rows. `tag` (multi_row_insert_id<T>, or upsert_id<> for a
// clause) names the model's statements in the cache.
template <class D, class Connection>
auto& prepare_insert_rows(Connection& c, const void* tag, const table_view& t, std::size_t rows, bool generated,
                          bool returning, const conflict_view* conflict = nullptr) {
    return c.prepare_generated(tag, rows * 4 + (generated ? 2 : 0) + (returning ? 1 : 0), [&] {
        runtime_text out;
        // A row of nothing but a generated key (DEFAULT VALUES, after which SQLite allows no ON
        // CONFLICT) cannot conflict: the clause's target can only be that key.
        sql::detail::write_insert<D>(out, t, rows, generated, returning);
        if (conflict && t.columns.size() > (generated ? 1u : 0u)) sql::detail::write_on_conflict<D>(out, t, *conflict);
        return std::move(out.text);
    });
}

// Binds the columns of `rows` objects, every column or all but a generated key, from parameter
// 1 on; next() gives the objects in order. Returns the next parameter's index.
template <class T, class Statement, class Next>
int bind_insert_rows(Statement& statement, std::size_t rows, bool generated, Next&& next) {
    const column_set bound = generated ? all_but_primary_key<T>() : all_columns<T>();
    int index = 1;
    for (std::size_t i = 0; i < rows; ++i) index = bind_columns(statement, next(), index, bound);
    return index;  // the next free parameter
}

// --- generated keys without RETURNING (SQLite) ---
//
// SQLite runs a RETURNING clause as a trigger program per row, through a temporary table: a
// 100-row INSERT with it costs 2.4 times one without (hand-written sqlite3, in memory). Under the
// write lock, the rows of one INSERT get consecutive rowids, the last being the connection's
// last insert rowid, unless a trigger on the table inserts rows of its own in between, or a
// rowid reached the largest integer (SQLite then picks rowids at random). So RETURNING is only
// used for a table with triggers, and without it the largest key is checked to be the last one.

// Variants of a model's multi-row INSERT tag (prepare_insert_rows uses rows * 4 + 0..3) for its
// largest-key SELECT.
inline constexpr std::uint64_t largest_key_variant = ~std::uint64_t{0};

template <class Statement>
std::int64_t read_integer(Statement& statement) {
    statement_use use(statement);
    return statement.step() && !statement.is_null(0) ? statement.template read<std::int64_t>(0) : 0;
}

// Whether a multi-row INSERT into the table must return its generated keys: always where the
// dialect returns them, on SQLite for a table with triggers only.
template <class D, class Connection>
bool insert_rows_return_keys(Connection& c, const table_view& t) {
    if constexpr (D::returns_generated_keys) {
        return true;
    } else {
        return c.has_triggers(t.name);
    }
}

// The first of the keys SQLite gave the `rows` rows of the INSERT that just ran without
// RETURNING (they are consecutive, in VALUES order, the last being the last insert rowid), or
// nothing when the table's largest key is not that last rowid. `tag`: the model's multi-row
// INSERT tag.
template <class D, class Connection>
std::optional<std::int64_t> first_consecutive_key(Connection& c, const void* tag, const table_view& t,
                                                  std::size_t rows) {
    const std::int64_t last = c.last_insert_id();
    auto& largest = c.prepare_generated(tag, largest_key_variant, [&] {
        runtime_text out;
        out.append("SELECT max(");
        sql::write_identifier<D>(out, t.primary_key().name);
        out.append(") FROM ");
        sql::write_identifier<D>(out, t.name);
        return std::move(out.text);
    });
    if (read_integer(largest) != last) return std::nullopt;
    return last - static_cast<std::int64_t>(rows - 1);
}

}  // namespace structql::detail

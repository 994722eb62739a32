#pragma once
// INSERT of many rows of one model in few statements: INSERT ... VALUES (...), (...), as many
// rows per statement as rows_per_insert allows, each row count's statement prepared once per
// connection. Used by connection.insert(range) and by a session's flush.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include "structql/detail/rows.hpp"
#include "structql/detail/static_text.hpp"
#include "structql/schema/table.hpp"
#include "structql/sql/statements.hpp"

namespace structql::detail {

template <class T>
inline const char multi_row_insert_id = 0;  // its address tags T's multi-row INSERTs in a statement cache

// SQLite allows 32,766 parameters per statement and PostgreSQL 65,535; past a few hundred rows
// a longer statement is no faster.
inline constexpr std::size_t max_parameters_per_insert = 1000;

// The most rows one INSERT of T takes; a generated key is left out of the columns (a model with
// no other column inserts DEFAULT VALUES, one row at a time).
template <class T>
constexpr std::size_t rows_per_insert(bool generated) {
    const std::size_t width = table<T>::column_count - (generated ? 1 : 0);
    return width == 0 ? 1 : std::max<std::size_t>(1, max_parameters_per_insert / width);
}

// The prepared INSERT of `rows` rows of T, without the key column when `generated`; with
// `returning`, the statement returns the generated keys as rows (in no order SQL promises).
template <class D, class T, class Connection>
auto& prepare_insert_rows(Connection& c, std::size_t rows, bool generated, bool returning) {
    return c.prepare_generated(&multi_row_insert_id<T>, rows * 4 + (generated ? 2 : 0) + (returning ? 1 : 0), [&] {
        runtime_text out;
        sql::detail::write_insert<D, T>(out, rows, generated);
        if (returning) {
            out.append(" RETURNING ");
            sql::write_identifier<D>(out, table<T>::columns[table<T>::primary_key_index].name);
        }
        return std::move(out.text);
    });
}

// Binds the columns of `rows` objects, every column or all but a generated key, from parameter
// 1 on; next() gives the objects in order.
template <class T, class Statement, class Next>
void bind_insert_rows(Statement& statement, std::size_t rows, bool generated, Next&& next) {
    const column_set bound = generated ? all_but_primary_key<T>() : all_columns<T>();
    int index = 1;
    for (std::size_t i = 0; i < rows; ++i) index = bind_columns(statement, next(), index, bound);
}

// --- generated keys without RETURNING (SQLite) ---
//
// SQLite runs a RETURNING clause as a trigger program per row, through a temporary table: a
// 100-row INSERT with it costs 2.4 times one without (hand-written sqlite3, in memory). Under the
// write lock, the rows of one INSERT get consecutive rowids, the last being the connection's
// last insert rowid, unless a trigger on the table inserts rows of its own in between, or a
// rowid reached the largest integer (SQLite then picks rowids at random). So RETURNING is only
// used for a table with triggers, and without it the largest key is checked to be the last one.

// Whether T has a trigger (in the main or the temp schema; names compare without case).
template <class T>
struct sqlite_triggers_text {
    static constexpr void write(auto& out) {
        for (std::string_view schema : {"sqlite_master", "sqlite_temp_master"}) {
            out.append(schema == "sqlite_master" ? "SELECT EXISTS (SELECT 1 FROM " : " OR EXISTS (SELECT 1 FROM ");
            out.append(schema);
            out.append(" WHERE type = 'trigger' AND tbl_name = '");
            for (char c : table<T>::name) {
                if (c == '\'') out.append(c);
                out.append(c);
            }
            out.append("' COLLATE NOCASE)");
        }
    }
};

template <class D, class T>
struct largest_key_text {
    static constexpr void write(auto& out) {
        out.append("SELECT max(");
        sql::write_identifier<D>(out, table<T>::columns[table<T>::primary_key_index].name);
        out.append(") FROM ");
        sql::write_identifier<D>(out, table<T>::name);
    }
};

template <class Connection>
std::int64_t select_integer(Connection& c, std::string_view sql) {
    auto& statement = c.prepare_static(sql);
    statement_use use(statement);
    return statement.step() && !statement.is_null(0) ? statement.template read<std::int64_t>(0) : 0;
}

// Whether a multi-row INSERT of T must return its generated keys: always where the dialect
// returns them, on SQLite for a table with triggers only.
template <class D, class T, class Connection>
bool insert_rows_return_keys(Connection& c) {
    if constexpr (D::returns_generated_keys) return true;
    else return select_integer(c, text_v<sqlite_triggers_text<T>>) != 0;
}

// The keys SQLite gave the `rows` rows of the INSERT that just ran without RETURNING, in VALUES
// order; none when the largest key in the table is not the last insert rowid.
template <class D, class T, class Connection>
std::vector<std::int64_t> consecutive_keys(Connection& c, std::size_t rows) {
    std::vector<std::int64_t> keys;
    const std::int64_t last = c.last_insert_id();
    if (select_integer(c, text_v<largest_key_text<D, T>>) != last) return keys;
    keys.reserve(rows);
    for (std::size_t i = rows; i > 0; --i) keys.push_back(last - static_cast<std::int64_t>(i - 1));
    return keys;
}

}  // namespace structql::detail

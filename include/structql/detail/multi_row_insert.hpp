#pragma once
// INSERT of many rows of one model in few statements: INSERT ... VALUES (...), (...), as many
// rows per statement as rows_per_insert allows, each row count's statement prepared once per
// connection. Used by connection.insert(range) and by a session's flush.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "structql/detail/rows.hpp"
#include "structql/detail/static_text.hpp"
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

// The prepared INSERT of `rows` rows into the table, without the key column when `generated`;
// with `returning`, the statement returns the generated keys as rows (in no order SQL promises).
// `tag` (multi_row_insert_id<T>) names the model's statements in the cache.
template <class D, class Connection>
auto& prepare_insert_rows(Connection& c, const void* tag, const table_view& t, std::size_t rows, bool generated,
                          bool returning) {
    return c.prepare_generated(tag, rows * 4 + (generated ? 2 : 0) + (returning ? 1 : 0), [&] {
        runtime_text out;
        sql::detail::write_insert<D>(out, t, rows, generated, returning);
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

}  // namespace structql::detail

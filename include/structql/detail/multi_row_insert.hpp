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

}  // namespace structql::detail

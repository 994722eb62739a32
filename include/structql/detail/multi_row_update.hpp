#pragma once
// UPDATE of many rows of one model that change the same columns, in few statements:
//
//   UPDATE "t" SET "a" = "structql_rows"."column2", ... FROM (VALUES (?, ?, ...), ...)
//   AS "structql_rows" WHERE "t"."id" = "structql_rows"."column1"
//
// (UPDATE ... FROM: SQLite 3.33, PostgreSQL), as many rows per statement as rows_per_update
// allows, each (column set, row count) statement prepared once per connection. Written against
// a run-time column set and a function giving the i-th object, so that any store of tracked
// objects can use it; a session's flush does, where the dialect says it pays (PostgreSQL: one
// round trip instead of hundreds; not SQLite, see sqlite_dialect::multi_row_update).
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "structql/detail/multi_row_insert.hpp"
#include "structql/detail/rows.hpp"
#include "structql/detail/static_text.hpp"
#include "structql/schema/table.hpp"
#include "structql/sql/statements.hpp"

namespace structql::detail {

template <class T>
inline const char multi_row_update_id = 0;  // its address tags T's multi-row UPDATEs in a statement cache

// Whether T's UPDATEs are batched: where the dialect gains by it (D::multi_row_update), and for a
// model of at most 52 columns, as the statement cache tells statements apart by one 64-bit
// variant: the column set in the low column_count bits, the row count above them.
template <class D, class T>
inline constexpr bool multi_row_updates = D::multi_row_update && table<T>::column_count <= 52;

// The most rows one UPDATE of `columns` takes: the key and the columns are bound for each row.
inline std::size_t rows_per_update(column_set columns) {
    return std::max<std::size_t>(1, max_parameters_per_insert / (1 + static_cast<std::size_t>(std::popcount(columns))));
}

// The VALUES list's name in the UPDATE: not a table's name a program is likely to use.
inline constexpr std::string_view update_rows_alias = "structql_rows";

// "structql_rows"."columnN": VALUES names its columns column1, column2, ... (SQLite and
// PostgreSQL alike).
template <class D>
void write_values_column(runtime_text& out, std::size_t n) {
    sql::write_identifier<D>(out, update_rows_alias);
    out.append('.');
    out.append(D::identifier_quote);
    out.append("column");
    append_number(out, n);
    out.append(D::identifier_quote);
}

// The text of an UPDATE of `columns` (never the key) of `rows` rows. Each row of VALUES is the
// key, then the columns in the model's order; PostgreSQL types its placeholders (CAST), as it
// would take them for text in a VALUES list.
template <class D, class T>
void write_update_rows(runtime_text& out, column_set columns, std::size_t rows) {
    constexpr std::size_t key = table<T>::primary_key_index;
    out.append("UPDATE ");
    sql::write_identifier<D>(out, table<T>::name);
    out.append(" SET ");
    std::size_t value_column = 2;  // VALUES' columns are column1 (the key), column2, ...
    for (std::size_t i = 0; i < table<T>::column_count; ++i) {
        if (!((columns >> i) & 1)) continue;
        if (value_column > 2) out.append(", ");
        sql::write_identifier<D>(out, table<T>::columns[i].name);
        out.append(" = ");
        write_values_column<D>(out, value_column++);
    }
    out.append(" FROM (VALUES ");
    for (std::size_t r = 0; r < rows; ++r) {
        out.append(r > 0 ? ", (" : "(");
        D::write_typed_placeholder(out, table<T>::columns[key].type);
        for (std::size_t i = 0; i < table<T>::column_count; ++i) {
            if (!((columns >> i) & 1)) continue;
            out.append(", ");
            D::write_typed_placeholder(out, table<T>::columns[i].type);
        }
        out.append(')');
    }
    out.append(") AS ");
    sql::write_identifier<D>(out, update_rows_alias);
    out.append(" WHERE ");
    sql::write_identifier<D>(out, table<T>::name);
    out.append('.');
    sql::write_identifier<D>(out, table<T>::columns[key].name);
    out.append(" = ");
    write_values_column<D>(out, 1);
}

template <class D, class T, class Connection>
auto& prepare_update_rows(Connection& c, column_set columns, std::size_t rows) {
    static_assert(table<T>::column_count <= 52, "the row count must fit above the column set");
    return c.prepare_generated(&multi_row_update_id<T>, (static_cast<std::uint64_t>(rows) << table<T>::column_count) | columns, [&] {
        runtime_text out;
        write_update_rows<D, T>(out, columns, rows);
        return std::move(out.text);
    });
}

// Binds `rows` objects' keys and `columns`, from parameter 1 on; object(i) gives the i-th.
template <class T, class Statement, class Object>
void bind_update_rows(Statement& statement, column_set columns, std::size_t rows, Object&& object) {
    int index = 1;
    for (std::size_t i = 0; i < rows; ++i) {
        const T& o = object(i);
        bind_primary_key(statement, index++, o);
        index = bind_columns(statement, o, index, columns);
    }
}

// Writes `columns` of `count` objects (object(i): the i-th, whose key its row has) in UPDATEs
// of up to rows_per_update rows. run(statement) steps a bound statement. An UPDATE that changed
// fewer rows than it was given looks the rows up one by one (`select`: T's SELECT by primary
// key) and calls missing(i, sql) for the first object whose row is gone, which throws; it
// returns normally only when every row is there.
template <class D, class T, class Connection, class Object, class Run, class Missing>
void update_rows(Connection& c, column_set columns, std::size_t count, Object&& object, Run&& run, Missing&& missing) {
    const std::size_t most = rows_per_update(columns);
    for (std::size_t first = 0; first < count; first += most) {
        const std::size_t rows = std::min(most, count - first);
        auto& statement = prepare_update_rows<D, T>(c, columns, rows);
        {
            statement_use use(statement);
            bind_update_rows<T>(statement, columns, rows, [&](std::size_t i) -> const T& { return object(first + i); });
            run(statement);
        }
        if (c.changes() == static_cast<std::int64_t>(rows)) continue;
        const std::string sql(statement.sql());
        for (std::size_t i = first; i < first + rows; ++i) {
            auto& select = c.prepare_static(sql::select_by_primary_key_in<D, T>);
            statement_use use(select);
            bind_primary_key(select, 1, object(i));
            if (!select.step()) missing(i, sql);
        }
    }
}

}  // namespace structql::detail

#pragma once
// UPDATE of many rows of one model that change the same columns, in few statements:
//
//   UPDATE "t" SET "a" = "structql_rows"."column2", ... FROM (VALUES (?, ?, ...), ...)
//   AS "structql_rows" WHERE "t"."id" = "structql_rows"."column1"
//
// (UPDATE ... FROM: SQLite 3.33, PostgreSQL), as many rows per statement as rows_per_update
// allows, each (column set, row count) statement prepared once per connection. Written against
// a table_view, a run-time column set and functions binding the i-th object, so that any store
// of tracked objects can use it; a session's flush does, where the dialect says it pays
// (PostgreSQL: one round trip instead of hundreds; not SQLite, see sqlite_dialect::multi_row_update).
#include "structql/detail/std_parts.hpp"  // std::min, std::max
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "structql/detail/multi_row_insert.hpp"
#include "structql/detail/rows.hpp"
#include "structql/detail/static_text.hpp"
#include "structql/schema/table.hpp"
#include "structql/sql/dialect.hpp"

namespace structql::detail {

// Whether a table's UPDATEs are batched: where the dialect gains by it (D::multi_row_update),
// and for at most 52 columns, as the statement cache tells statements apart by one 64-bit
// variant: the column set in the low bits (one per column), the row count above them. A
// one-row UPDATE of a column set uses the same tag with the column set alone as its variant,
// always below a multi-row one's.
template <class D>
bool multi_row_updates(const table_view& t) {
    return D::multi_row_update && t.columns.size() <= 52;
}

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
// key, then the columns in the table's order; PostgreSQL types its placeholders (CAST), as it
// would take them for text in a VALUES list.
template <class D>
void write_update_rows(runtime_text& out, const table_view& t, column_set columns, std::size_t rows) {
    out.append("UPDATE ");
    sql::write_identifier<D>(out, t.name);
    out.append(" SET ");
    std::size_t value_column = 2;  // VALUES' columns are column1 (the key), column2, ...
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (!((columns >> i) & 1)) continue;
        if (value_column > 2) out.append(", ");
        sql::write_identifier<D>(out, t.columns[i].name);
        out.append(" = ");
        write_values_column<D>(out, value_column++);
    }
    out.append(" FROM (VALUES ");
    for (std::size_t r = 0; r < rows; ++r) {
        out.append(r > 0 ? ", (" : "(");
        D::write_typed_placeholder(out, t.primary_key().type);
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            if (!((columns >> i) & 1)) continue;
            out.append(", ");
            D::write_typed_placeholder(out, t.columns[i].type);
        }
        out.append(')');
    }
    out.append(") AS ");
    sql::write_identifier<D>(out, update_rows_alias);
    out.append(" WHERE ");
    sql::write_identifier<D>(out, t.name);
    out.append('.');
    sql::write_identifier<D>(out, t.primary_key().name);
    out.append(" = ");
    write_values_column<D>(out, 1);
}

// The prepared UPDATE of `rows` rows (at least 2), under the model's tag.
template <class D, class Connection>
auto& prepare_update_rows(Connection& c, const void* tag, const table_view& t, column_set columns, std::size_t rows) {
    return c.prepare_generated(tag, (static_cast<std::uint64_t>(rows) << t.columns.size()) | columns, [&] {
        runtime_text out;
        write_update_rows<D>(out, t, columns, rows);
        return std::move(out.text);
    });
}

// Writes `columns` of `count` objects in UPDATEs of up to rows_per_update rows.
//   bind_row(statement, i, first): binds the i-th object's key (as its row has it), then its
//     `columns`, from parameter `first`; returns the next parameter.
//   bind_key(statement, i): binds the i-th object's key as parameter 1 of `select_by_key`.
//   run(statement): steps a bound statement.
//   missing(i, sql): throws for the i-th object, whose row is gone.
// An UPDATE that changed fewer rows than it was given looks its rows up one by one and calls
// missing() for the first one gone; it goes on only when every row is there.
template <class D, class Connection, class BindRow, class BindKey, class Run, class Missing>
void update_rows(Connection& c, const void* tag, const table_view& t, std::string_view select_by_key,
                 column_set columns, std::size_t count, BindRow&& bind_row, BindKey&& bind_key, Run&& run,
                 Missing&& missing) {
    const std::size_t most = rows_per_update(columns);
    for (std::size_t first = 0; first < count; first += most) {
        const std::size_t rows = std::min(most, count - first);
        auto& statement = prepare_update_rows<D>(c, tag, t, columns, rows);
        {
            statement_use use(statement);
            int index = 1;
            for (std::size_t i = first; i < first + rows; ++i) index = bind_row(statement, i, index);
            run(statement);
        }
        if (c.changes() == static_cast<std::int64_t>(rows)) continue;
        const std::string sql(statement.sql());
        for (std::size_t i = first; i < first + rows; ++i) {
            auto& select = c.prepare_static(select_by_key);
            statement_use use(select);
            bind_key(select, i);
            if (!select.step()) missing(i, sql);
        }
    }
}

}  // namespace structql::detail

#pragma once
// The SQLite dialect: ? placeholders, SQLite's type names, a generated key as an alias of the
// rowid, read back with sqlite3_last_insert_rowid.
#include <cstddef>
#include <string_view>

#include "structql/schema/value_traits.hpp"
#include "structql/sql/dialect.hpp"

namespace structql::sql {

struct sqlite_dialect : standard_dialect {
    static constexpr std::string_view name = "sqlite";

    static constexpr void write_placeholder(auto& out) {
        out.append('?');
        ++out.next_parameter;
    }
    // A value compared with a column stored differently (2.5 beside an INTEGER column): SQLite
    // compares integers and reals exactly as they are.
    static constexpr void write_typed_placeholder(auto& out, column_type) { write_placeholder(out); }

    // ilike / icontains ...: SQLite's LIKE ignores the case of ASCII letters (not of others).
    static constexpr std::string_view case_insensitive_like = " LIKE ";

    // extract<part>(x): strftime reads the text DATETIME, DATE and TIME are stored as (a time
    // of day as 2000-01-01); whole seconds.
    static constexpr void write_extract_open(auto& out, date_part part, column_type) {
        constexpr std::string_view formats[] = {"%Y", "%m", "%d", "%H", "%M", "%S"};
        out.append("CAST(strftime('");
        out.append(formats[static_cast<int>(part)]);
        out.append("', ");
    }
    static constexpr void write_extract_close(auto& out, date_part, column_type) { out.append(") AS INTEGER)"); }

    // An integer primary key must be declared exactly INTEGER to alias SQLite's rowid. A type
    // whose name gives NUMERIC affinity would turn text that reads as a number into one: a
    // DECIMAL ('12.50' -> 12.5) and JSON ('1' -> 1) are declared TEXT; DATE and TIME keep their
    // names (their text never reads as a number).
    static constexpr std::string_view type_name(column_type type) {
        switch (type) {
            case column_type::boolean: return "BOOLEAN";
            case column_type::integer: return "INTEGER";
            case column_type::real: return "REAL";
            case column_type::text: return "TEXT";
            case column_type::blob: return "BLOB";
            case column_type::timestamp: return "DATETIME";
            case column_type::date: return "DATE";
            case column_type::time: return "TIME";
            case column_type::uuid: return "BLOB";
            case column_type::decimal: return "TEXT";
            case column_type::json: return "TEXT";
        }
        return "";
    }

    // An integer key the database assigns when the insert binds NULL: an alias of the rowid.
    static constexpr std::string_view generated_primary_key = "INTEGER PRIMARY KEY";

    // SQLite needs a LIMIT before an OFFSET; -1 means no limit.
    static constexpr std::string_view limit_all = " LIMIT -1";

    // A subquery in FROM needs no name.
    static constexpr std::string_view subquery_alias = "";

    // The key comes back through sqlite3_last_insert_rowid, after a one-statement insert.
    static constexpr bool returns_generated_keys = false;
    static constexpr bool locks_rows = false;  // SELECT ... FOR UPDATE / FOR SHARE

    // Row by row: SQLite materializes the VALUES of an UPDATE ... FROM into a temporary table,
    // which costs more than stepping a prepared one-row UPDATE again (10,000 rows in memory,
    // callgrind: 51.6M instructions row by row, 57.7M at 100 rows a statement, 64.5M at 333).
    static constexpr bool multi_row_update = false;

    // The number of parameters SQLite gives a statement: ? takes the largest index so far plus
    // one, ?NNN the index NNN, :name @name $name the next index unless the name came before.
    static constexpr std::size_t count_parameters(std::string_view sql) {
        std::size_t largest = 0;
        std::string_view names[64]{};  // distinct names; more than 64 count each use
        std::size_t named = 0;
        for (std::size_t i = 0; i < sql.size();) {
            if (std::size_t after = detail::skip_quoted(sql, i); after != i) {
                i = after;
                continue;
            }
            const char c = sql[i++];
            if (c == '?') {
                std::size_t number = 0, digits = 0;
                for (; i < sql.size() && detail::is_digit(sql[i]); ++i, ++digits) number = number * 10 + static_cast<std::size_t>(sql[i] - '0');
                largest = digits ? (number > largest ? number : largest) : largest + 1;
            } else if (c == ':' || c == '@' || c == '$') {
                std::size_t start = i;
                while (i < sql.size() && detail::is_name_char(sql[i])) ++i;
                if (i == start) continue;
                std::string_view parameter = sql.substr(start - 1, i - start + 1);
                bool seen = false;
                for (std::size_t k = 0; k < named && !seen; ++k) seen = names[k] == parameter;
                if (seen) continue;
                if (named < 64) names[named++] = parameter;
                ++largest;
            }
        }
        return largest;
    }
};

}  // namespace structql::sql

#pragma once
// The SQLite dialect: ? placeholders, SQLite's type names, a generated key as an alias of the
// rowid, read back with sqlite3_last_insert_rowid.
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

    // An integer primary key must be declared exactly INTEGER to alias SQLite's rowid.
    static constexpr std::string_view type_name(column_type type) {
        switch (type) {
            case column_type::boolean: return "BOOLEAN";
            case column_type::integer: return "INTEGER";
            case column_type::real: return "REAL";
            case column_type::text: return "TEXT";
            case column_type::blob: return "BLOB";
            case column_type::timestamp: return "DATETIME";
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
};

}  // namespace structql::sql

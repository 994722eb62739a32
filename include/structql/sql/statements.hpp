#pragma once
// The statements the ORM issues for a model, generated at compile time per dialect.
// structql::sql::create_table<T> and structql::sql::insert<T> (SQLite dialect) are public;
// the `_in<Dialect, T>` forms give any dialect's text.
#include <array>
#include <cstddef>
#include <string_view>

#include "structql/detail/static_text.hpp"
#include "structql/schema/table.hpp"
#include "structql/sql/dialect.hpp"

namespace structql::sql {

namespace detail {
using structql::detail::text_v;

// The writers take a table_view, so each is compiled once per dialect, not once per model.

// "a", "b", "c" -- every column, or every column but the primary key.
template <class D>
constexpr void write_column_list(auto& out, const table_view& t, bool skip_primary_key = false) {
    bool first = true;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (skip_primary_key && i == t.primary_key_index) continue;
        if (!first) out.append(", ");
        first = false;
        write_identifier<D>(out, t.columns[i].name);
    }
}

// WHERE "k" = ?, or WHERE "a" = ? AND "b" = ? for a composite key (parts in declaration order).
template <class D>
constexpr void write_primary_key_condition(auto& out, const table_view& t) {
    out.append(" WHERE ");
    for (std::size_t k = 0; k < t.key_columns.size(); ++k) {
        if (k > 0) out.append(" AND ");
        write_identifier<D>(out, t.columns[t.key_columns[k]].name);
        out.append(" = ");
        D::write_placeholder(out);
    }
}

constexpr std::string_view referential_action(on_delete action) {
    switch (action) {
        case on_delete::no_action: break;
        case on_delete::cascade: return "CASCADE";
        case on_delete::set_null: return "SET NULL";
        case on_delete::restrict: return "RESTRICT";
    }
    return "";
}
constexpr std::string_view referential_action(on_update action) {
    return referential_action(static_cast<on_delete>(action));
}

// REFERENCES "parent" ("key") with its actions: a foreign key's clause, after its column's
// definition or after FOREIGN KEY ("column").
template <class D>
constexpr void write_references(auto& out, const column_info& c) {
    out.append(" REFERENCES ");
    write_identifier<D>(out, c.references_table);
    out.append(" (");
    write_identifier<D>(out, c.references_column);
    out.append(')');
    // NO ACTION is both databases' default: no clause.
    if (c.delete_action != on_delete::no_action) {
        out.append(" ON DELETE ");
        out.append(referential_action(c.delete_action));
    }
    if (c.update_action != on_update::no_action) {
        out.append(" ON UPDATE ");
        out.append(referential_action(c.update_action));
    }
}

// Column i's definition in CREATE TABLE: "name" TYPE NOT NULL PRIMARY KEY UNIQUE REFERENCES ...
// (ALTER TABLE ... ADD COLUMN writes the same).
template <class D>
constexpr void write_column_definition(auto& out, const table_view& t, std::size_t i) {
    const column_info& c = t.columns[i];
    write_identifier<D>(out, c.name);
    out.append(' ');
    // A composite key is a table constraint after the columns.
    bool is_key = i == t.primary_key_index && t.key_columns.size() == 1;
    if (is_key && t.generated_primary_key) {
        out.append(D::generated_primary_key);
    } else {
        out.append(D::type_name(c.type));
        // SQLite lets a non-INTEGER PRIMARY KEY hold NULL unless told otherwise.
        if (!c.nullable) out.append(" NOT NULL");
        if (is_key) out.append(" PRIMARY KEY");
    }
    if (c.unique && !is_key) out.append(" UNIQUE");
    if (!c.server_default.empty()) {
        out.append(" DEFAULT (");
        out.append(c.server_default);
        out.append(')');
    }
    if (!c.references_table.empty()) write_references<D>(out, c);
}

// , CONSTRAINT "name" CHECK (condition): a table_args check, after the columns.
template <class D>
constexpr void write_check(auto& out, std::string_view name, std::string_view condition) {
    out.append(", CONSTRAINT ");
    write_identifier<D>(out, name);
    out.append(" CHECK (");
    out.append(condition);
    out.append(')');
}

template <class D>
constexpr void write_create_table(auto& out, const table_view& t) {
    out.append("CREATE TABLE IF NOT EXISTS ");
    write_identifier<D>(out, t.name);
    out.append(" (");
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (i > 0) out.append(", ");
        write_column_definition<D>(out, t, i);
    }
    if (t.key_columns.size() > 1) {
        out.append(", PRIMARY KEY (");
        for (std::size_t k = 0; k < t.key_columns.size(); ++k) {
            if (k > 0) out.append(", ");
            write_identifier<D>(out, t.columns[t.key_columns[k]].name);
        }
        out.append(')');
    }
    for (const check_info& check : t.checks) write_check<D>(out, check.name, check.condition);
    out.append(')');
}

template <class D, class T>
struct create_table_text {
    static constexpr void write(auto& out) { write_create_table<D>(out, table<T>::view); }
};

template <class D, class T>
struct drop_table_text {
    static constexpr void write(auto& out) {
        out.append("DROP TABLE IF EXISTS ");
        write_identifier<D>(out, table<T>::name);
    }
};

// CREATE [UNIQUE] INDEX "name" ON "table" ("a", "b") [WHERE (condition)]: an index of the
// table (indexed<> members', then table_args'); `if_not_exists` for create_all.
template <class D>
constexpr void write_create_index(auto& out, const table_view& t, const index_info& index, bool if_not_exists) {
    out.append(index.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
    if (if_not_exists) out.append("IF NOT EXISTS ");
    write_identifier<D>(out, index.name);
    out.append(" ON ");
    write_identifier<D>(out, t.name);
    out.append(" (");
    for (std::size_t k = 0; k < index.columns.size(); ++k) {
        if (k > 0) out.append(", ");
        write_identifier<D>(out, t.columns[index.columns[k]].name);
    }
    out.append(')');
    if (!index.predicate.empty()) {
        out.append(" WHERE (");
        out.append(index.predicate);
        out.append(')');
    }
}

template <class D, class T, std::size_t N>
struct create_index_text {
    static constexpr void write(auto& out) { write_create_index<D>(out, table<T>::view, table<T>::indexes[N], true); }
};

// INSERT of `rows` rows, without the primary key column when the database assigns it (a model
// with no other column then inserts DEFAULT VALUES, one row at a time); with `returning`, the
// primary key comes back as the statement's one result column.
template <class D>
constexpr void write_insert(auto& out, const table_view& t, std::size_t rows, bool skip_primary_key,
                            bool returning = false) {
    out.append("INSERT INTO ");
    write_identifier<D>(out, t.name);
    const std::size_t columns = t.columns.size() - (skip_primary_key ? 1 : 0);
    if (columns == 0) {
        out.append(" DEFAULT VALUES");
    } else {
        out.append(" (");
        write_column_list<D>(out, t, skip_primary_key);
        out.append(") VALUES ");
        for (std::size_t r = 0; r < rows; ++r) {
            out.append(r > 0 ? ", (" : "(");
            for (std::size_t i = 0; i < columns; ++i) {
                if (i > 0) out.append(", ");
                D::write_placeholder(out);
            }
            out.append(')');
        }
    }
    if (!returning) return;
    out.append(" RETURNING ");
    write_identifier<D>(out, t.primary_key().name);
}

template <class D, class T>
struct insert_text {
    static constexpr void write(auto& out) { write_insert<D>(out, table<T>::view, 1, false); }
};

// INSERT of every column but a generated key; with Returning, the key comes back as the
// statement's one result column (for dialects that return generated keys), else the backend
// reports it (SQLite's last insert rowid).
template <class D, class T, bool Returning>
struct insert_without_key_text {
    static constexpr void write(auto& out) { write_insert<D>(out, table<T>::view, 1, true, Returning); }
};

template <class D>
constexpr void write_select_all(auto& out, const table_view& t) {
    out.append("SELECT ");
    write_column_list<D>(out, t);
    out.append(" FROM ");
    write_identifier<D>(out, t.name);
}

template <class D, class T>
struct select_all_text {
    static constexpr void write(auto& out) { write_select_all<D>(out, table<T>::view); }
};

template <class D, class T>
struct select_by_primary_key_text {
    static constexpr void write(auto& out) {
        write_select_all<D>(out, table<T>::view);
        write_primary_key_condition<D>(out, table<T>::view);
    }
};

// UPDATE of the columns for which is_set(i) holds, keyed by the primary key, which is bound
// last (every part of a composite key, in order).
template <class D>
constexpr void write_update(auto& out, const table_view& t, const auto& is_set) {
    out.append("UPDATE ");
    write_identifier<D>(out, t.name);
    out.append(" SET ");
    bool first = true;
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        if (!is_set(i)) continue;
        if (!first) out.append(", ");
        first = false;
        write_identifier<D>(out, t.columns[i].name);
        out.append(" = ");
        D::write_placeholder(out);
    }
    write_primary_key_condition<D>(out, t);
}

// Every column but the key's.
template <class D, class T>
struct update_by_primary_key_text {
    static constexpr void write(auto& out) {
        write_update<D>(out, table<T>::view, [](std::size_t i) { return !table<T>::view.is_key(i); });
    }
};

template <class D, class T>
struct delete_by_primary_key_text {
    static constexpr void write(auto& out) {
        out.append("DELETE FROM ");
        write_identifier<D>(out, table<T>::name);
        write_primary_key_condition<D>(out, table<T>::view);
    }
};

template <class D, class T>
constexpr auto create_indexes_array() {
    return []<std::size_t... N>(std::index_sequence<N...>) {
        return std::array<std::string_view, sizeof...(N)>{text_v<create_index_text<D, T, N>>...};
    }(std::make_index_sequence<table<T>::indexes.size()>{});
}
}  // namespace detail

template <class D, class T>
inline constexpr std::string_view create_table_in = detail::text_v<detail::create_table_text<D, T>>;
template <class D, class T>
inline constexpr auto create_indexes_in = detail::create_indexes_array<D, T>();
template <class D, class T>
inline constexpr std::string_view drop_table_in = detail::text_v<detail::drop_table_text<D, T>>;
template <class D, class T>
inline constexpr std::string_view insert_in = detail::text_v<detail::insert_text<D, T>>;
template <class D, class T>
inline constexpr std::string_view insert_returning_in = detail::text_v<detail::insert_without_key_text<D, T, true>>;
// The INSERT of an object whose generated key is left for the database to assign.
template <class D, class T>
inline constexpr std::string_view insert_generated_in =
    detail::text_v<detail::insert_without_key_text<D, T, D::returns_generated_keys>>;
template <class D, class T>
inline constexpr std::string_view select_all_in = detail::text_v<detail::select_all_text<D, T>>;
template <class D, class T>
inline constexpr std::string_view select_by_primary_key_in =
    detail::text_v<detail::select_by_primary_key_text<D, T>>;
template <class D, class T>
inline constexpr std::string_view update_by_primary_key_in =
    detail::text_v<detail::update_by_primary_key_text<D, T>>;
template <class D, class T>
inline constexpr std::string_view delete_by_primary_key_in =
    detail::text_v<detail::delete_by_primary_key_text<D, T>>;

// The SQLite dialect's text, the library's default.
template <class T>
inline constexpr std::string_view create_table = create_table_in<sqlite_dialect, T>;
template <class T>
inline constexpr auto create_indexes = create_indexes_in<sqlite_dialect, T>;
template <class T>
inline constexpr std::string_view drop_table = drop_table_in<sqlite_dialect, T>;
template <class T>
inline constexpr std::string_view insert = insert_in<sqlite_dialect, T>;
template <class T>
inline constexpr std::string_view select_all = select_all_in<sqlite_dialect, T>;
template <class T>
inline constexpr std::string_view select_by_primary_key = select_by_primary_key_in<sqlite_dialect, T>;
template <class T>
inline constexpr std::string_view update_by_primary_key = update_by_primary_key_in<sqlite_dialect, T>;
template <class T>
inline constexpr std::string_view delete_by_primary_key = delete_by_primary_key_in<sqlite_dialect, T>;

}  // namespace structql::sql

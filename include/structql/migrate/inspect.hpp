#pragma once
// inspect(connection): the schema of a live database read into plain run-time data -- its
// tables, their columns (type as declared, nullability, key, single-column UNIQUE constraint,
// server default), their own indexes (unique ones included), their named CHECK constraints and
// their foreign keys. SQLite through PRAGMA table_info / index_list / index_info /
// foreign_key_list and the CREATE TABLE text (for checks), PostgreSQL through
// information_schema and pg_catalog (the connection's current schema).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "structql/engine/basic_engine.hpp"
#include "structql/schema/columns.hpp"
#include "structql/sql/dialect.hpp"

namespace structql {

struct live_column {
    std::string name;
    std::string type;  // as declared (SQLite), or information_schema's data_type (PostgreSQL)
    bool nullable = true;
    bool primary_key = false;
    bool generated = false;  // the database numbers new rows: SQLite's rowid alias, an identity or a sequence
    std::string unique_constraint;  // the UNIQUE constraint on this column alone, empty when none
    std::optional<std::string> server_default;  // DEFAULT's SQL as the database shows it (not a generated key's)
};

// A CHECK constraint: CONSTRAINT "name" CHECK (condition), or on SQLite an unnamed CHECK
// (condition) of a table made by other SQL (a column's own CHECK included).
struct live_check {
    std::string name;  // empty for an unnamed check
    std::string condition;  // as the database shows it (PostgreSQL rewrites it)
};

struct live_foreign_key {
    std::string name;  // PostgreSQL's constraint name; empty on SQLite, whose are unnamed
    std::string column;
    std::string references_table;
    std::string references_column;
    on_delete delete_action = on_delete::no_action;
    on_update update_action = on_update::no_action;
};

// An index of its own (CREATE INDEX), not one behind a key or a UNIQUE constraint.
struct live_index {
    std::string name;
    std::vector<std::string> columns;
    bool unique = false;
    std::string sql;  // SQLite: its CREATE INDEX, run again after a table rebuild
    bool partial = false;  // CREATE INDEX ... WHERE
};

struct live_table {
    std::string name;
    std::vector<live_column> columns;
    std::vector<live_index> indexes;
    std::vector<live_foreign_key> foreign_keys;
    std::vector<live_check> checks;

    const live_column* column(std::string_view wanted) const {
        for (const live_column& c : columns)
            if (c.name == wanted) return &c;
        return nullptr;
    }
    const live_foreign_key* foreign_key_of(std::string_view column_name) const {
        for (const live_foreign_key& f : foreign_keys)
            if (f.column == column_name) return &f;
        return nullptr;
    }
};

struct live_schema {
    std::vector<live_table> tables;  // by name

    const live_table* table(std::string_view wanted) const {
        for (const live_table& t : tables)
            if (t.name == wanted) return &t;
        return nullptr;
    }
};

namespace detail {

template <class Backend>
inline constexpr bool is_sqlite_backend = Backend::dialect::name == std::string_view("sqlite");

// A referential action as SQLite's PRAGMA spells it, or as pg_constraint's one-letter code.
inline on_delete referential_action_named(std::string_view action) {
    if (action == "CASCADE" || action == "c") return on_delete::cascade;
    if (action == "SET NULL" || action == "n") return on_delete::set_null;
    if (action == "RESTRICT" || action == "r") return on_delete::restrict;
    return on_delete::no_action;
}

// The CHECK constraints of a CREATE TABLE statement, as SQLite keeps its text: CONSTRAINT
// name CHECK (condition), the name quoted or bare, or CHECK (condition) without a name; the
// condition's parentheses balanced outside literals.
inline std::vector<live_check> table_checks(std::string_view sql) {
    auto keyword = [&](std::size_t i, std::string_view word) {
        if (i + word.size() > sql.size()) return false;
        for (std::size_t k = 0; k < word.size(); ++k)
            if ((sql[i + k] | 0x20) != (word[k] | 0x20)) return false;
        return i + word.size() == sql.size() || !sql::detail::is_name_char(sql[i + word.size()]);
    };
    auto skip_spaces = [&](std::size_t i) {
        while (i < sql.size() && (sql[i] == ' ' || sql[i] == '\n' || sql[i] == '\t' || sql[i] == '\r')) ++i;
        return i;
    };
    std::vector<live_check> checks;
    for (std::size_t i = 0; i < sql.size();) {
        if (std::size_t after = sql::detail::skip_quoted(sql, i); after != i) {
            i = after;
            continue;
        }
        const bool word_start = i == 0 || !sql::detail::is_name_char(sql[i - 1]);
        std::string name;
        if (word_start && keyword(i, "CONSTRAINT")) {
            std::size_t at = skip_spaces(i + 10);
            std::size_t end = sql::detail::skip_quoted(sql, at);
            if (end != at) {  // "name", `name` or [name]
                const char close = sql[at] == '[' ? ']' : sql[at];
                for (std::size_t k = at + 1; k + 1 < end; ++k) {
                    name += sql[k];
                    if (sql[k] == close) ++k;  // a doubled quote
                }
            } else {
                while (end < sql.size() && sql::detail::is_name_char(sql[end])) ++end;
                name = std::string(sql.substr(at, end - at));
            }
            i = skip_spaces(end);
            if (!keyword(i, "CHECK")) continue;
        } else if (!word_start || !keyword(i, "CHECK")) {
            ++i;
            continue;
        }
        std::size_t open = skip_spaces(i + 5), close = open;
        if (open >= sql.size() || sql[open] != '(') continue;
        for (int depth = 0; close < sql.size();) {
            if (std::size_t after = sql::detail::skip_quoted(sql, close); after != close) {
                close = after;
                continue;
            }
            if (sql[close] == '(') ++depth;
            if (sql[close] == ')' && --depth == 0) break;
            ++close;
        }
        if (close >= sql.size()) break;
        checks.push_back({.name = std::move(name), .condition = std::string(sql.substr(open, close - open + 1))});
        i = close + 1;
    }
    return checks;
}

template <class Connection>
live_table inspect_sqlite_table(Connection& c, std::string name) {
    using text = std::string;
    live_table t{.name = std::move(name), .columns = {}, .indexes = {}, .foreign_keys = {}, .checks = {}};
    for (auto& [column, type, not_null, key, server_default] :
         c.template fetch<std::tuple<text, text, std::int64_t, std::int64_t, std::optional<text>>>(
             runtime_sql(R"(SELECT name, type, "notnull", pk, dflt_value FROM pragma_table_info(?))"), t.name))
        t.columns.push_back({.name = column, .type = type, .nullable = not_null == 0, .primary_key = key > 0,
                             .generated = false, .unique_constraint = {}, .server_default = server_default});
    auto create = c.template fetch<std::tuple<std::optional<text>>>(
        runtime_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?"), t.name);
    if (!create.empty()) t.checks = table_checks(std::get<0>(create[0]).value_or(""));
    // A one-column INTEGER PRIMARY KEY is the rowid.
    std::size_t keys = 0;
    for (const live_column& col : t.columns) keys += col.primary_key ? 1 : 0;
    for (live_column& col : t.columns)
        col.generated = keys == 1 && col.primary_key && (col.type == "INTEGER" || col.type == "integer");
    for (auto& [index, unique, origin, partial] : c.template fetch<std::tuple<text, std::int64_t, text, std::int64_t>>(
             runtime_sql(R"(SELECT name, "unique", origin, partial FROM pragma_index_list(?) ORDER BY name)"), t.name)) {
        if (origin == "pk") continue;
        std::vector<std::string> columns;
        for (auto& [column] : c.template fetch<std::tuple<std::optional<text>>>(
                 runtime_sql("SELECT name FROM pragma_index_info(?) ORDER BY seqno"), index))
            columns.push_back(column.value_or(""));  // an expression has no name
        if (origin == "u") {
            if (columns.size() == 1)
                for (live_column& col : t.columns)
                    if (col.name == columns[0]) col.unique_constraint = index;
            continue;
        }
        auto sql = c.template fetch<std::tuple<std::optional<text>>>(
            runtime_sql("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?"), index);
        t.indexes.push_back({.name = index, .columns = std::move(columns), .unique = unique != 0,
                             .sql = sql.empty() ? text() : std::get<0>(sql[0]).value_or(""), .partial = partial != 0});
    }
    for (auto& [parent, from, to, on_update_text, on_delete_text] :
         c.template fetch<std::tuple<text, text, std::optional<text>, text, text>>(
             runtime_sql(R"(SELECT "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?))"),
             t.name))
        t.foreign_keys.push_back({.name = {}, .column = from, .references_table = parent,
                                  .references_column = to.value_or(""),
                                  .delete_action = referential_action_named(on_delete_text),
                                  .update_action = static_cast<on_update>(referential_action_named(on_update_text))});
    return t;
}

template <class Connection>
live_table inspect_postgresql_table(Connection& c, std::string name) {
    using text = std::string;
    live_table t{.name = std::move(name), .columns = {}, .indexes = {}, .foreign_keys = {}, .checks = {}};
    for (auto& [column, type, nullable, generated, server_default] :
         c.template fetch<std::tuple<text, text, text, bool, std::optional<text>>>(
             runtime_sql("SELECT column_name::text, data_type::text, is_nullable::text, "
                         "is_identity = 'YES' OR coalesce(column_default, '') LIKE 'nextval(%', column_default::text "
                         "FROM information_schema.columns "
                         "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"),
             t.name))
        t.columns.push_back({.name = column, .type = type, .nullable = nullable == "YES", .primary_key = false,
                             .generated = generated, .unique_constraint = {},
                             .server_default = generated ? std::nullopt : server_default});
    for (auto& [check, definition] : c.template fetch<std::tuple<text, text>>(
             runtime_sql("SELECT con.conname::text, pg_get_constraintdef(con.oid) FROM pg_constraint con "
                         "JOIN pg_class t ON t.oid = con.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
                         "WHERE n.nspname = current_schema() AND t.relname = $1 AND con.contype = 'c' ORDER BY 1"),
             t.name)) {
        std::string_view condition = definition;  // "CHECK (...)"
        if (condition.starts_with("CHECK ")) condition.remove_prefix(6);
        t.checks.push_back({.name = check, .condition = std::string(condition)});
    }
    // Keys, UNIQUE constraints and foreign keys, one row per constrained column.
    for (auto& [constraint, kind, column, parent, parent_column, on_delete_code, on_update_code, width] :
         c.template fetch<std::tuple<text, text, text, std::optional<text>, std::optional<text>, text, text, std::int64_t>>(
             runtime_sql("SELECT con.conname::text, con.contype::text, a.attname::text, parent.relname::text, "
                         "pa.attname::text, con.confdeltype::text, con.confupdtype::text, "
                         "cardinality(con.conkey)::bigint "
                         "FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid "
                         "JOIN pg_namespace n ON n.oid = t.relnamespace "
                         "JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord) ON true "
                         "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
                         "LEFT JOIN pg_class parent ON parent.oid = con.confrelid "
                         "LEFT JOIN pg_attribute pa ON pa.attrelid = con.confrelid AND pa.attnum = con.confkey[k.ord] "
                         "WHERE n.nspname = current_schema() AND t.relname = $1 AND con.contype IN ('p', 'u', 'f') "
                         "ORDER BY con.conname, k.ord"),
             t.name)) {
        live_column* col = nullptr;
        for (live_column& candidate : t.columns)
            if (candidate.name == column) col = &candidate;
        if (!col) continue;
        if (kind == "p") col->primary_key = true;
        else if (kind == "u" && width == 1) col->unique_constraint = constraint;
        else if (kind == "f")
            t.foreign_keys.push_back({.name = constraint, .column = column, .references_table = parent.value_or(""),
                                      .references_column = parent_column.value_or(""),
                                      .delete_action = referential_action_named(on_delete_code),
                                      .update_action = static_cast<on_update>(referential_action_named(on_update_code))});
    }
    // Indexes that no constraint owns.
    for (auto& [index, unique, column, partial] : c.template fetch<std::tuple<text, bool, std::optional<text>, bool>>(
             runtime_sql("SELECT i.relname::text, ix.indisunique, a.attname::text, ix.indpred IS NOT NULL "
                         "FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid "
                         "JOIN pg_class t ON t.oid = ix.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
                         "JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) ON true "
                         "LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
                         "WHERE n.nspname = current_schema() AND t.relname = $1 "
                         "AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid) "
                         "ORDER BY i.relname, k.ord"),
             t.name)) {
        if (t.indexes.empty() || t.indexes.back().name != index)
            t.indexes.push_back({.name = index, .columns = {}, .unique = unique, .sql = {}, .partial = partial});
        t.indexes.back().columns.push_back(column.value_or(""));
    }
    return t;
}

}  // namespace detail

// The live schema behind a connection: every table but SQLite's own (sqlite_*).
template <class Backend>
live_schema inspect(basic_connection<Backend>& c) {
    using text = std::string;
    live_schema schema;
    if constexpr (detail::is_sqlite_backend<Backend>) {
        for (auto& [name] : c.template fetch<std::tuple<text>>(
                 "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                 "ORDER BY name"))
            schema.tables.push_back(detail::inspect_sqlite_table(c, name));
    } else {
        for (auto& [name] : c.template fetch<std::tuple<text>>(
                 "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() "
                 "AND table_type = 'BASE TABLE' ORDER BY table_name"))
            schema.tables.push_back(detail::inspect_postgresql_table(c, name));
    }
    return schema;
}

template <class Backend>
live_schema inspect(const basic_engine<Backend>& bound) {
    auto c = bound.connect();
    return inspect(c);
}

}  // namespace structql

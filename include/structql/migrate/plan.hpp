#pragma once
// plan_migration<metadata<...>>(engine, options): the statements that turn the live schema into
// the models', as reviewable text (plan.sql()), refused with a migration_error when a change
// would lose data; plan.apply(engine) / migrate<metadata<...>>(engine, options) run them in one
// transaction. PostgreSQL alters in place; what SQLite cannot ALTER goes through its documented
// table rebuild (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema
// Changes"), keeping every row, index, trigger and foreign key.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "structql/detail/access.hpp"
#include "structql/detail/rows.hpp"
#include "structql/errors.hpp"
#include "structql/migrate/diff.hpp"
#include "structql/migrate/inspect.hpp"
#include "structql/sql/statements.hpp"

namespace structql {

// One statement of a plan; its values (a fill_with value) are bound, never spliced in.
struct migration_statement {
    std::string sql;
    std::vector<migration_value> parameters;
    friend bool operator==(const migration_statement&, const migration_statement&) = default;
};

class migration_plan;

namespace detail {
template <class Backend>
struct migration_planner;
template <class Backend>
migration_plan apply_migration(const basic_engine<Backend>& bound, std::span<const table_view> models,
                               const migration_options& options, const migration_plan* expected);
}  // namespace detail

class migration_plan {
public:
    const std::vector<schema_change>& changes() const noexcept { return changes_; }
    const std::vector<migration_statement>& statements() const noexcept { return statements_; }
    // What differs but stays, because migration_options::drop is off.
    const std::vector<std::string>& kept() const noexcept { return kept_; }
    bool empty() const noexcept { return statements_.empty(); }

    // The plan as text to review: the changes and what is kept as comments, then each statement
    // with its bound values in a comment.
    std::string sql() const;

    // Runs the plan in one transaction, after checking under the migration lock that the
    // database still needs exactly these statements (else a migration_error, nothing changed).
    template <class Backend>
    void apply(const basic_engine<Backend>& bound) const {
        detail::apply_migration(bound, models_, options_, this);
    }

private:
    template <class Backend>
    friend struct detail::migration_planner;

    std::span<const table_view> models_;
    migration_options options_;
    std::vector<schema_change> changes_;
    std::vector<migration_statement> statements_;
    std::vector<std::string> kept_;
    bool rebuilds_ = false;  // SQLite: a table is rebuilt, with foreign keys off
};

namespace detail {

// A value as a plan shows it (the statement binds it).
inline std::string show_value(const migration_value& value) {
    return std::visit(
        [](const auto& v) -> std::string {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, bool>) return v ? "true" : "false";
            else if constexpr (std::is_same_v<V, std::int64_t>) return std::to_string(v);
            else if constexpr (std::is_same_v<V, double>) return std::to_string(v);
            else if constexpr (std::is_same_v<V, std::string>) {
                std::string out = "'";
                for (char c : v) out += c == '\'' ? "''" : std::string(1, c);
                return out + "'";
            } else if constexpr (std::is_same_v<V, blob>) return "<" + std::to_string(v.size()) + " bytes>";
            else
                return "<timestamp " +
                       std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(v.time_since_epoch()).count()) +
                       " ns>";
        },
        value);
}

// What SQLite stores a column type as: a rebuild CASTs a changed column to it.
inline std::string_view sqlite_storage(column_type type) {
    switch (storage_column_type(type)) {
        case column_type::boolean:
        case column_type::integer: return "INTEGER";
        case column_type::real: return "REAL";
        case column_type::blob: return "BLOB";
        default: return "TEXT";
    }
}

template <class Backend>
struct migration_planner {
    using D = typename Backend::dialect;
    static constexpr bool sqlite = is_sqlite_backend<Backend>;

    basic_connection<Backend>& c;
    const live_schema& live;
    const migration_options& options;
    migration_plan& plan;

    static std::string quoted(std::string_view name) {
        runtime_text out;
        sql::write_identifier<D>(out, name);
        return std::move(out.text);
    }
    void add(std::string text, std::vector<migration_value> parameters = {}) {
        plan.statements_.push_back({std::move(text), std::move(parameters)});
    }
    std::int64_t count(const std::string& text) {
        auto rows = c.template fetch<std::tuple<std::int64_t>>(runtime_sql(text));
        return rows.empty() ? 0 : std::get<0>(rows[0]);
    }
    std::string placeholder() const {
        runtime_text out;
        D::write_placeholder(out);
        return std::move(out.text);
    }
    [[noreturn]] static void refuse(std::string_view t, std::string_view column, std::int64_t rows,
                                    std::string_view why) {
        std::string verb(why.substr(0, why.find(' ')));  // "hold": "1 row holds", "2 rows hold"
        throw migration_error("migration refused, nothing changed: table \"" + std::string(t) + "\" column \"" +
                              std::string(column) + "\": " + std::to_string(rows) + (rows == 1 ? " row " : " rows ") +
                              verb + (rows == 1 ? "s" : "") + std::string(why.substr(verb.size())));
    }
    bool changed(std::string_view t, std::string_view column, change_kind kind) const {
        for (const schema_change& ch : plan.changes_)
            if (ch.kind == kind && ch.table == t && ch.column == column) return true;
        return false;
    }
    std::string create_index(const table_view& t, const index_info& index) const {
        runtime_text out;
        sql::detail::write_create_index<D>(out, t, index, false);
        return std::move(out.text);
    }
    std::string column_list(const table_view& t, const index_info& index) const {
        std::string out;
        for (std::size_t k = 0; k < index.columns.size(); ++k)
            out += (k > 0 ? ", " : "") + quoted(t.columns[index.columns[k]].name);
        return out;
    }
    std::string column_definition(const table_view& t, std::size_t i, bool force_nullable = false) const {
        std::vector<column_info> columns(t.columns.begin(), t.columns.end());
        if (force_nullable) columns[i].nullable = true;
        table_view view = t;
        view.columns = columns;
        runtime_text out;
        sql::detail::write_column_definition<D>(out, view, i);
        return std::move(out.text);
    }
    // The live column the model's column i is (under its old name when renamed), or none.
    const live_column* source_of(const table_view& t, const live_table& lt, std::size_t i) const {
        std::string_view name = t.columns[i].name;
        if (const live_column* lc = lt.column(name)) return lc;
        std::string_view old_name = options.old_name_of(t.name, name);
        return old_name != name ? lt.column(old_name) : nullptr;
    }
    // Text inside '...': quotes doubled (an identifier passed to pg_get_serial_sequence).
    static std::string sql_literal_text(std::string_view text) {
        std::string out;
        for (char ch : text) out += ch == '\'' ? std::string("''") : std::string(1, ch);
        return out;
    }
    const migration_value* fill_of(const table_view& t, std::size_t i) const {
        const column_fill* f = options.fill_for(t.name, t.columns[i].name);
        return f ? &f->value : nullptr;
    }

    void run(std::span<const table_view> models) {
        plan.models_ = models;
        plan.options_ = options;
        plan.changes_ = diff_tables<D>(live, models, options);
        for (const table_view& t : models)
            if (!live.table(t.name)) {
                runtime_text out;
                sql::detail::write_create_table<D>(out, t);
                add(std::move(out.text));
                for (const index_info& index : t.indexes) add(create_index(t, index));
            }
        for (const table_view& t : models)
            if (const live_table* lt = live.table(t.name)) alter(t, *lt);
        for (const schema_change& ch : plan.changes_) {
            if (ch.kind != change_kind::table_dropped) continue;
            if (options.drop) add("DROP TABLE " + quoted(ch.table));
            else plan.kept_.push_back("table " + ch.table);
        }
    }

    // Refuses a change that would lose data or break a constraint, naming the rows.
    void check_data(const table_view& t, const live_table& lt, std::size_t i) {
        const column_info& col = t.columns[i];
        const live_column* lc = source_of(t, lt, i);
        const std::string table_name = quoted(t.name);
        if (!lc) {
            if (col.nullable || fill_of(t, i) || !col.server_default.empty()) return;  // the default fills them
            if (std::int64_t rows = count("SELECT count(*) FROM " + table_name))
                refuse(t.name, col.name, rows,
                       "exist and the new column is NOT NULL: give them a value with "
                       "migration_options::fills (fill_with<&Model::member>(value))");
            return;
        }
        const std::string column = quoted(lc->name);
        if (changed(t.name, col.name, change_kind::column_type_changed)) {
            std::string lost;
            if constexpr (sqlite) {
                if (sqlite_storage(col.type) != "BLOB")  // any value is kept as a BLOB
                    lost = "SELECT count(*) FROM " + table_name + " WHERE " + column + " IS NOT NULL AND CAST(" +
                           column + " AS " + std::string(sqlite_storage(col.type)) + ") IS NOT " + column;
            } else {
                // A text that is not a number counts as lost, rather than failing the cast.
                std::string pattern;
                if (lc->type == "text" || lc->type == "character varying") {
                    if (col.type == column_type::integer) pattern = "^[-+]?[0-9]+$";
                    if (col.type == column_type::real || col.type == column_type::decimal) pattern = "^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$";
                }
                std::string round_trip = "CAST(CAST(" + column + " AS " + std::string(D::type_name(col.type)) +
                                         ") AS " + lc->type + ") IS DISTINCT FROM " + column;
                lost = "SELECT count(*) FROM " + table_name + " WHERE " + column + " IS NOT NULL AND " +
                       (pattern.empty() ? round_trip
                                        : "CASE WHEN " + column + " ~ '" + pattern + "' THEN " + round_trip + " ELSE true END");
            }
            std::int64_t rows = 0;
            try {
                if (!lost.empty()) rows = count(lost);
            } catch (const migration_error&) {
                throw;
            } catch (const error& e) {
                throw migration_error("migration refused, nothing changed: table \"" + std::string(t.name) +
                                      "\" column \"" + std::string(col.name) + "\": its values do not convert from " +
                                      lc->type + " to " + std::string(D::type_name(col.type)) + ": " + e.what());
            }
            if (rows)
                refuse(t.name, col.name, rows,
                       "hold values that would not survive the change of type from " + lc->type + " to " +
                           std::string(D::type_name(col.type)) + " (narrowing); convert or clear them first");
        }
        if (changed(t.name, col.name, change_kind::column_nullability_changed) && !col.nullable && !fill_of(t, i))
            if (std::int64_t rows = count("SELECT count(*) FROM " + table_name + " WHERE " + column + " IS NULL"))
                refuse(t.name, col.name, rows,
                       "hold NULL and the model makes the column NOT NULL: give them a value with "
                       "migration_options::fills (fill_with<&Model::member>(value)), or update them first");
        if (changed(t.name, col.name, change_kind::unique_added))
            if (std::int64_t rows = count("SELECT count(*) FROM " + table_name + " WHERE " + column +
                                          " IN (SELECT " + column + " FROM " + table_name + " GROUP BY " + column +
                                          " HAVING count(*) > 1)"))
                refuse(t.name, col.name, rows, "share their value with another row and the model makes the column UNIQUE");
        if (changed(t.name, col.name, change_kind::foreign_key_added)) {
            std::string orphans = "SELECT count(*) FROM " + table_name + " WHERE " + column + " IS NOT NULL";
            if (live.table(col.references_table))
                orphans += " AND NOT EXISTS (SELECT 1 FROM " + quoted(col.references_table) + " p WHERE p." +
                           quoted(col.references_column) + " = " + table_name + "." + column + ")";
            if (std::int64_t rows = count(orphans))
                refuse(t.name, col.name, rows,
                       "reference no row of \"" + std::string(col.references_table) +
                           "\" and the model makes the column a foreign key; fix or clear them first");
        }
    }

    // Refuses a unique index over duplicates, a check over rows that fail it. Over a column the
    // table does not have yet (added or renamed by this plan) they cannot be counted before: the
    // database's own validation of the new constraint then fails the migration as a whole.
    void check_table_data(const table_view& t, const live_table& lt) {
        const std::string table_name = quoted(t.name);
        // Whether a condition names a column the table does not have yet, as a word.
        auto names_new_column = [&](std::string_view condition) {
            for (const column_info& col : t.columns) {
                if (lt.column(col.name)) continue;
                for (std::size_t at = condition.find(col.name); at != std::string_view::npos;
                     at = condition.find(col.name, at + 1)) {
                    const std::size_t end = at + col.name.size();
                    if ((at == 0 || !sql::detail::is_name_char(condition[at - 1])) &&
                        (end == condition.size() || !sql::detail::is_name_char(condition[end])))
                        return true;
                }
            }
            return false;
        };
        for (const index_info& index : t.indexes) {
            if (!index.unique || !changed(t.name, index.name, change_kind::index_added)) continue;
            bool columns_there = true;  // else CREATE UNIQUE INDEX itself refuses duplicates
            for (std::size_t c : index.columns) columns_there = columns_there && lt.column(t.columns[c].name);
            if (!columns_there) continue;
            const std::string columns = column_list(t, index);
            std::string not_null;
            for (std::size_t k = 0; k < index.columns.size(); ++k)
                not_null += (k > 0 ? " AND " : "") + quoted(t.columns[index.columns[k]].name) + " IS NOT NULL";
            if (!index.predicate.empty()) {  // a partial index: only its rows need be unique
                if (names_new_column(index.predicate)) continue;
                not_null += " AND (" + std::string(index.predicate) + ")";
            }
            if (std::int64_t rows = count("SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM " + table_name +
                                          " WHERE " + not_null + " GROUP BY " + columns + " HAVING count(*) > 1) d"))
                throw migration_error("migration refused, nothing changed: table \"" + std::string(t.name) +
                                      "\" unique constraint \"" + std::string(index.name) + "\": " + std::to_string(rows) +
                                      " rows share their values of (" + columns + ") with another row");
        }
        for (const check_info& check : t.checks) {
            if (!changed(t.name, check.name, change_kind::check_added) || names_new_column(check.condition)) continue;
            if (std::int64_t rows = count("SELECT count(*) FROM " + table_name + " WHERE NOT (" + std::string(check.condition) + ")"))
                throw migration_error("migration refused, nothing changed: table \"" + std::string(t.name) + "\" check \"" +
                                      std::string(check.name) + "\": " + std::to_string(rows) +
                                      (rows == 1 ? " row fails " : " rows fail ") + std::string(check.condition) +
                                      "; fix or clear them first");
        }
    }

    void alter(const table_view& t, const live_table& lt) {
        bool any = false;
        for (const schema_change& ch : plan.changes_) any = any || ch.table == t.name;
        if (!any) return;
        for (std::size_t i = 0; i < t.columns.size(); ++i) check_data(t, lt, i);
        check_table_data(t, lt);
        if constexpr (sqlite) {
            if (needs_rebuild(t, lt)) rebuild(t, lt);
            else alter_in_place(t, lt);
        } else {
            alter_in_place(t, lt);
        }
    }

    // Whether SQLite's ALTER TABLE cannot make the change: anything but a rename, a nullable
    // new column, an index, and a dropped column that is kept.
    bool needs_rebuild(const table_view& t, const live_table& lt) const {
        for (const schema_change& ch : plan.changes_) {
            if (ch.table != t.name) continue;
            switch (ch.kind) {
                case change_kind::column_added:  // SQLite adds no column with a default that is not constant
                    for (const column_info& col : t.columns)
                        if (col.name == ch.column && (!col.nullable || col.unique || col.primary_key || !col.server_default.empty()))
                            return true;
                    break;
                case change_kind::column_dropped:
                case change_kind::check_dropped:
                    if (options.drop) return true;
                    break;
                case change_kind::foreign_key_added: {  // a new nullable column brings its own
                    std::size_t i = 0;
                    while (i < t.columns.size() && t.columns[i].name != ch.column) ++i;
                    if (i < t.columns.size() && source_of(t, lt, i)) return true;
                    break;
                }
                case change_kind::key_generation_added:
                case change_kind::column_type_changed:
                case change_kind::column_nullability_changed:
                case change_kind::unique_added:
                case change_kind::unique_dropped:
                case change_kind::check_added:
                case change_kind::column_default_changed:
                case change_kind::foreign_key_dropped: return true;
                default: break;
            }
        }
        return false;
    }

    // Indexes no model has: dropped first (before the columns they cover), or kept; one the
    // model changed is dropped to be created again.
    void drop_indexes(const table_view& t) {
        for (const schema_change& ch : plan.changes_) {
            if (ch.table != t.name || ch.kind != change_kind::index_dropped) continue;
            if (options.drop || model_index(t, ch.column)) add("DROP INDEX " + quoted(ch.column));
            else plan.kept_.push_back("index " + ch.column + " on " + ch.table);
        }
    }
    void create_indexes(const table_view& t) {
        for (const index_info& index : t.indexes)
            if (changed(t.name, index.name, change_kind::index_added)) add(create_index(t, index));
    }

    // ALTER TABLE statements: every change on PostgreSQL; on SQLite, only what needs no rebuild.
    void alter_in_place(const table_view& t, const live_table& lt) {
        const std::string table_name = quoted(t.name);
        const std::string alter_table = "ALTER TABLE " + table_name + " ";
        for (const schema_change& ch : plan.changes_)
            if (ch.table == t.name && ch.kind == change_kind::column_renamed)
                add(alter_table + "RENAME COLUMN " + quoted(ch.from) + " TO " + quoted(ch.to));
        drop_indexes(t);
        if constexpr (!sqlite) {
            for (const schema_change& ch : plan.changes_) {
                if (ch.table != t.name) continue;
                if (ch.kind == change_kind::foreign_key_dropped)
                    if (const live_foreign_key* f = lt.foreign_key_of(options.old_name_of(t.name, ch.column)))
                        add(alter_table + "DROP CONSTRAINT " + quoted(f->name));
                if (ch.kind == change_kind::unique_dropped) add(alter_table + "DROP CONSTRAINT " + quoted(ch.from));
                if (ch.kind == change_kind::check_dropped) {
                    if (options.drop) add(alter_table + "DROP CONSTRAINT " + quoted(ch.column));
                    else plan.kept_.push_back("check " + ch.column + " on " + ch.table);
                }
            }
        } else {
            for (const schema_change& ch : plan.changes_)  // no rebuild: drop is off
                if (ch.table == t.name && ch.kind == change_kind::check_dropped)
                    plan.kept_.push_back("check " + describe_check(ch.column, ch.from) + " on " + ch.table);
        }
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            const column_info& col = t.columns[i];
            const std::string column = quoted(col.name);
            const migration_value* fill = fill_of(t, i);
            if (!source_of(t, lt, i)) {
                if (!col.nullable && fill) {  // PostgreSQL: SQLite rebuilds for a NOT NULL column
                    add(alter_table + "ADD COLUMN " + column_definition(t, i, true));
                    add("UPDATE " + table_name + " SET " + column + " = " + placeholder(), {*fill});
                    add(alter_table + "ALTER COLUMN " + column + " SET NOT NULL");
                } else {
                    add(alter_table + "ADD COLUMN " + column_definition(t, i));
                }
                continue;
            }
            if constexpr (!sqlite) {
                if (changed(t.name, col.name, change_kind::column_type_changed)) {
                    std::string type(D::type_name(col.type));
                    add(alter_table + "ALTER COLUMN " + column + " TYPE " + type + " USING CAST(" + column + " AS " +
                        type + ")");
                }
                if (changed(t.name, col.name, change_kind::column_nullability_changed)) {
                    if (!col.nullable && fill)
                        add("UPDATE " + table_name + " SET " + column + " = " + placeholder() + " WHERE " + column +
                            " IS NULL", {*fill});
                    add(alter_table + "ALTER COLUMN " + column + (col.nullable ? " DROP NOT NULL" : " SET NOT NULL"));
                }
                if (changed(t.name, col.name, change_kind::key_generation_added)) {
                    // Numbering goes on after the largest key already there.
                    add(alter_table + "ALTER COLUMN " + column + " ADD GENERATED BY DEFAULT AS IDENTITY");
                    add("SELECT setval(pg_get_serial_sequence('" + sql_literal_text(table_name) + "', '" +
                        sql_literal_text(col.name) + "'), coalesce(max(" + column + "), 0) + 1, false) FROM " + table_name);
                }
                if (changed(t.name, col.name, change_kind::column_default_changed))
                    add(alter_table + "ALTER COLUMN " + column +
                        (col.server_default.empty() ? " DROP DEFAULT" : " SET DEFAULT (" + std::string(col.server_default) + ")"));
                if (changed(t.name, col.name, change_kind::unique_added)) add(alter_table + "ADD UNIQUE (" + column + ")");
                if (changed(t.name, col.name, change_kind::foreign_key_added)) {
                    runtime_text out;
                    out.append(alter_table + "ADD FOREIGN KEY (" + column + ")");
                    sql::detail::write_references<D>(out, col);
                    add(std::move(out.text));
                }
            }
        }
        for (const schema_change& ch : plan.changes_) {
            if (ch.table != t.name || ch.kind != change_kind::column_dropped) continue;
            if (options.drop) add(alter_table + "DROP COLUMN " + quoted(ch.column));
            else plan.kept_.push_back("column " + ch.table + "." + ch.column);
        }
        if constexpr (!sqlite)
            for (const check_info& check : t.checks)
                if (changed(t.name, check.name, change_kind::check_added))
                    add(alter_table + "ADD CONSTRAINT " + quoted(check.name) + " CHECK (" + std::string(check.condition) + ")");
        create_indexes(t);
    }

    // SQLite's twelve steps, within the migration's transaction (apply_migration turns foreign
    // keys off before it and checks them before COMMIT): create the new table under another
    // name, copy the rows, drop the old table (and, for the rename, the views), rename the new one,
    // create indexes, triggers and views again.
    void rebuild(const table_view& t, const live_table& lt) {
        plan.rebuilds_ = true;
        const std::string table_name = quoted(t.name);
        const std::string new_name = quoted("_structql_new_" + std::string(t.name));
        std::vector<const live_column*> kept_columns;  // in the database, in no model, not dropped
        for (const schema_change& ch : plan.changes_)
            if (ch.table == t.name && ch.kind == change_kind::column_dropped) {
                if (options.drop) continue;
                kept_columns.push_back(lt.column(ch.column));
                plan.kept_.push_back("column " + ch.table + "." + ch.column);
            }
        std::string create = "CREATE TABLE " + new_name + " (";
        std::string columns, values;
        std::vector<migration_value> parameters;
        auto copy = [&](std::string_view target, const std::string& value) {
            columns += (columns.empty() ? "" : ", ") + quoted(target);
            values += (values.empty() ? "" : ", ") + value;
        };
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            const column_info& col = t.columns[i];
            create += (i > 0 ? ", " : "") + column_definition(t, i);
            const live_column* lc = source_of(t, lt, i);
            const migration_value* fill = fill_of(t, i);
            if (!lc) {
                if (fill) {
                    copy(col.name, "?");
                    parameters.push_back(*fill);
                }
                continue;
            }
            std::string value = quoted(lc->name);
            if (changed(t.name, col.name, change_kind::column_type_changed))
                value = "CAST(" + value + " AS " + std::string(sqlite_storage(col.type)) + ")";
            if (fill && !col.nullable && lc->nullable) {
                value = "COALESCE(" + value + ", ?)";
                parameters.push_back(*fill);
            }
            copy(col.name, value);
        }
        for (const live_column* lc : kept_columns) {
            create += ", " + quoted(lc->name) + " " + lc->type + (lc->nullable ? "" : " NOT NULL");
            copy(lc->name, quoted(lc->name));
        }
        if (t.key_columns.size() > 1) {
            create += ", PRIMARY KEY (";
            for (std::size_t k = 0; k < t.key_columns.size(); ++k)
                create += (k > 0 ? ", " : "") + quoted(t.columns[t.key_columns[k]].name);
            create += ")";
        }
        for (const check_info& check : t.checks)
            create += ", CONSTRAINT " + quoted(check.name) + " CHECK (" + std::string(check.condition) + ")";
        for (const live_check& check : lt.checks)  // a check no model has, kept (its condition in parentheses)
            if (!options.drop && (check.name.empty() || !model_has_check(t, check.name))) {
                create += ", " + (check.name.empty() ? "" : "CONSTRAINT " + quoted(check.name) + " ") + "CHECK " +
                          check.condition;
                plan.kept_.push_back("check " + describe_check(check.name, check.condition) + " on " + std::string(t.name));
            }
        add(create + ")");
        add("INSERT INTO " + new_name + " (" + columns + ") SELECT " + values + " FROM " + table_name,
            std::move(parameters));
        auto triggers = c.template fetch<std::tuple<std::string>>(
            runtime_sql("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND sql IS NOT NULL"),
            std::string(t.name));
        // A view naming the table stops the rename ("error in view"): dropped, then created again.
        auto views = c.template fetch<std::tuple<std::string, std::string>>(
            "SELECT name, sql FROM sqlite_master WHERE type = 'view' AND sql IS NOT NULL ORDER BY rowid");
        for (auto& [view, view_sql] : views) add("DROP VIEW " + quoted(view));
        add("DROP TABLE " + table_name);
        add("ALTER TABLE " + new_name + " RENAME TO " + table_name);
        for (const index_info& index : t.indexes) add(create_index(t, index));
        for (const live_index& index : lt.indexes) {
            if (model_index(t, index.name) || index.sql.empty()) continue;
            if (options.drop) continue;  // listed as index_dropped: gone with the old table
            add(index.sql);
            plan.kept_.push_back("index " + index.name + " on " + std::string(t.name));
        }
        for (auto& [trigger] : triggers) add(trigger);
        for (auto& [view, view_sql] : views) add(view_sql);
    }
};

// The plan for the live schema behind c.
template <class Backend>
migration_plan make_plan(basic_connection<Backend>& c, std::span<const table_view> models,
                         const migration_options& options) {
    migration_plan plan;
    live_schema live = inspect(c);
    migration_planner<Backend>{c, live, options, plan}.run(models);
    return plan;
}

// PostgreSQL: one migrator at a time per schema, until the transaction ends. (SQLite: BEGIN
// IMMEDIATE already holds the database's write lock.)
template <class Backend>
void take_migration_lock(basic_connection<Backend>& c) {
    if constexpr (!is_sqlite_backend<Backend>)
        (void)c.template fetch<std::tuple<std::int64_t>>(
            "SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.structql_migrations'))) AS l");
}

template <class Statement>
void bind_migration_values(Statement& statement, const std::vector<migration_value>& values) {
    int index = 1;
    for (const migration_value& value : values) {
        std::visit([&](const auto& v) { statement.bind(index, v); }, value);
        ++index;
    }
}

template <class Backend>
migration_plan apply_migration(const basic_engine<Backend>& bound, std::span<const table_view> models,
                               const migration_options& options, const migration_plan* expected) {
    auto c = bound.connect();
    auto& raw = access::backend_connection(c);
    // SQLite: PRAGMA foreign_keys is a no-op inside a transaction; off before it, on after.
    bool foreign_keys_on = false;
    if constexpr (is_sqlite_backend<Backend>) {
        auto rows = c.template fetch<std::tuple<std::int64_t>>("PRAGMA foreign_keys");
        foreign_keys_on = !rows.empty() && std::get<0>(rows[0]) == 1;
        if (foreign_keys_on) c.execute("PRAGMA foreign_keys=OFF");
    }
    auto restore = [&] {
        if (foreign_keys_on) c.execute("PRAGMA foreign_keys=ON");
    };
    migration_plan plan;
    try {
        raw.begin_write();
        take_migration_lock(c);
        plan = make_plan(c, models, options);
        if (expected && plan.statements() != expected->statements())
            throw migration_error(
                "migration refused, nothing changed: the database schema changed since the plan was made (another "
                "migrator?); make a new plan");
        for (const migration_statement& statement : plan.statements()) {
            if (statement.parameters.empty()) raw.execute(statement.sql);
            else
                run_write(raw, statement.sql, true,
                          [&](auto& prepared) { bind_migration_values(prepared, statement.parameters); });
        }
        if constexpr (is_sqlite_backend<Backend>) {
            if (foreign_keys_on && !plan.statements().empty()) {
                auto broken = c.template fetch<std::tuple<std::string, std::string, std::int64_t>>(
                    R"(SELECT "table", parent, count(*) FROM pragma_foreign_key_check GROUP BY "table", parent)");
                if (!broken.empty()) {
                    auto& [child, parent, rows] = broken[0];
                    throw migration_error("migration refused, nothing changed: " + std::to_string(rows) +
                                          (rows == 1 ? " row" : " rows") + " of table \"" + child +
                                          "\" would reference no row of \"" + parent + "\" (PRAGMA foreign_key_check)");
                }
            }
        }
        raw.commit();
    } catch (...) {
        if (raw.in_transaction()) raw.rollback();
        restore();
        throw;
    }
    restore();
    // PostgreSQL: statements prepared on the pool's connections may describe the old columns.
    if constexpr (!is_sqlite_backend<Backend>)
        if (!plan.empty()) basic_engine<Backend>(bound).dispose();
    return plan;
}

}  // namespace detail

inline std::string migration_plan::sql() const {
    std::string out;
    for (const schema_change& change : changes_) out += "-- " + to_string(change) + "\n";
    for (const std::string& k : kept_) out += "-- kept (migration_options::drop is off): " + k + "\n";
    if (statements_.empty()) out += "-- nothing to do: the database matches the models\n";
    for (const migration_statement& statement : statements_) {
        out += statement.sql + ";";
        for (std::size_t i = 0; i < statement.parameters.size(); ++i)
            out += (i == 0 ? "  -- values: " : ", ") + detail::show_value(statement.parameters[i]);
        out += "\n";
    }
    return out;
}

// The plan that makes the database behind the engine match the models of Metadata
// (structql::metadata<Models...>). Reads the database, changes nothing; a change that would lose
// data throws migration_error naming the table, the column and the rows.
template <class Metadata, class Backend>
migration_plan plan_migration(const basic_engine<Backend>& bound, const migration_options& options = {}) {
    auto c = bound.connect();
    migration_plan plan = detail::make_plan(c, detail::metadata_tables<Metadata>::views, options);
    return plan;
}

// Plans and applies in one transaction, under the migration lock: a second migrator starting at
// the same time waits, then finds nothing to do. Returns the plan it ran.
template <class Metadata, class Backend>
migration_plan migrate(const basic_engine<Backend>& bound, const migration_options& options = {}) {
    return detail::apply_migration(bound, detail::metadata_tables<Metadata>::views, options, nullptr);
}

}  // namespace structql

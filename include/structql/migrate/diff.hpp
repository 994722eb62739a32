#pragma once
// diff: what differs between a live schema (migrate/inspect.hpp) and the tables of
// metadata<Models...>, as a list of typed changes; and the options a migration takes: whether
// it may drop, which columns were renamed, what value existing rows get in a NOT NULL column.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

#include "structql/metadata.hpp"
#include "structql/migrate/inspect.hpp"
#include "structql/reflect/names.hpp"
#include "structql/schema/table.hpp"

namespace structql {

enum class change_kind {
    table_added,                 // a model's table is not in the database
    table_dropped,               // a table in the database belongs to no model
    column_added,
    column_dropped,              // a column in the database belongs to no member
    column_renamed,              // only with a renamed_from<&Model::member>(old) hint
    column_type_changed,
    column_nullability_changed,  // to: "NULL" or "NOT NULL"
    unique_added,
    unique_dropped,
    index_added,
    index_dropped,
    foreign_key_added,           // a changed foreign key is dropped and added again
    foreign_key_dropped,
    key_generation_added,        // the model's integer key is numbered by the database; the table's is not
    check_added,                 // column: the check's name
    check_dropped,
    column_default_changed,      // from / to: the server defaults' SQL, empty for none
};

struct schema_change {
    change_kind kind;
    std::string table;
    std::string column;  // empty for a table; the index's or the check's name for those
    std::string from;    // what the database has (type, old name, nullability)
    std::string to;      // what the model wants
};

// A value a migration writes, bound as a parameter (the storage types).
using migration_value = std::variant<bool, std::int64_t, double, std::string, blob, timestamp>;

struct column_rename {
    std::string_view table;
    std::string_view column;    // the member's column
    std::string old_name;       // what the database calls it
};

struct column_fill {
    std::string_view table;
    std::string_view column;
    migration_value value;
};

// renamed_from<&Pessoa::nome>("name"): the database's column "name" is the member nome's, kept
// with its data (otherwise a new column is added and, with .drop, the old one dropped).
template <auto Member>
column_rename renamed_from(std::string_view old_name) {
    using model = typename detail::member_pointer_traits<decltype(Member)>::model;
    return {table<model>::name, detail::member_name<model, detail::member_index(Member)>(), std::string(old_name)};
}

// fill_with<&Pessoa::idade>(0): the value existing rows get when the column becomes NOT NULL
// (added as such, or made so over rows holding NULL). Typed by the member, bound as a parameter.
template <auto Member, class V>
column_fill fill_with(const V& value) {
    using model = typename detail::member_pointer_traits<decltype(Member)>::model;
    using member_value = typename detail::column_layers<typename detail::member_pointer_traits<decltype(Member)>::member>::value_type;
    static_assert(std::is_convertible_v<const V&, member_value>,
                  "StructQL: fill_with<&Model::member>(value): the value does not convert to the member's type "
                  "(Member and V in the instantiation name them)");
    if constexpr (std::is_convertible_v<const V&, member_value>) {
        const member_value converted = value;
        return {table<model>::name, detail::member_name<model, detail::member_index(Member)>(),
                migration_value(value_traits<member_value>::to_storage(converted))};
    } else {
        return {};
    }
}

struct migration_options {
    // Drop tables, columns and indexes that no model has. Off: they are kept, and listed in
    // the plan as kept.
    bool drop = false;
    std::vector<column_rename> renames;
    std::vector<column_fill> fills;

    const column_fill* fill_for(std::string_view table_name, std::string_view column) const {
        for (const column_fill& f : fills)
            if (f.table == table_name && f.column == column) return &f;
        return nullptr;
    }
    // The database's name for the model's column: its old name when renamed.
    std::string_view old_name_of(std::string_view table_name, std::string_view column) const {
        for (const column_rename& r : renames)
            if (r.table == table_name && r.column == column) return r.old_name;
        return column;
    }
};

// The version table of numbered migrations (migrate/versions.hpp): never a model's to drop.
inline constexpr std::string_view migrations_table = "structql_migrations";

namespace detail {

template <class Metadata>
struct metadata_tables {
    static_assert(sizeof(Metadata) == 0,
                  "StructQL: plan_migration<M> / migrate<M> / diff<M> take the models as structql::metadata<Models...>");
};
// The models' tables, parents first.
template <class... Models>
struct metadata_tables<metadata<Models...>> {
    static constexpr std::array<table_view, sizeof...(Models)> views = [] {
        constexpr std::array<table_view, sizeof...(Models)> listed{table<Models>::view...};
        std::array<table_view, sizeof...(Models)> ordered{};
        for (std::size_t i = 0; i < sizeof...(Models); ++i) ordered[i] = listed[metadata<Models...>::creation_order[i]];
        return ordered;
    }();
};

inline bool same_letters(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i] >= 'a' && a[i] <= 'z' ? static_cast<char>(a[i] - 'a' + 'A') : a[i];
        char y = b[i] >= 'a' && b[i] <= 'z' ? static_cast<char>(b[i] - 'a' + 'A') : b[i];
        if (x != y) return false;
    }
    return true;
}

// Whether the database's type is the one the dialect writes for the column.
template <class D>
bool same_type(std::string_view live, column_type type) {
    std::string_view wanted = D::type_name(type);
    if (same_letters(live, wanted)) return true;
    // information_schema's spelling
    return (wanted == "TIMESTAMPTZ" && live == "timestamp with time zone") ||
           (wanted == "TIME" && live == "time without time zone");
}

// An index of the model, compared with the database's of the same name: same columns, in
// order, the same uniqueness, partial or not. A partial index's condition is not compared
// (PostgreSQL rewrites its text): as for a check, a changed condition needs a new name.
inline bool same_index(const table_view& t, const index_info& index, const live_index& live) {
    if (index.unique != live.unique || index.columns.size() != live.columns.size() ||
        index.predicate.empty() == live.partial)
        return false;
    for (std::size_t k = 0; k < index.columns.size(); ++k)
        if (t.columns[index.columns[k]].name != live.columns[k]) return false;
    return true;
}
inline const index_info* model_index(const table_view& t, std::string_view name) {
    for (const index_info& index : t.indexes)
        if (index.name == name) return &index;
    return nullptr;
}
inline bool model_has_check(const table_view& t, std::string_view name) {
    for (const check_info& check : t.checks)
        if (check.name == name) return true;
    return false;
}
// A check as a migration's messages name it: its name, or an unnamed one's condition.
inline std::string describe_check(std::string_view name, std::string_view condition) {
    return name.empty() ? "CHECK " + std::string(condition) : std::string(name);
}

// A server default's SQL, as comparable text: PostgreSQL shows DEFAULT ('draft') as
// 'draft'::text, DEFAULT (0) on a float as '0'::double precision. Casts, spaces and enclosing
// parentheses are dropped, letters outside literals lower-cased, a quoted number unquoted.
inline std::string comparable_default(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        if (text[i] == '\'') {
            std::size_t end = sql::detail::skip_quoted(text, i);
            out.append(text.substr(i, end - i));
            i = end;
        } else if (text.substr(i, 2) == "::") {  // ::text, ::character varying, ::timestamp with time zone
            i += 2;
            while (i < text.size() && (sql::detail::is_name_char(text[i]) || text[i] == ' ' || text[i] == '"')) ++i;
        } else {
            const char c = text[i++];
            if (c != ' ') out += c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
        }
    }
    auto encloses_all = [&] {
        if (out.size() < 2 || out.front() != '(' || out.back() != ')') return false;
        int depth = 0;
        for (std::size_t i = 0; i < out.size(); ++i) {
            if (std::size_t end = sql::detail::skip_quoted(out, i); end != i) {
                i = end - 1;
                continue;
            }
            depth += out[i] == '(' ? 1 : out[i] == ')' ? -1 : 0;
            if (depth == 0 && i + 1 < out.size()) return false;
        }
        return true;
    };
    bool changed = true;
    while (changed) {
        changed = false;
        if (encloses_all()) {
            out = out.substr(1, out.size() - 2);
            changed = true;
        }
        if (out.size() > 2 && out.front() == '\'' && out.back() == '\'' &&
            out.find_first_not_of("-+.0123456789e", 1) == out.size() - 1) {
            out = out.substr(1, out.size() - 2);
            changed = true;
        }
    }
    return out;
}

inline bool is_generated_key(const table_view& t, std::size_t i) {
    return t.generated_primary_key && i == t.primary_key_index;
}

// A foreign key as the model declares it, compared with the database's.
inline bool same_reference(const column_info& c, const live_foreign_key& f) {
    return c.references_table == f.references_table && c.references_column == f.references_column &&
           c.delete_action == f.delete_action && c.update_action == f.update_action;
}

template <class D>
std::vector<schema_change> diff_tables(const live_schema& live, std::span<const table_view> models,
                                       const migration_options& options) {
    std::vector<schema_change> changes;
    auto add = [&](change_kind kind, std::string_view t, std::string_view column, std::string_view from = {},
                   std::string_view to = {}) {
        changes.push_back({kind, std::string(t), std::string(column), std::string(from), std::string(to)});
    };
    for (const table_view& t : models) {
        const live_table* lt = live.table(t.name);
        if (!lt) {
            add(change_kind::table_added, t.name, {});
            continue;
        }
        std::vector<std::string_view> matched;  // live columns the model's claim
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
            const column_info& c = t.columns[i];
            std::string_view old_name = options.old_name_of(t.name, c.name);
            const live_column* lc = lt->column(c.name);
            if (!lc && old_name != c.name && (lc = lt->column(old_name)))
                add(change_kind::column_renamed, t.name, c.name, old_name, c.name);
            if (!lc) {
                add(change_kind::column_added, t.name, c.name, {}, D::type_name(c.type));
                if (!c.references_table.empty()) add(change_kind::foreign_key_added, t.name, c.name, {}, c.references_table);
                continue;
            }
            matched.push_back(lc->name);
            if (!same_type<D>(lc->type, c.type) && !(is_generated_key(t, i) && same_letters(lc->type, "INTEGER")))
                add(change_kind::column_type_changed, t.name, c.name, lc->type, D::type_name(c.type));
            if (is_generated_key(t, i) && !lc->generated)
                add(change_kind::key_generation_added, t.name, c.name, lc->type, D::generated_primary_key);
            // SQLite's INTEGER PRIMARY KEY is the rowid: never NULL, though not declared so.
            if (!is_generated_key(t, i) && lc->nullable != c.nullable)
                add(change_kind::column_nullability_changed, t.name, c.name, lc->nullable ? "NULL" : "NOT NULL",
                    c.nullable ? "NULL" : "NOT NULL");
            const std::string live_default = lc->server_default.value_or("");
            if (!is_generated_key(t, i) && comparable_default(live_default) != comparable_default(c.server_default))
                add(change_kind::column_default_changed, t.name, c.name, live_default, c.server_default);
            const bool unique = c.unique && !t.is_key(i);
            if (unique && lc->unique_constraint.empty()) add(change_kind::unique_added, t.name, c.name);
            if (!unique && !lc->unique_constraint.empty())
                add(change_kind::unique_dropped, t.name, c.name, lc->unique_constraint);
            const live_foreign_key* f = lt->foreign_key_of(lc->name);
            if (f && (c.references_table.empty() || !same_reference(c, *f)))
                add(change_kind::foreign_key_dropped, t.name, c.name, f->references_table);
            if (!c.references_table.empty() && (!f || !same_reference(c, *f)))
                add(change_kind::foreign_key_added, t.name, c.name, {}, c.references_table);
        }
        for (const live_column& lc : lt->columns) {
            bool claimed = false;
            for (std::string_view m : matched) claimed = claimed || m == lc.name;
            if (!claimed) add(change_kind::column_dropped, t.name, lc.name, lc.type);
        }
        // Indexes by name: a changed one is dropped and created again.
        for (const live_index& index : lt->indexes) {
            const index_info* wanted = model_index(t, index.name);
            if (!wanted || !same_index(t, *wanted, index)) add(change_kind::index_dropped, t.name, index.name);
        }
        for (const index_info& index : t.indexes) {
            bool found = false;
            for (const live_index& live_one : lt->indexes) found = found || (live_one.name == index.name && same_index(t, index, live_one));
            if (!found) {
                std::string columns = index.unique ? "UNIQUE (" : "(";
                for (std::size_t k = 0; k < index.columns.size(); ++k)
                    columns += (k > 0 ? ", " : "") + std::string(t.columns[index.columns[k]].name);
                columns += ")";
                if (!index.predicate.empty()) columns.append(" WHERE (").append(index.predicate).append(")");
                add(change_kind::index_added, t.name, index.name, {}, columns);
            }
        }
        // Checks by name (PostgreSQL rewrites a condition's text): a changed condition needs a new
        // name. A model's checks are named, so an unnamed one (SQLite) is in no model.
        for (const live_check& check : lt->checks)
            if (check.name.empty() || !model_has_check(t, check.name))
                add(change_kind::check_dropped, t.name, check.name, check.condition);
        for (const check_info& check : t.checks) {
            bool found = false;
            for (const live_check& live_one : lt->checks) found = found || live_one.name == check.name;
            if (!found) add(change_kind::check_added, t.name, check.name, {}, check.condition);
        }
    }
    for (const live_table& lt : live.tables) {
        bool modelled = lt.name == migrations_table;
        for (const table_view& t : models) modelled = modelled || t.name == lt.name;
        if (!modelled) add(change_kind::table_dropped, lt.name, {});
    }
    return changes;
}

}  // namespace detail

// The changes that make the live schema the models': diff<metadata<A, B>, sqlite_dialect>(live).
template <class Metadata, class Dialect>
std::vector<schema_change> diff(const live_schema& live, const migration_options& options = {}) {
    return detail::diff_tables<Dialect>(live, detail::metadata_tables<Metadata>::views, options);
}

// "column_type_changed pessoas.idade: TEXT -> INTEGER"
inline std::string to_string(const schema_change& change) {
    static constexpr std::string_view names[] = {
        "table_added",   "table_dropped",  "column_added",   "column_dropped",  "column_renamed",
        "column_type_changed", "column_nullability_changed", "unique_added", "unique_dropped",
        "index_added",   "index_dropped",  "foreign_key_added", "foreign_key_dropped", "key_generation_added",
        "check_added",   "check_dropped",  "column_default_changed"};
    std::string out(names[static_cast<std::size_t>(change.kind)]);
    out += ' ';
    out += change.table;
    if (!change.column.empty()) out += "." + change.column;
    if (!change.from.empty() || !change.to.empty()) out += ": " + change.from + " -> " + change.to;
    return out;
}

}  // namespace structql

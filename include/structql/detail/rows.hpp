#pragma once
// Moving one model object in and out of a prepared statement: binding its members as
// parameters and reading a result row into them, through value_traits, for any backend
// statement type. Errors name the table, the column and the statement.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/pfr/core.hpp>

#include "structql/detail/function_ref.hpp"
#include "structql/detail/linkage.hpp"
#include "structql/errors.hpp"
#include "structql/schema/table.hpp"

namespace structql::detail {

template <class Statement, class V>
void bind_value(Statement& statement, int index, const V& value) {
    if constexpr (std::is_base_of_v<column_wrapper_tag, V>) {
        bind_value(statement, index, value.value);
    } else if constexpr (is_optional<V>::value) {
        if (value) bind_value(statement, index, *value);
        else statement.bind_null(index);
    } else {
        statement.bind(index, value_traits<V>::to_storage(value));
    }
}

template <class Statement, class V>
void read_value(const Statement& statement, int column, V& out) {
    if constexpr (std::is_base_of_v<column_wrapper_tag, V>) {
        read_value(statement, column, out.value);
    } else if constexpr (is_optional<V>::value) {
        if (statement.is_null(column)) {
            out.reset();
        } else {
            if (!out) out.emplace();
            read_value(statement, column, *out);
        }
    } else {
        if (statement.is_null(column))
            throw conversion_failure("NULL read into a member that is not std::optional");
        using storage = typename value_traits<V>::storage_type;
        if constexpr (std::is_base_of_v<identity_value_traits<V>, value_traits<V>> &&
                      requires { statement.read_into(column, out); })
            statement.read_into(column, out);  // no conversion: read in place
        else
            out = value_traits<V>::from_storage(statement.template read<storage>(column));
    }
}

// Called in a catch block: the exception in flight as a data_error, "<context>: <what> [SQL:
// <sql>]" (no SQL part when `sql` is empty); a StructQL error passes through with its own context.
[[noreturn, gnu::cold]] STRUCTQL_DECL void rethrow_as_data_error(std::string_view context, std::string_view sql);
// The same naming the table and column ("<doing> table.column"). Not a template (one copy,
// however many models): only the table's data differs.
[[noreturn, gnu::cold]] STRUCTQL_DECL void rethrow_as_data_error(const table_view& t, std::size_t column,
                                                                 std::string_view sql, std::string_view doing);


// A set of a model's columns, bit i for column i; a model wider than 64 columns is always
// written whole.
using column_set = std::uint64_t;

template <class T>
inline constexpr bool column_sets_fit = table<T>::column_count <= 64;

template <class T>
constexpr column_set all_columns() {
    if constexpr (table<T>::column_count >= 64) return ~column_set{0};
    else return (column_set{1} << table<T>::column_count) - 1;
}

// The key's columns (every part of a composite key).
template <class T>
constexpr column_set key_column_set() {
    column_set keys = 0;
    for (std::size_t k : table<T>::key_columns) keys |= column_set{1} << (k % 64);
    return keys;
}

template <class T>
constexpr column_set all_but_primary_key() {
    return all_columns<T>() & ~key_column_set<T>();
}

// Whether two members hold the same value: by == where the value type has one, else (as
// std::chrono::hh_mm_ss) by their stored forms; a value that cannot be stored counts as
// changed, so that writing it reports the error. A column type whose stored form is at hand
// (a reference: structql::decimal's text) is compared by it, so that 12.5 -> 12.50 is written.
template <class M>
bool same_value(const M& a, const M& b) {
    if constexpr (std::is_base_of_v<column_wrapper_tag, M>) {
        return same_value(a.value, b.value);
    } else if constexpr (is_optional<M>::value) {
        return a.has_value() == b.has_value() && (!a || same_value(*a, *b));
    } else if constexpr (std::equality_comparable<M> && !requires {
                             value_traits<M>::sql_type;
                             requires std::is_reference_v<decltype(value_traits<M>::to_storage(a))>;
                         }) {
        return a == b;
    } else {
        try {
            return value_traits<M>::to_storage(a) == value_traits<M>::to_storage(b);
        } catch (...) {
            return false;
        }
    }
}

// The columns whose members differ between two objects.
template <class T>
column_set changed_columns(const T& now, const T& before) {
    return with_members(now, [&](const auto&... a) {
        return with_members(before, [&](const auto&... b) {
            column_set changed = 0, bit = 1;
            ((changed |= same_value(a, b) ? 0 : bit, bit = bit << 1 | bit >> 63), ...);
            return changed;
        });
    });
}

// table_args' sq::default_value and sq::onupdate (schema/table_args.hpp).
template <class T, class Items = table_args_type<T>>
inline constexpr bool has_defaults = false;
template <class T, class... Items>
inline constexpr bool has_defaults<T, table_args_t<Items...>> = (is_default_value<Items> || ...);
template <class T, class Items = table_args_type<T>>
inline constexpr bool has_onupdate = false;
template <class T, class... Items>
inline constexpr bool has_onupdate<T, table_args_t<Items...>> = (is_onupdate<Items> || ...);

template <class T>
void fill_default(T&, const auto&) {}
template <class T, auto Member, class V>
void fill_default(T& object, const default_value_item<Member, V>& item) {
    auto& member = unwrap(field<member_index(Member)>(object));
    if (same_value(member, std::remove_reference_t<decltype(member)>{})) member = produce(item.value);
}
// Members with a default_value that still hold their value-initialised value take it.
template <class T>
void fill_defaults(T& object) {
    std::apply([&](const auto&... item) { (fill_default(object, item), ...); }, table_args_v<T>.items);
}

template <class T>
void fill_onupdate(T&, const T&, const auto&) {}
template <class T, auto Member, class V>
void fill_onupdate(T& object, const T& before, const onupdate_item<Member, V>& item) {
    auto& member = unwrap(field<member_index(Member)>(object));
    if (same_value(member, unwrap(field<member_index(Member)>(before)))) member = produce(item.value);
}
// Members with an onupdate take its value, unless changed since `before` (the last flush).
template <class T>
void fill_onupdates(T& object, const T& before) {
    std::apply([&](const auto&... item) { (fill_onupdate(object, before, item), ...); }, table_args_v<T>.items);
}

// An integer primary key left at 0, for the database to assign.
template <class T, class Member>
bool is_unassigned_key(const Member& member) {
    if constexpr (table<T>::generated_primary_key)
        return unwrap(member) == 0;
    else
        return false;
}

// Binds member `column` of a model as parameter `index` (and moves on to the next one) when
// `columns` holds it; a generated integer key (`generated_key`) left at 0 is bound as NULL, so
// that the database assigns it. Per value type, so that models share it.
template <class Statement, class M>
void bind_selected(Statement& statement, int& index, column_set columns, std::size_t column, bool generated_key,
                   const M& member) {
    if (!(columns & (column_set{1} << (column % 64)))) return;
    if constexpr (std::is_integral_v<std::remove_cvref_t<decltype(unwrap(member))>>) {
        if (generated_key && unwrap(member) == 0) {
            statement.bind_null(index++);
            return;
        }
    }
    bind_value(statement, index, member);
    ++index;
}

// Binds the members in `columns` to parameters first, first + 1, ... Returns the next free index.
template <class T, class Statement>
int bind_columns(Statement& statement, const T& object, int first, column_set columns = all_columns<T>()) {
    int index = first;
    std::size_t column = 0;  // the member being bound, for the error: one handler for all of them
    try {
        with_members(object, [&](const auto&... member) {
            std::size_t next = 0;
            ((column = next++, bind_selected(statement, index, columns, column,
                                             table<T>::generated_primary_key && column == table<T>::primary_key_index,
                                             member)),
             ...);
        });
    } catch (...) {
        rethrow_as_data_error(table<T>::view, column, statement.sql(), "cannot bind");
    }
    return index;
}

// Binds the key's parts to parameters index, index + 1, ...
template <class T, class Statement>
void bind_primary_key(Statement& statement, int index, const T& object) {
    [&]<std::size_t... P>(std::index_sequence<P...>) {
        auto bind_part = [&]<std::size_t I>(std::integral_constant<std::size_t, I>, int at) {
            try {
                bind_value(statement, at, field<I>(object));
            } catch (...) {
                rethrow_as_data_error(table<T>::view, I, statement.sql(), "cannot bind");
            }
        };
        (bind_part(std::integral_constant<std::size_t, table<T>::key_columns[P]>{}, index + static_cast<int>(P)), ...);
    }(std::make_index_sequence<table<T>::key_size>{});
}

// Reads result columns first, first + 1, ... into the members of `object`.
template <class T, class Statement>
void read_columns(const Statement& statement, T& object, int first = 0) {
    std::size_t column = 0;  // the member being read, for the error: one handler for all of them
    try {
        with_members(object, [&](auto&... member) {
            ((read_value(statement, first + static_cast<int>(column), member), ++column), ...);
        });
    } catch (...) {
        rethrow_as_data_error(table<T>::view, column, statement.sql(), "cannot read");
    }
}

// The identity map's key: the primary key's storage value; for a composite key a std::tuple
// of the parts' (detail::key_hash hashes it).
template <class T, std::size_t P>
using key_part_t = typename table<T>::template value_type<table<T>::key_columns[P]>;
template <class T, std::size_t P>
using key_part_storage_t = typename value_traits<key_part_t<T, P>>::storage_type;

template <class T, class Parts = std::make_index_sequence<table<T>::key_size>>
struct identity_key_of;
template <class T, std::size_t P>
struct identity_key_of<T, std::index_sequence<P>> {
    using type = key_part_storage_t<T, 0>;
};
template <class T, std::size_t... P>
struct identity_key_of<T, std::index_sequence<P...>> {
    using type = std::tuple<key_part_storage_t<T, P>...>;
};
template <class T>
using identity_key_t = typename identity_key_of<T>::type;

// The key's parts as their members' value types, a std::tuple even for a one-column key.
template <class T>
using key_values_t = std::conditional_t<table<T>::composite_key, typename table<T>::primary_key_value,
                                        std::tuple<typename table<T>::primary_key_value>>;

// An identity key from the parts' values (each a key_part_t<T, P>).
template <class T, class... Parts>
identity_key_t<T> make_identity_key(const Parts&... parts) {
    return [&]<std::size_t... P>(std::index_sequence<P...>) {
        return identity_key_t<T>(value_traits<key_part_t<T, P>>::to_storage(parts)...);
    }(std::index_sequence_for<Parts...>{});
}

template <class T>
identity_key_t<T> identity_key(const T& object) {
    return [&]<std::size_t... P>(std::index_sequence<P...>) {
        return make_identity_key<T>(unwrap(field<table<T>::key_columns[P]>(object))...);
    }(std::make_index_sequence<table<T>::key_size>{});
}

template <class T, class Statement>
identity_key_t<T> read_identity_key(const Statement& statement, int first = 0) {
    return [&]<std::size_t... P>(std::index_sequence<P...>) {
        key_values_t<T> key{};
        auto read_part = [&]<std::size_t I>(std::integral_constant<std::size_t, I>, auto& part) {
            try {
                read_value(statement, first + static_cast<int>(I), part);
            } catch (...) {
                rethrow_as_data_error(table<T>::view, I, statement.sql(), "cannot read");
            }
        };
        (read_part(std::integral_constant<std::size_t, table<T>::key_columns[P]>{}, std::get<P>(key)), ...);
        return make_identity_key<T>(std::get<P>(key)...);
    }(std::make_index_sequence<table<T>::key_size>{});
}

// Whether a key argument (a column wrapper unwrapped) is a value its key column's type can hold.
template <class Column, class V>
bool key_part_fits(const V& k) {
    if constexpr (std::is_arithmetic_v<V> && std::is_arithmetic_v<Column> && !holds_every_value_of<V, Column>())
        return fits<Column>(k);
    else return true;
}

// A key given as arguments, get<T>(k1, k2): one per key column of T, in declaration order, each
// convertible to its column's type (a member in column wrappers, such as a foreign key, too). A class, so that the instantiation names T and the arguments.
template <class T, class... K>
struct key_arguments {
    static constexpr bool right_count = sizeof...(K) == table<T>::key_size;
    static_assert(right_count,
                  "StructQL: a key lookup (get<T>(key...)) takes one argument per primary key column of T, in "
                  "declaration order (T and the argument types in the instantiation name them)");
    static constexpr bool convertible = [] {
        if constexpr (right_count)
            return []<std::size_t... P>(std::index_sequence<P...>) {
                return (std::is_constructible_v<key_part_t<T, P>, const unwrapped_t<K>&> && ...);
            }(std::index_sequence_for<K...>{});
        else return true;
    }();
    static_assert(convertible,
                  "StructQL: a key lookup (get<T>(key...)) got an argument its primary key column cannot hold (T "
                  "and the argument types in the instantiation name them)");
    static constexpr bool ok = right_count && convertible;
    using values = key_values_t<T>;

    // False when an argument is a number its column's type cannot hold: it matches no row, as in a
    // filter, and is never narrowed into another row's key.
    static bool fit(const K&... key) {
        return [&]<std::size_t... P>(std::index_sequence<P...>) {
            return (key_part_fits<key_part_t<T, P>>(unwrap(key)) && ...);
        }(std::index_sequence_for<K...>{});
    }
    // The arguments as the key columns' types.
    static values convert(const K&... key) {
        return [&]<std::size_t... P>(std::index_sequence<P...>) {
            return values(key_part_t<T, P>(unwrap(key))...);
        }(std::index_sequence_for<K...>{});
    }
    template <class Statement>
    static void bind(Statement& statement, const values& key) {
        [&]<std::size_t... P>(std::index_sequence<P...>) {
            (bind_value(statement, 1 + static_cast<int>(P), std::get<P>(key)), ...);
        }(std::index_sequence_for<K...>{});
    }
    static identity_key_t<T> identity(const values& key) {
        return std::apply([](const auto&... part) { return make_identity_key<T>(part...); }, key);
    }
};

// The common case, one argument for a one-column key, without the tuple: its functions are
// compiled for every model looked up by key.
template <class T, class K>
    requires(table<T>::key_size == 1)
struct key_arguments<T, K> {
    using values = key_part_t<T, 0>;
    static constexpr bool ok = std::is_constructible_v<values, const unwrapped_t<K>&>;
    static_assert(ok,
                  "StructQL: a key lookup (get<T>(key...)) got an argument its primary key column cannot hold (T "
                  "and the argument types in the instantiation name them)");

    static bool fit(const K& key) { return key_part_fits<values>(unwrap(key)); }
    static values convert(const K& key) { return values(unwrap(key)); }
    template <class Statement>
    static void bind(Statement& statement, const values& key) {
        bind_value(statement, 1, key);
    }
    static identity_key_t<T> identity(const values& key) { return make_identity_key<T>(key); }
};

// A RAII scope for one use of a cached statement: reset when the scope ends, so no statement
// keeps a read lock or stale bindings between uses; meanwhile the cache hands out another copy
// to a nested use of the same SQL (detail::statement_cache).
template <class Statement>
struct statement_use {
    Statement& statement;
    explicit statement_use(Statement& s) : statement(s) { statement.in_use = true; }
    statement_use(const statement_use&) = delete;
    ~statement_use() {
        statement.reset();
        statement.in_use = false;
    }
    Statement* operator->() const noexcept { return &statement; }
};

template <class Connection>
using statement_of = std::remove_reference_t<decltype(std::declval<Connection&>().prepare_static(std::string_view{}))>;

// Binds a statement's parameters, a value that its value_traits cannot store becoming a
// data_error. Compiled once per backend, whatever the binder.
template <class Statement>
void bind_parameters(Statement& statement, std::string_view sql, function_ref<void(Statement&)> binder) {
    try {
        binder(statement);
    } catch (...) {
        rethrow_as_data_error("cannot bind a parameter", sql);
    }
}

// run_statement whose rows the client receives `batch` at a time where the backend's statement
// can (stream(batch): PostgreSQL's cursor), instead of whole; SQLite steps row by row anyway.
// batch 0: as run_statement.
template <class Connection, class OnRow>
void stream_statement(Connection& c, std::string_view sql, bool runtime_text,
                      function_ref<void(statement_of<Connection>&)> binder, int batch, OnRow&& on_row) {
    auto& statement = runtime_text ? c.prepare_text(std::string(sql)) : c.prepare_static(sql);
    statement_use use(statement);
    bind_parameters(statement, sql, binder);
    constexpr bool streams = requires(statement_of<Connection>& s) { s.stream(batch); };
    if constexpr (streams) {
        if (batch > 0) statement.stream(batch);
    }
    while (statement.step())
        if (!on_row(std::as_const(statement))) break;
    if constexpr (streams) {
        if (batch > 0) statement.finish();
    }
}

// Runs SQL on a backend connection through its statement cache (compile-time text by address,
// run-time text by contents), handing each row to on_row until it returns false. on_row stays
// a template parameter, so that reading a row is inlined into the loop.
template <class Connection, class OnRow>
void run_statement(Connection& c, std::string_view sql, bool runtime_text,
                   function_ref<void(statement_of<Connection>&)> binder, OnRow&& on_row) {
    stream_statement(c, sql, runtime_text, binder, 0, on_row);
}

// Runs SQL that writes; returns the number of rows it changed. The rows a RETURNING clause
// gives go to on_returned.
template <class Connection>
std::int64_t run_write(Connection& c, std::string_view sql, bool runtime_text,
                       function_ref<void(statement_of<Connection>&)> binder) {
    run_statement(c, sql, runtime_text, binder, [](const statement_of<Connection>&) { return true; });
    return c.changes();
}
template <class Connection, class OnReturned>
std::int64_t run_write(Connection& c, std::string_view sql, bool runtime_text,
                       function_ref<void(statement_of<Connection>&)> binder, OnReturned&& on_returned) {
    run_statement(c, sql, runtime_text, binder, [&](const statement_of<Connection>& statement) {
        on_returned(statement);
        return true;
    });
    return c.changes();
}

}  // namespace structql::detail

#if STRUCTQL_DEFINITIONS
namespace structql::detail {

STRUCTQL_DECL void rethrow_as_data_error(std::string_view context, std::string_view sql) {
    try {
        throw;
    } catch (const error&) {
        throw;  // already a StructQL error with its own context
    } catch (const std::exception& e) {
        std::string message = std::string(context) + ": " + e.what();
        if (!sql.empty()) message.append(" [SQL: ").append(sql).append("]");
        throw data_error(message);
    }
}

STRUCTQL_DECL void rethrow_as_data_error(const table_view& t, std::size_t column, std::string_view sql,
                                         std::string_view doing) {
    rethrow_as_data_error(std::string(doing) + " " + std::string(t.name) + "." + std::string(t.columns[column].name),
                          sql);
}

}  // namespace structql::detail
#endif  // STRUCTQL_DEFINITIONS

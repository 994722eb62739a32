#pragma once
// table<T>: everything StructQL knows about a model, computed at compile time from the
// struct alone: its table name, per member the column name, storage type, nullability, key,
// uniqueness, index, reference and server default, and its table_args' indexes and checks.
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include <boost/pfr/core.hpp>

#include "structql/detail/static_text.hpp"
#include "structql/detail/type_list.hpp"
#include "structql/reflect/field_access.hpp"
#include "structql/reflect/names.hpp"
#include "structql/schema/columns.hpp"
#include "structql/schema/table_args.hpp"
#include "structql/schema/value_traits.hpp"

namespace structql {

struct column_info {
    std::string_view name;
    column_type type;
    bool nullable = false;
    bool primary_key = false;
    bool unique = false;
    bool indexed = false;
    std::string_view references_table;   // empty when the column is not a foreign key
    std::string_view references_column;
    on_delete delete_action = on_delete::no_action;
    on_update update_action = on_update::no_action;
    std::string_view server_default;  // SQL for DEFAULT (...); empty when none
};

// An index of the table: an indexed<> member's ("ix_<table>_<column>"), or a table_args
// sq::index / sq::unique_constraint (a unique index).
struct index_info {
    std::string_view name;
    std::span<const std::size_t> columns;  // column positions, in the index's order
    bool unique = false;
    std::string_view predicate{};  // a partial index's WHERE condition (SQL); empty for a whole one
};

// A table_args sq::check: CONSTRAINT "name" CHECK (condition).
struct check_info {
    std::string_view name;
    std::string_view condition;
};

// A model's table as plain data, for code written once for every model (the unit of work, the
// SQL writers) rather than once per model.
struct table_view {
    std::string_view name;
    std::span<const column_info> columns;
    std::size_t primary_key_index;  // the key's first column
    bool generated_primary_key;
    std::span<const std::size_t> key_columns;  // the key's columns in declaration order: several for a composite key
    std::span<const index_info> indexes{};     // indexed<> members first, then table_args' in their order
    std::span<const check_info> checks{};

    constexpr const column_info& primary_key() const { return columns[primary_key_index]; }
    constexpr bool is_key(std::size_t column) const {
        for (std::size_t k : key_columns)
            if (k == column) return true;
        return false;
    }
    // Whether the primary key, a unique<> column or a unique index covers exactly these columns,
    // in any order (what an ON CONFLICT target must be).
    constexpr bool has_unique_index(std::span<const std::size_t> wanted) const {
        auto same = [&](std::span<const std::size_t> have) {
            if (have.size() != wanted.size()) return false;
            for (std::size_t c : wanted) {
                bool found = false;
                for (std::size_t h : have) found = found || h == c;
                if (!found) return false;
            }
            return true;
        };
        if (same(key_columns) || (wanted.size() == 1 && columns[wanted[0]].unique)) return true;
        for (const index_info& index : indexes)  // a partial one is no target without its WHERE
            if (index.unique && index.predicate.empty() && same(index.columns)) return true;
        return false;
    }
};

template <class T>
struct table;

namespace detail {

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T, template <class> class W>
struct is_wrapper : std::false_type {};
template <class T, template <class> class W>
struct is_wrapper<W<T>, W> : std::true_type {};

template <class T>
struct is_foreign_key : std::false_type {};
template <auto P, on_delete D, on_update U>
struct is_foreign_key<foreign_key<P, D, U>> : std::true_type {};

// Peels std::optional and the column wrappers off a member type, in any order, collecting
// what each layer says about the column.
template <class M>
struct column_layers {
    using value_type = M;
    using references = void;  // the parent model of a foreign key
    static constexpr bool nullable = false, primary_key = false, unique = false, indexed = false;
    static constexpr std::size_t foreign_keys = 0;
    static constexpr std::size_t optionals = 0;
    static constexpr on_delete delete_action = on_delete::no_action;
    static constexpr on_update update_action = on_update::no_action;
};
template <class M>
struct column_layers<std::optional<M>> : column_layers<M> {
    static constexpr bool nullable = true;
    static constexpr std::size_t optionals = column_layers<M>::optionals + 1;
};
template <class M>
struct column_layers<primary_key<M>> : column_layers<M> {
    static constexpr bool primary_key = true;
};
template <class M>
struct column_layers<unique<M>> : column_layers<M> {
    static constexpr bool unique = true;
};
template <class M>
struct column_layers<indexed<M>> : column_layers<M> {
    static constexpr bool indexed = true;
};
template <auto P, on_delete D, on_update U>
struct column_layers<foreign_key<P, D, U>> : column_layers<typename foreign_key<P, D, U>::value_type> {
    using references = typename foreign_key<P, D, U>::parent;
    static constexpr auto referenced_member = P;
    static constexpr std::size_t foreign_keys = 1;
    static constexpr on_delete delete_action = D;
    static constexpr on_update update_action = U;
};

// What table<T> reflects: T itself, or, for a type Boost.PFR cannot reflect (not an aggregate,
// not default-constructible), a stand-in with one integer key, so that after StructQL's one
// message about it nothing else in the library fails on it (PFR's own asserts, a cascade of
// errors in every template that reads the model's members).
struct stand_in_model {
    std::int64_t id;
};
template <class T>
inline constexpr bool reflectable =
    std::is_class_v<T> && std::is_aggregate_v<T> && std::is_default_constructible_v<T>;
template <class T>
using reflected_t = std::conditional_t<reflectable<T>, T, stand_in_model>;

template <class Model, std::size_t I>
using member_t = boost::pfr::tuple_element_t<I, reflected_t<Model>>;

// Member I of a model object (the stand-in's for a type StructQL refused).
inline std::int64_t stand_in_field = 0;
template <std::size_t I, class Object>
constexpr auto& field(Object& object) noexcept {
    using model = std::remove_const_t<Object>;
    if constexpr (!reflectable<model>) {
        if constexpr (std::is_const_v<Object>) return static_cast<const std::int64_t&>(stand_in_field);
        else return stand_in_field;
    } else if constexpr (constexpr std::size_t n = boost::pfr::tuple_size_v<model>; n <= bound_member_limit) {
        return bound_member<I, n>(object);
    } else {
        return boost::pfr::get<I>(object);
    }
}

// f(members...) with every member of a model object, in declaration order: a loop over the
// members is then one function per model, not one per member.
template <class Object, class F>
constexpr decltype(auto) with_members(Object& object, F&& f) {
    using model = std::remove_const_t<Object>;
    if constexpr (constexpr std::size_t n = boost::pfr::tuple_size_v<reflected_t<model>>; reflectable<model> && n <= bound_member_limit) {
        return with_bound_members<n>(object, f);
    } else {
        return [&]<std::size_t... I>(std::index_sequence<I...>) -> decltype(auto) {
            return f(field<I>(object)...);
        }(std::make_index_sequence<n>{});
    }
}

template <class T>
void check_model() {
    static_assert(std::is_class_v<T> && std::is_aggregate_v<T>,
                  "StructQL: a model must be an aggregate struct (public members, no user-declared constructors, "
                  "no virtual functions): T in the instantiation names it");
    // Before any reflection: Boost.PFR reports a reference member's type without the reference.
    static_assert(!(std::is_class_v<T> && std::is_aggregate_v<T>) || std::is_default_constructible_v<T>,
                  "StructQL: a model must be default-constructible, as rows are read into a T{}: a model member "
                  "is a reference (a column must hold its value), or has a type without a default constructor");
}

// The number of primary_key<> members of a model.
template <class Model>
constexpr std::size_t primary_key_members() {
    return []<std::size_t... K>(std::index_sequence<K...>) {
        return (std::size_t{column_layers<member_t<Model, K>>::primary_key} + ... + 0);
    }(std::make_index_sequence<boost::pfr::tuple_size_v<reflected_t<Model>>>{});
}

// Whether Parent's member J can be referenced by a foreign key: its primary key (the one
// primary_key<> member, or the member named `id` when there is none) or a unique<> member. One
// part of a composite key is unique only when declared so (primary_key<unique<T>>).
template <class Parent, std::size_t J>
constexpr bool is_key_member() {
    using layers = column_layers<member_t<Parent, J>>;
    if (layers::unique) return true;
    if (layers::primary_key) return primary_key_members<Parent>() == 1;
    return member_name<Parent, J>() == "id" && primary_key_members<Parent>() == 0;
}

// Member (Model's, a member_tag) is foreign_key<Referenced>. SQLite accepts the schema of a
// reference to a column that is neither key nor unique, then fails every child insert and
// parent delete with "foreign key mismatch"; PostgreSQL refuses the CREATE TABLE.
//
// A check that must not drag more errors behind it is a function whose address is taken
// (checked_by): its body is instantiated on its own, and nothing computed from it fails again
// (clang marks a class whose static_assert failed as invalid, and every constant read from it).
template <class Model, auto Member, auto Referenced, bool SetsNullOnNotNull>
void check_foreign_key() {
    using parent = typename member_pointer_traits<decltype(Referenced)>::model;
    static_assert(is_key_member<parent, member_index(Referenced)>(),
                  "StructQL: foreign_key<&Parent::member> must reference the parent's primary key or a "
                  "unique<> member: make that member unique<> or reference the primary key (Model, "
                  "Member and Referenced in the instantiation name them)");
    static_assert(!SetsNullOnNotNull,
                  "StructQL: a foreign_key with on_delete::set_null or on_update::set_null must be nullable: "
                  "declare the member std::optional<foreign_key<...>> (Model and Member in the instantiation "
                  "name them)");
}
using check_function = void (*)();
inline void no_check() {}

template <class Model, std::size_t I, class Layers>
constexpr check_function reference_check() {
    if constexpr (Layers::foreign_keys > 0)
        return &check_foreign_key<Model, member_tag<Model, I>, Layers::referenced_member,
                                  !Layers::nullable && (Layers::delete_action == on_delete::set_null ||
                                                        Layers::update_action == on_update::set_null)>;
    else return nullptr;
}

// Each check is a class template of the model, the member index and its type, so the
// compiler's "in instantiation of" line names all three next to the message. A class, not a
// function: its static_asserts fire as soon as it is named, before any use of the member that
// would fail less clearly (clang instantiates function bodies later).
template <class Model, std::size_t I, class Member = member_t<Model, I>>
struct check_member {
    using layers = column_layers<Member>;
    static_assert(mappable<typename layers::value_type>,
                  "StructQL: a model member has a type StructQL cannot map to a column (see Member "
                  "above). Use bool, an integer, float, double, std::string, structql::blob, "
                  "structql::timestamp, an enum, std::optional of one, or specialise "
                  "structql::value_traits<Member>. std::chrono's dates and times of day need "
                  "<structql/chrono.hpp>; structql::uuid, decimal and json<T> their own headers");
    static_assert(layers::optionals <= 1, "StructQL: std::optional<std::optional<T>> is not a column type");
    static_assert(!(layers::primary_key && layers::nullable),
                  "StructQL: a primary key cannot be std::optional");
    static constexpr bool ok = true;
    static constexpr check_function reference_checked = reference_check<Model, I, layers>();
};

template <class Model>
concept has_table_name = requires {
    { Model::table_name } -> std::convertible_to<std::string_view>;
};

// OrderItem -> order_item, HTTPServer -> http_server, Post2 -> post2.
template <class Model>
struct snake_case_name {
    static constexpr void write(auto& out) {
        constexpr std::string_view name = unqualified_type_name<Model>();
        auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
        auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
        for (std::size_t i = 0; i < name.size(); ++i) {
            char c = name[i];
            if (upper(c)) {
                bool after_word = i > 0 && lower_or_digit(name[i - 1]);
                bool acronym_end = i > 0 && upper(name[i - 1]) && i + 1 < name.size() &&
                                   name[i + 1] >= 'a' && name[i + 1] <= 'z';
                if (after_word || acronym_end) out.append('_');
                out.append(static_cast<char>(c - 'A' + 'a'));
            } else {
                out.append(c);
            }
        }
    }
};

template <class Model>
constexpr std::string_view table_name_of() {
    if constexpr (has_table_name<Model>) return Model::table_name;
    else return text_v<snake_case_name<Model>>;
}

// --- table_args (schema/table_args.hpp) ---

template <class Model>
constexpr auto reflected_table_args() {
    if constexpr (reflectable<Model>) return table_args_of<Model>();
    else return table_args_t<>{};
}
template <class Model>
inline constexpr auto table_args_v = reflected_table_args<Model>();
template <class Model>
using table_args_type = std::remove_const_t<decltype(table_args_v<Model>)>;

template <class Model, auto Member>
inline constexpr bool member_of_model =
    std::is_same_v<typename member_pointer_traits<decltype(Member)>::model, Model>;

// Member's column in Model, or 0 when it is another model's (its check says so).
template <class Model, auto Member>
constexpr std::size_t column_of_member() {
    if constexpr (member_of_model<Model, Member>) return member_index(Member);
    else return 0;
}

template <class Model, class Item>
struct item_columns {
    static constexpr std::array<std::size_t, 0> value{};
};
template <class Model, auto... M>
struct item_columns<Model, unique_constraint_item<M...>> {
    static constexpr std::array<std::size_t, sizeof...(M)> value{column_of_member<Model, M>()...};
};
template <class Model, auto... M>
struct item_columns<Model, index_item<M...>> {
    static constexpr std::array<std::size_t, sizeof...(M)> value{column_of_member<Model, M>()...};
};
template <class Model, auto M>
struct item_columns<Model, server_default_item<M>> {
    static constexpr std::array<std::size_t, 1> value{column_of_member<Model, M>()};
};
template <class Model, auto M, class V>
struct item_columns<Model, default_value_item<M, V>> {
    static constexpr std::array<std::size_t, 1> value{column_of_member<Model, M>()};
};
template <class Model, auto M, class V>
struct item_columns<Model, onupdate_item<M, V>> {
    static constexpr std::array<std::size_t, 1> value{column_of_member<Model, M>()};
};
template <std::size_t I>
inline constexpr std::array<std::size_t, 1> one_column{I};

template <class Model, class Item>
inline constexpr bool item_names_other_model = false;
template <class Model, template <auto...> class Item, auto... M>
inline constexpr bool item_names_other_model<Model, Item<M...>> = (!member_of_model<Model, M> || ...);
template <class Model, template <auto, class> class Item, auto M, class V>
inline constexpr bool item_names_other_model<Model, Item<M, V>> = !member_of_model<Model, M>;

// A table_args item's mistakes, each its one message (see check_foreign_key).
template <class Model, class Item, bool OtherModel, bool NoMembers>
void check_table_item() {
    static_assert(!OtherModel,
                  "StructQL: a table_args item names a member of another model: name the model's own members, "
                  "&Model::member (Model and Item in the instantiation name them)");
    static_assert(!NoMembers,
                  "StructQL: sq::index<...>(name) / sq::unique_constraint<...>(name) without members: list the "
                  "columns, sq::index<&Model::a, &Model::b>(\"name\") (Model and Item in the instantiation name them)");
}
template <class Model, class Item, bool Assignable, bool Boolean>
void check_value_item() {
    static_assert(Assignable,
                  "StructQL: sq::default_value / sq::onupdate<&Model::member>(v): v (or what the function v returns) "
                  "cannot be assigned to the member (Model and Item in the instantiation name them)");
    static_assert(!Boolean,
                  "StructQL: sq::default_value<&Model::member> on a bool: false, its unset value, could not be "
                  "told from a false set on purpose; make the member std::optional<bool> or use sq::server_default "
                  "(Model and Item in the instantiation name them)");
}
template <class Model, std::size_t Position, bool Clash>
void check_table_names() {
    static_assert(!Clash,
                  "StructQL: a table_args index, unique constraint or check has an empty name or one another has "
                  "already (an indexed<> member's index is \"ix_<table>_<column>\"): give each its own name "
                  "(Model in the instantiation names it; Position counts the items of table_args from 0)");
}

template <class Model, class Item>
constexpr check_function table_item_check() {
    constexpr bool other = item_names_other_model<Model, Item>;
    if constexpr (table_item<Item>::is_index)
        return &check_table_item<Model, Item, other, table_item<Item>::members == 0>;
    else if constexpr (other)
        return &check_table_item<Model, Item, true, false>;
    else
        return nullptr;
}
template <class Model, auto Member, class V>
constexpr check_function default_value_check(const default_value_item<Member, V>*) {
    if constexpr (!member_of_model<Model, Member>) return nullptr;
    else {
        using member = member_t<Model, member_index(Member)>;
        using target = decltype(unwrap(std::declval<member&>()));
        using value = std::remove_cvref_t<target>;
        return &check_value_item<Model, default_value_item<Member, V>,
                                 std::is_assignable_v<target, decltype(produce(std::declval<const V&>()))>,
                                 std::is_same_v<value, bool>>;
    }
}
template <class Model, auto Member, class V>
constexpr check_function default_value_check(const onupdate_item<Member, V>*) {
    if constexpr (!member_of_model<Model, Member>) return nullptr;
    else {
        using member = member_t<Model, member_index(Member)>;
        using target = decltype(unwrap(std::declval<member&>()));
        return &check_value_item<Model, onupdate_item<Member, V>,
                                 std::is_assignable_v<target, decltype(produce(std::declval<const V&>()))>, false>;
    }
}
template <class Model>
constexpr check_function default_value_check(const void*) {
    return nullptr;
}

// The item names with the position of the first that is empty or repeated (else npos).
template <class Model>
constexpr std::size_t clashing_table_name(std::span<const index_info> indexes, std::span<const check_info> checks,
                                          std::size_t own_indexes) {
    std::string_view names[64]{};
    std::size_t count = 0, position = static_cast<std::size_t>(-1);
    auto clash = [&](std::string_view name) {
        bool taken = name.empty();
        for (std::size_t k = 0; k < count && !taken; ++k) taken = names[k] == name;
        if (count < 64) names[count++] = name;
        return taken;
    };
    for (std::size_t i = 0; i < own_indexes; ++i) clash(indexes[i].name);
    // Positions in table_args: indexes and checks are counted in the order declared.
    const auto& items = table_args_v<Model>.items;
    std::size_t next_index = own_indexes, next_check = 0;
    [&]<std::size_t... K>(std::index_sequence<K...>) {
        auto one = [&]<std::size_t P>(std::integral_constant<std::size_t, P>) {
            using item = std::remove_cvref_t<decltype(std::get<P>(items))>;
            bool taken = false;
            if constexpr (table_item<item>::is_index) taken = clash(indexes[next_index++].name);
            else if constexpr (table_item<item>::is_check) taken = clash(checks[next_check++].name);
            if (taken && position == static_cast<std::size_t>(-1)) position = P;
        };
        (one(std::integral_constant<std::size_t, K>{}), ...);
    }(std::make_index_sequence<std::tuple_size_v<std::remove_cvref_t<decltype(items)>>>{});
    return position;
}

template <class Model, std::size_t I>
struct index_name_text {
    static constexpr void write(auto& out) {
        out.append("ix_");
        out.append(table_name_of<Model>());
        out.append('_');
        out.append(member_name<Model, I>());
    }
};

// The indexed<> members' indexes, "ix_<table>_<column>" each, into out[0, count).
template <class Model>
struct own_indexes {
    static constexpr std::size_t column_count = boost::pfr::tuple_size_v<reflected_t<Model>>;
    static constexpr std::size_t count = [] {
        return []<std::size_t... I>(std::index_sequence<I...>) {
            return (std::size_t{column_layers<member_t<Model, I>>::indexed} + ... + 0);
        }(std::make_index_sequence<column_count>{});
    }();
    template <std::size_t N>
    static constexpr void write(std::array<index_info, N>& out) {
        if constexpr (count > 0) {
            std::size_t n = 0;
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                auto own = [&]<std::size_t C>(std::integral_constant<std::size_t, C>) {
                    if constexpr (column_layers<member_t<Model, C>>::indexed)
                        out[n++] = {text_v<index_name_text<Model, C>>, one_column<C>, false};
                };
                (own(std::integral_constant<std::size_t, I>{}), ...);
            }(std::make_index_sequence<column_count>{});
        }
    }
};

// A model's indexes and checks, its columns' server defaults, its items checked.
template <class Model, class Args = table_args_type<Model>>
struct table_items;
// Most models: nothing to look through.
template <class Model>
struct table_items<Model, table_args_t<>> {
    static constexpr std::array<index_info, own_indexes<Model>::count> indexes = [] {
        std::array<index_info, own_indexes<Model>::count> out{};
        own_indexes<Model>::write(out);
        return out;
    }();
    static constexpr std::array<check_info, 0> checks{};
    template <std::size_t I>
    static constexpr std::string_view server_default() {
        return {};
    }
    static constexpr bool checked = true;  // the indexed<> members' names differ by construction
};
template <class Model, class... Items>
struct table_items<Model, table_args_t<Items...>> {
    static constexpr std::size_t own_index_count = own_indexes<Model>::count;
    static constexpr std::size_t index_count = own_index_count + (std::size_t{table_item<Items>::is_index} + ... + 0);
    static constexpr std::size_t check_count = (std::size_t{table_item<Items>::is_check} + ... + 0);

    static constexpr std::array<index_info, index_count> indexes = [] {
        std::array<index_info, index_count> out{};
        own_indexes<Model>::write(out);
        std::size_t n = own_index_count;
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            auto one = [&]<std::size_t P>(std::integral_constant<std::size_t, P>) {
                using item = std::tuple_element_t<P, std::tuple<Items...>>;
                if constexpr (table_item<item>::is_index)
                    out[n++] = {std::get<P>(table_args_v<Model>.items).name, item_columns<Model, item>::value,
                                table_item<item>::unique, std::get<P>(table_args_v<Model>.items).predicate};
            };
            (one(std::integral_constant<std::size_t, K>{}), ...);
        }(std::index_sequence_for<Items...>{});
        return out;
    }();

    static constexpr std::array<check_info, check_count> checks = [] {
        std::array<check_info, check_count> out{};
        std::size_t n = 0;
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            auto one = [&]<std::size_t P>(std::integral_constant<std::size_t, P>) {
                using item = std::tuple_element_t<P, std::tuple<Items...>>;
                if constexpr (table_item<item>::is_check) {
                    const check_item& c = std::get<P>(table_args_v<Model>.items);
                    out[n++] = {c.name, c.condition};
                }
            };
            (one(std::integral_constant<std::size_t, K>{}), ...);
        }(std::index_sequence_for<Items...>{});
        return out;
    }();

    // Column I's server default, empty when none (the last one given wins).
    template <std::size_t I>
    static constexpr std::string_view server_default() {
        std::string_view found;
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            auto one = [&]<std::size_t P>(std::integral_constant<std::size_t, P>) {
                using item = std::tuple_element_t<P, std::tuple<Items...>>;
                if constexpr (requires { std::get<P>(table_args_v<Model>.items).sql; })
                    if (item_columns<Model, item>::value[0] == I && !item_names_other_model<Model, item>)
                        found = std::get<P>(table_args_v<Model>.items).sql;
            };
            (one(std::integral_constant<std::size_t, K>{}), ...);
        }(std::index_sequence_for<Items...>{});
        return found;
    }

    // Every item checked: each check function's address taken instantiates its static_asserts.
    static constexpr bool checked = [] {
        constexpr check_function items[] = {&no_check, table_item_check<Model, Items>()...,
                                            default_value_check<Model>(static_cast<const Items*>(nullptr))...};
        constexpr check_function names =
            &check_table_names<Model, clashing_table_name<Model>(indexes, checks, own_index_count),
                               clashing_table_name<Model>(indexes, checks, own_index_count) != static_cast<std::size_t>(-1)>;
        (void)items;
        return names != nullptr;
    }();
};

template <class Model, std::size_t I>
constexpr column_info make_column_info() {
    using layers = column_layers<member_t<Model, I>>;
    column_info info{
        .name = member_name<Model, I>(),
        .type = column_type_of_value<typename layers::value_type>(),
        .nullable = layers::nullable,
        .primary_key = layers::primary_key,
        .unique = layers::unique,
        .indexed = layers::indexed,
        .references_table = {},
        .references_column = {},
        .server_default = table_items<Model>::template server_default<I>(),
    };
    if constexpr (!std::is_void_v<typename layers::references>) {
        using parent = typename layers::references;
        info.references_table = table_name_of<parent>();
        info.references_column = member_name<parent, member_index(layers::referenced_member)>();
        info.delete_action = layers::delete_action;
        info.update_action = layers::update_action;
    }
    return info;
}

// The parent a member references, as a 0- or 1-element type_list (self-references excluded).
template <class Model, std::size_t I>
using referenced_model = std::conditional_t<
    std::is_void_v<typename column_layers<member_t<Model, I>>::references> ||
        std::is_same_v<typename column_layers<member_t<Model, I>>::references, Model>,
    type_list<>, type_list<typename column_layers<member_t<Model, I>>::references>>;

template <class Model, class Indices>
struct referenced_models;
template <class Model, std::size_t... I>
struct referenced_models<Model, std::index_sequence<I...>> {
    using type = concat_t<referenced_model<Model, I>...>;
};

// Whole-model checks, functions whose address table<T> takes (see check_foreign_key): each
// failure is its one message, and table<T> goes on with a stand-in (key at member 0) so
// that nothing built on it fails again.
template <class Model, std::size_t Found, std::size_t Columns>
void check_primary_key() {
    static_assert(Found != Columns,
                  "StructQL: a model has no primary key: wrap one member in structql::primary_key<> or name it "
                  "`id` (Model in the instantiation names it)");
}

// The key's first column: the first primary_key<> member, else the member named `id`.
template <class Model>
constexpr std::size_t find_primary_key(const auto& columns) {
    std::size_t by_name = columns.size();
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i].primary_key) return i;
        if (columns[i].name == "id" && by_name == columns.size()) by_name = i;
    }
    return by_name;
}

// The key's columns: every primary_key<> member (several make a composite key), else `first`.
template <std::size_t N>
constexpr std::array<std::size_t, N> key_columns_of(const auto& columns, std::size_t first) {
    std::array<std::size_t, N> keys{};
    if constexpr (N == 1) keys[0] = first;
    else
        for (std::size_t i = 0, k = 0; i < columns.size(); ++i)
            if (columns[i].primary_key) keys[k++] = i;
    return keys;
}

template <class Model, class Indices>
struct primary_key_tuple;
template <class Model, std::size_t... P>
struct primary_key_tuple<Model, std::index_sequence<P...>> {
    using type = std::tuple<typename column_layers<member_t<Model, table<Model>::key_columns[P]>>::value_type...>;
};

}  // namespace detail

template <class T>
struct table {
    static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>);
    static constexpr detail::check_function model_checked = &detail::check_model<T>;
    static_assert(model_checked != nullptr);  // instantiates the check

    using model = T;
    using reflected = detail::reflected_t<T>;
    static constexpr std::size_t column_count = boost::pfr::tuple_size_v<reflected>;
    static_assert(column_count > 0, "StructQL: a model needs at least one member");
    static constexpr bool members_checked = [] {
        return []<std::size_t... I>(std::index_sequence<I...>) {
            return ((detail::check_member<reflected, I>::ok && detail::check_member<reflected, I>::reference_checked != &detail::no_check) && ...);
        }(std::make_index_sequence<column_count>{});
    }();
    static_assert(members_checked);  // checked here, before `columns` below uses the members' types

    static constexpr std::string_view name = detail::table_name_of<T>();

    static constexpr std::array<column_info, column_count> columns = [] {
        return []<std::size_t... I>(std::index_sequence<I...>) {
            return std::array<column_info, column_count>{detail::make_column_info<reflected, I>()...};
        }(std::make_index_sequence<column_count>{});
    }();

    static constexpr std::size_t found_primary_key = detail::find_primary_key<reflected>(columns);
    static constexpr detail::check_function primary_key_checked =
        &detail::check_primary_key<T, found_primary_key, column_count>;
    static_assert(primary_key_checked != nullptr);  // instantiates the check
    static constexpr std::size_t primary_key_index = found_primary_key < column_count ? found_primary_key : 0;
    // primary_key<> on several members makes them one composite key, in declaration order.
    static constexpr std::size_t key_size =
        detail::primary_key_members<T>() > 1 ? detail::primary_key_members<T>() : 1;
    static constexpr bool composite_key = key_size > 1;
    static constexpr std::array<std::size_t, key_size> key_columns =
        detail::key_columns_of<key_size>(columns, primary_key_index);

    template <std::size_t I>
    using member_type = detail::member_t<T, I>;
    template <std::size_t I>
    using value_type = typename detail::column_layers<member_type<I>>::value_type;

    // The key's value type; a std::tuple of the parts' for a composite key.
    using primary_key_value = std::conditional_t<
        composite_key, typename detail::primary_key_tuple<T, std::make_index_sequence<key_size>>::type,
        value_type<primary_key_index>>;
    // An integer key left at 0 is assigned by the database when the row is inserted; a
    // composite key is always inserted as given.
    static constexpr bool generated_primary_key =
        !composite_key && columns[primary_key_index].type == column_type::integer;

    // The member holding the key (the first part of a composite key).
    static constexpr auto& primary_key_of(T& object) noexcept {
        return detail::field<primary_key_index>(object);
    }
    static constexpr const auto& primary_key_of(const T& object) noexcept {
        return detail::field<primary_key_index>(object);
    }

    // table_args' items (and the indexed<> members' indexes), checked first.
    using items = detail::table_items<reflected>;
    static_assert(items::checked);
    static constexpr const auto& indexes = items::indexes;
    static constexpr const auto& checks = items::checks;

    static constexpr table_view view{name, columns, primary_key_index, generated_primary_key, key_columns, indexes, checks};

    // The models this one references (itself excluded), as a detail::type_list.
    using parents = typename detail::referenced_models<T, std::make_index_sequence<column_count>>::type;
};

}  // namespace structql

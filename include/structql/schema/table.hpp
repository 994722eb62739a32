#pragma once
// table<T>: everything StructQL knows about a model, computed at compile time from the
// struct alone: its table name, and per member the column name, storage type, nullability,
// key, uniqueness, index and reference.
#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>

#include <boost/pfr/core.hpp>

#include "structql/detail/static_text.hpp"
#include "structql/detail/type_list.hpp"
#include "structql/reflect/names.hpp"
#include "structql/schema/columns.hpp"
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
};

// A model's table as plain data, for code written once for every model (the unit of work, the
// SQL writers) rather than once per model.
struct table_view {
    std::string_view name;
    std::span<const column_info> columns;
    std::size_t primary_key_index;
    bool generated_primary_key;

    constexpr const column_info& primary_key() const { return columns[primary_key_index]; }
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
template <auto P>
struct is_foreign_key<foreign_key<P>> : std::true_type {};

// Peels std::optional and the column wrappers off a member type, in any order, collecting
// what each layer says about the column.
template <class M>
struct column_layers {
    using value_type = M;
    using references = void;  // the parent model of a foreign key
    static constexpr bool nullable = false, primary_key = false, unique = false, indexed = false;
    static constexpr std::size_t foreign_keys = 0;
    static constexpr std::size_t optionals = 0;
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
template <auto P>
struct column_layers<foreign_key<P>> : column_layers<typename foreign_key<P>::value_type> {
    using references = typename foreign_key<P>::parent;
    static constexpr auto referenced_member = P;
    static constexpr std::size_t foreign_keys = 1;
};

template <class Model, std::size_t I>
using member_t = boost::pfr::tuple_element_t<I, Model>;

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
                  "structql::value_traits<Member>");
    static_assert(layers::optionals <= 1, "StructQL: std::optional<std::optional<T>> is not a column type");
    static_assert(!(layers::primary_key && layers::nullable),
                  "StructQL: a primary key cannot be std::optional");
    static constexpr bool ok = true;
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

template <class Model, std::size_t I>
constexpr column_info make_column_info() {
    using layers = column_layers<member_t<Model, I>>;
    column_info info{
        .name = member_name<Model, I>(),
        .type = column_type_of<typename value_traits<typename layers::value_type>::storage_type>(),
        .nullable = layers::nullable,
        .primary_key = layers::primary_key,
        .unique = layers::unique,
        .indexed = layers::indexed,
        .references_table = {},
        .references_column = {},
    };
    if constexpr (!std::is_void_v<typename layers::references>) {
        using parent = typename layers::references;
        info.references_table = table_name_of<parent>();
        info.references_column = member_name<parent, member_index(layers::referenced_member)>();
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

template <class Model>
constexpr std::size_t find_primary_key(const auto& columns) {
    std::size_t by_wrapper = columns.size(), by_name = columns.size(), wrappers = 0;
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i].primary_key) by_wrapper = i, ++wrappers;
        if (columns[i].name == "id") by_name = i;
    }
    if (wrappers > 1) return columns.size() + 1;
    return wrappers == 1 ? by_wrapper : by_name;
}

}  // namespace detail

template <class T>
struct table {
    static_assert(std::is_class_v<T> && std::is_aggregate_v<T>,
                  "StructQL: a model must be an aggregate struct (public members, no "
                  "user-declared constructors, no virtual functions)");
    static_assert(!std::is_const_v<T> && !std::is_volatile_v<T>);
    // Before any reflection: Boost.PFR reports a reference member's type without the reference.
    static_assert(std::is_default_constructible_v<T>,
                  "StructQL: a model must be default-constructible, as rows are read into a T{}: a model member "
                  "is a reference (a column must hold its value), or has a type without a default constructor");

    using model = T;
    static constexpr std::size_t column_count = boost::pfr::tuple_size_v<T>;
    static_assert(column_count > 0, "StructQL: a model needs at least one member");
    static constexpr bool members_checked = [] {
        return []<std::size_t... I>(std::index_sequence<I...>) {
            return (detail::check_member<T, I>::ok && ...);
        }(std::make_index_sequence<column_count>{});
    }();
    static_assert(members_checked);  // checked here, before `columns` below uses the members' types

    static constexpr std::string_view name = detail::table_name_of<T>();

    static constexpr std::array<column_info, column_count> columns = [] {
        return []<std::size_t... I>(std::index_sequence<I...>) {
            return std::array<column_info, column_count>{detail::make_column_info<T, I>()...};
        }(std::make_index_sequence<column_count>{});
    }();

    static constexpr std::size_t primary_key_index = detail::find_primary_key<T>(columns);
    static_assert(primary_key_index != column_count + 1,
                  "StructQL: a model has more than one primary_key<> member; one is allowed");
    static_assert(primary_key_index != column_count,
                  "StructQL: a model has no primary key: wrap one member in "
                  "structql::primary_key<> or name it `id`");

    template <std::size_t I>
    using member_type = detail::member_t<T, I>;
    template <std::size_t I>
    using value_type = typename detail::column_layers<member_type<I>>::value_type;

    using primary_key_value = value_type<primary_key_index>;
    // An integer key left at 0 is assigned by the database when the row is inserted.
    static constexpr bool generated_primary_key =
        columns[primary_key_index].type == column_type::integer;

    static constexpr auto& primary_key_of(T& object) noexcept {
        return boost::pfr::get<primary_key_index>(object);
    }
    static constexpr const auto& primary_key_of(const T& object) noexcept {
        return boost::pfr::get<primary_key_index>(object);
    }

    static constexpr table_view view{name, columns, primary_key_index, generated_primary_key};

    // The models this one references (itself excluded), as a detail::type_list.
    using parents = typename detail::referenced_models<T, std::make_index_sequence<column_count>>::type;
};

}  // namespace structql

#pragma once
// Table-level schema items, declared in one static member of the model (which stays an
// aggregate: a static member is no column):
//
//   static constexpr auto table_args = sq::table_args(
//       sq::unique_constraint<&Item::shop_id, &Item::sku>("uq_item_shop_sku"),  // UNIQUE over several columns
//       sq::index<&Item::shop_id, &Item::price>("ix_item_shop_price"),         // CREATE INDEX over several
//       sq::index<&Item::sku>("ix_item_live_sku").where("status <> 'gone'"),      // a partial index
//       sq::check("price >= 0", "ck_item_price"),                                // CHECK (SQL text)
//       sq::server_default<&Item::status>("'draft'"),                            // DEFAULT in the DDL
//       sq::default_value<&Item::created>(now),                                  // filled at insert
//       sq::onupdate<&Item::updated>(now));                                      // filled at update
//
// Every item is named by its members (checked against the model when table<T> is built) and,
// for the constraints and indexes, by the name the database and its errors use.
#include <concepts>
#include <cstddef>
#include <string_view>
#include <tuple>
#include <type_traits>

namespace structql {

// UNIQUE over the members, in that order: a unique index named `name` (CREATE UNIQUE INDEX).
// .where(sql) makes it partial: unique among the rows the condition (SQL) holds for only.
template <auto... Members>
struct unique_constraint_item {
    std::string_view name;
    std::string_view predicate{};
    constexpr unique_constraint_item where(std::string_view condition) const { return {name, condition}; }
};
template <auto... Members>
constexpr unique_constraint_item<Members...> unique_constraint(std::string_view name) {
    return {name};
}

// An index over the members, in that order, named `name`; .where(sql) makes it partial
// (CREATE INDEX ... WHERE (sql)): only the rows the condition holds for are in it.
template <auto... Members>
struct index_item {
    std::string_view name;
    std::string_view predicate{};
    constexpr index_item where(std::string_view condition) const { return {name, condition}; }
};
template <auto... Members>
constexpr index_item<Members...> index(std::string_view name) {
    return {name};
}

// CHECK (condition), a table constraint named `name`. The condition is SQL, written into the
// DDL as given.
struct check_item {
    std::string_view condition;
    std::string_view name;
};
constexpr check_item check(std::string_view condition, std::string_view name) { return {condition, name}; }

// DEFAULT (sql) on the member's column: what the database writes when an INSERT leaves the
// column out (SQL written by hand, a migration adding the column to existing rows).
template <auto Member>
struct server_default_item {
    std::string_view sql;
};
template <auto Member>
constexpr server_default_item<Member> server_default(std::string_view sql) {
    return {sql};
}

// A value (or a function returning one) that a member still holding its value-initialised
// value (0, "", the epoch, std::nullopt) takes when its object is inserted; onupdate: that the
// member takes whenever its object's row is updated, unless the member itself was changed.
template <auto Member, class V>
struct default_value_item {
    V value;
};
template <auto Member, class V>
constexpr default_value_item<Member, V> default_value(V value) {
    return {value};
}
template <auto Member, class V>
struct onupdate_item {
    V value;
};
template <auto Member, class V>
constexpr onupdate_item<Member, V> onupdate(V value) {
    return {value};
}

template <class... Items>
struct table_args_t {
    std::tuple<Items...> items;
};
template <class... Items>
constexpr table_args_t<Items...> table_args(Items... items) {
    return {{items...}};
}

namespace detail {

template <class Model>
concept has_table_args = requires { Model::table_args.items; };

template <class Model>
constexpr auto table_args_of() {
    if constexpr (has_table_args<Model>) return Model::table_args;
    else return table_args_t<>{};
}

// What an item is, and the members it names.
template <class Item>
struct table_item {
    static constexpr bool is_index = false, unique = false, is_check = false;
    static constexpr std::size_t members = 0;
};
template <auto... M>
struct table_item<unique_constraint_item<M...>> {
    static constexpr bool is_index = true, unique = true, is_check = false;
    static constexpr std::size_t members = sizeof...(M);
};
template <auto... M>
struct table_item<index_item<M...>> {
    static constexpr bool is_index = true, unique = false, is_check = false;
    static constexpr std::size_t members = sizeof...(M);
};
template <>
struct table_item<check_item> {
    static constexpr bool is_index = false, unique = false, is_check = true;
    static constexpr std::size_t members = 0;
};

template <class Item>
inline constexpr bool is_default_value = false;
template <auto M, class V>
inline constexpr bool is_default_value<default_value_item<M, V>> = true;
template <class Item>
inline constexpr bool is_onupdate = false;
template <auto M, class V>
inline constexpr bool is_onupdate<onupdate_item<M, V>> = true;

// The value an item gives: its function's result, or the value itself.
template <class V>
constexpr decltype(auto) produce(const V& value) {
    if constexpr (std::is_invocable_v<const V&>) return value();
    else return (value);
}

}  // namespace detail

}  // namespace structql

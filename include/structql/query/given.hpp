#pragma once
// Conditions that apply only when their value is given: the C++ form of SQLAlchemy's
//   if name: q = q.where(User.name == name)
// without a second query type per combination:
//   db.query<User>().filter(sq::if_given(name, [](const std::string& n) { return col<&User::name> == n; }) &&
//                           sq::if_given(min_age.has_value(), col<&User::age> >= min_age.value_or(0)))
// Absent, the condition is true ("(1 = 1)"): each combination of given and absent conditions is
// a statement shape of its own, written at run time and prepared once per connection.
#include <optional>
#include <type_traits>
#include <utility>

#include "structql/query/expressions.hpp"

namespace structql {

namespace detail {

template <class C>
struct given_condition : expression_tag {
    std::optional<C> condition;
    using value_type = bool;
    using models = typename C::models;
    using reads = typename C::reads;
    static constexpr bool nullable = C::nullable;
    static constexpr bool dynamic = true;  // two shapes: the condition's and "(1 = 1)"
    template <class D>
    static constexpr void write(auto& out, const given_condition* self) {
        if (self->condition) C::template write<D>(out, &*self->condition);
        else out.append("(1 = 1)");
    }
    template <class Statement>
    void bind(Statement& statement, int& index) const {
        if (condition) condition->bind(statement, index);
    }
};

template <class C, class Missing>
inline constexpr bool nullable_in<given_condition<C>, Missing> = nullable_in<C, Missing>;

}  // namespace detail

// make(*value) when value holds one, else a condition that is true.
template <class V, class Make>
    requires condition<std::invoke_result_t<Make, const V&>>
auto if_given(const std::optional<V>& value, Make&& make) {
    using C = std::invoke_result_t<Make, const V&>;
    return detail::given_condition<C>{{}, value ? std::optional<C>(std::forward<Make>(make)(*value)) : std::nullopt};
}

// condition when given is true, else a condition that is true.
template <condition C>
auto if_given(bool given, C condition) {
    return detail::given_condition<C>{{}, given ? std::optional<C>(std::move(condition)) : std::nullopt};
}

}  // namespace structql

#pragma once
// metadata<Models...>: a type list of models whose tables are created parents-first (and
// dropped children-first), an order computed at compile time from their foreign keys. A
// reference to a model outside the list, or a cycle, does not compile.
#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "structql/detail/type_list.hpp"
#include "structql/engine/basic_engine.hpp"
#include "structql/schema/table.hpp"
#include "structql/sql/statements.hpp"

namespace structql {

template <class... Models>
struct metadata {
    static constexpr std::size_t size = sizeof...(Models);

    template <class M>
    static constexpr std::size_t index_of() {
        std::size_t i = 0, found = size;
        ((std::is_same_v<M, Models> ? (found = i, ++i) : ++i), ...);
        return found;
    }

    // Indices of each model's parents within the list (size when not listed).
    template <class M>
    static constexpr auto parent_indices() {
        return []<class... Parent>(detail::type_list<Parent...>) {
            return std::array<std::size_t, sizeof...(Parent)>{index_of<Parent>()...};
        }(typename table<M>::parents{});
    }

    static constexpr bool all_parents_listed = [] {
        bool ok = true;
        auto check = [&](const auto& indices) {
            for (std::size_t p : indices) ok = ok && p < size;
        };
        (check(parent_indices<Models>()), ...);
        return ok;
    }();
    static_assert(all_parents_listed,
                  "StructQL: a model in metadata<...> has a foreign_key to a model that is not in the list; "
                  "add the referenced model to metadata<...>");

    // Topological order, parents first; among models free to go, the listed order is kept.
    static constexpr std::array<std::size_t, size> creation_order = [] {
        std::array<std::size_t, size> order{};
        std::array<bool, size> placed{};
        std::size_t count = 0;
        bool progress = true;
        while (count < size && progress) {
            progress = false;
            std::size_t i = 0;
            auto try_place = [&](const auto& parents) {
                if (!placed[i]) {
                    bool ready = true;
                    for (std::size_t p : parents) ready = ready && p < size && placed[p];
                    if (ready && !progress) {
                        placed[i] = true;
                        order[count++] = i;
                        progress = true;
                    }
                }
                ++i;
            };
            (try_place(parent_indices<Models>()), ...);
        }
        if (count < size) order[0] = size;  // marks a cycle
        return order;
    }();
    static_assert(!all_parents_listed || size == 0 || creation_order[0] < size,  // one message at a time
                  "StructQL: the foreign keys of the models in metadata<...> form a cycle; break it (a "
                  "model may reference itself, but not through another model)");

    // An index's name is the schema's (the database's, on SQLite), not the table's: a second
    // CREATE INDEX IF NOT EXISTS of the name would silently create nothing.
    static constexpr bool index_names_distinct = [] {
        constexpr std::array<table_view, size> views{table<Models>::view...};
        for (std::size_t i = 0; i < size; ++i)
            for (std::size_t j = i + 1; j < size; ++j)
                for (const index_info& a : views[i].indexes)
                    for (const index_info& b : views[j].indexes)
                        if (a.name == b.name) return false;
        return true;
    }();
    static_assert(index_names_distinct,
                  "StructQL: two models in metadata<...> have an index or unique constraint of the same name; an "
                  "index's name is the whole schema's: rename one in its model's table_args");

    // CREATE TABLE IF NOT EXISTS and CREATE INDEX IF NOT EXISTS for every model, parents
    // first, in one transaction.
    template <class Backend>
    static void create_all(const basic_engine<Backend>& bound) {
        using dialect = typename Backend::dialect;
        run_in_transaction(bound, [](auto& c) {
            for_each_in_order<false>([&]<class M>(std::type_identity<M>) {
                c.execute(sql::create_table_in<dialect, M>);
                for (std::string_view index : sql::create_indexes_in<dialect, M>) c.execute(index);
            });
        });
    }

    // DROP TABLE IF EXISTS for every model, children first, in one transaction.
    template <class Backend>
    static void drop_all(const basic_engine<Backend>& bound) {
        using dialect = typename Backend::dialect;
        run_in_transaction(bound, [](auto& c) {
            for_each_in_order<true>([&]<class M>(std::type_identity<M>) {
                c.execute(sql::drop_table_in<dialect, M>);
            });
        });
    }

private:
    template <bool Reverse, class F>
    static void for_each_in_order(F&& f) {
        [&]<std::size_t... Position>(std::index_sequence<Position...>) {
            (f(std::type_identity<
                 std::tuple_element_t<creation_order[Reverse ? size - 1 - Position : Position], std::tuple<Models...>>>{}),
             ...);
        }(std::make_index_sequence<size>{});
    }

    template <class Backend, class F>
    static void run_in_transaction(const basic_engine<Backend>& bound, F&& f) {
        auto lent = bound.connect();
        auto& c = detail::access::backend_connection(lent);
        c.begin();
        try {
            f(c);
            c.commit();
        } catch (...) {
            if (c.in_transaction()) c.rollback();
            throw;
        }
    }
};

}  // namespace structql

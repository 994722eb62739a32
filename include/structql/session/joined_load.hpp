#pragma once
// Joined eager loading (SQLAlchemy's joinedload): a session's query of T brings the children
// along each relationship named (&Child::fk) in the same statement,
//
//   db.query<User>().filter(f).order_by(o).joined<&Post::user_id>().all()
//   SELECT "users".*, "post".* FROM "users" LEFT OUTER JOIN "post" ON "post"."user_id" = "users"."id"
//     WHERE f ORDER BY o
//
// and returns the users (each once, in the order of their first row) with their children
// loaded: children() runs no SQL for them. With limit() / offset() the limit counts users, not
// joined rows: the users are read in a subquery, FROM (SELECT ... LIMIT ? OFFSET ?) AS "users".
// A second joined<>() joins one more relationship whose parent is T or an earlier one's child
// (users -> posts -> comments: one statement). The text is fixed at compile time by the
// query's shape, so the statement is prepared once per connection.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "structql/detail/static_text.hpp"
#include "structql/query/builder.hpp"
#include "structql/session/relationship_keys.hpp"

namespace structql::detail {

// Model's place among Models (sizeof...(Models) when absent).
template <class Model, class... Models>
constexpr std::size_t model_position() {
    constexpr bool same[] = {std::is_same_v<Model, Models>..., false};
    for (std::size_t i = 0; i < sizeof...(Models); ++i)
        if (same[i]) return i;
    return sizeof...(Models);
}

template <class Source, class Parts, auto... Members>
class joined_query {
    using T = typename Parts::model;
    using dialect = typename Source::backend_type::dialect;
    static constexpr std::size_t levels = sizeof...(Members);

    template <std::size_t K>
    static constexpr auto member_at = std::get<K>(std::tuple{Members...});
    template <std::size_t K>
    using child_at = relationship_child_t<member_at<K>>;
    template <std::size_t K>
    using parent_at = relationship_parent_t<member_at<K>>;

    // Where level K's parent is in a row: 0 for T, k + 1 for level k's child (k < K).
    template <std::size_t K>
    static constexpr std::size_t parent_position() {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return model_position<parent_at<K>, T, child_at<I>...>();
        }(std::make_index_sequence<K>{});
    }
    template <std::size_t K>
    static constexpr int first_column() {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return static_cast<int>((table<T>::column_count + ... + table<child_at<I>>::column_count));
        }(std::make_index_sequence<K>{});
    }

    // Level K's child is not in the statement yet (each table once: no aliases).
    template <std::size_t K>
    static constexpr bool new_child() {
        return [&]<std::size_t... I>(std::index_sequence<I...>) {
            return model_position<child_at<K>, T, child_at<I>...>() == K + 1;
        }(std::make_index_sequence<K>{});
    }
    template <std::size_t... K>
    static constexpr bool well_formed(std::index_sequence<K...>) {
        return ((relationship<member_at<K>>::is_foreign_key && parent_position<K>() <= K && new_child<K>()) && ...);
    }
    static constexpr bool levels_ok = well_formed(std::index_sequence_for<decltype(Members)...>{});
    static_assert(levels_ok,
                  "StructQL: joined<&Child::member>() names a foreign_key<> member whose parent model is the "
                  "query's model or the child of an earlier joined<>(), and whose model is not in the statement "
                  "yet (a self-referencing relationship: use load_children()); Members in the instantiation "
                  "name them");

public:
    joined_query(Source& source, Parts parts) : source_(&source), parts_(std::move(parts)) {}

    // One more relationship in the same statement.
    template <auto Member>
    joined_query<Source, Parts, Members..., Member> joined() const {
        return {*source_, parts_};
    }

    // The statement, fixed at compile time when the query's shape is (empty for a run-time
    // shape: an IN over a run-time list).
    static constexpr std::string_view sql() {
        if constexpr (Parts::dynamic || !levels_ok) return {};
        else return text_v<generator>;
    }

    // The query's objects, each once in the order of its first row, with their children along
    // every joined relationship loaded (children() runs no SQL for them).
    std::vector<T*> all() const {
        std::vector<T*> found;
        if constexpr (levels_ok) {
            std::string runtime;
            std::string_view text =
                statement_text<Parts::dynamic, generator>(runtime, [&](auto& out) { write<dialect>(out, &parts_); });
            using reads = concat_t<typename Parts::reads, type_list<relationship_child_t<Members>...>>;
            std::array<std::vector<void*>, levels> parents;  // each level's, once each
            std::array<key_map<const void*, bool>, levels> seen;
            key_map<const void*, bool> seen_objects;
            Source& session = *source_;
            session.template select_rows<reads>(
                text, Parts::dynamic,
                [&](auto& statement) {
                    int index = 1;
                    parts_.bind(statement, index);
                },
                [&](const auto& statement) {
                    std::array<void*, 1 + levels> row{};
                    T* object = session.template materialize<T>(statement, 0);
                    row[0] = object;
                    if (!std::exchange(seen_objects[object], true)) found.push_back(object);
                    [&]<std::size_t... K>(std::index_sequence<K...>) {
                        ((row[K + 1] = model_missing<child_at<K>>(statement, first_column<K>())
                                           ? nullptr
                                           : session.template materialize<child_at<K>>(statement, first_column<K>())),
                         ...);
                        ((row[parent_position<K>()] && !std::exchange(seen[K][row[parent_position<K>()]], true)
                              ? parents[K].push_back(row[parent_position<K>()])
                              : void()),
                         ...);
                    }(std::make_index_sequence<levels>{});
                    return true;
                });
            // Every row referencing these parents is a tracked object now.
            [&]<std::size_t... K>(std::index_sequence<K...>) {
                (mark_loaded<K>(session, parents[K]), ...);
            }(std::make_index_sequence<levels>{});
        }
        return found;
    }

private:
    template <std::size_t K>
    static void mark_loaded(Source& session, const std::vector<void*>& parents) {
        using r = relationship<member_at<K>>;
        using key = typename r::key;
        auto& records = session.relationships_.template of<member_at<K>>();
        for (void* p : parents)
            if (const key* k = innermost_value<key>(static_cast<parent_at<K>*>(p)->*r::layers::referenced_member))
                records.by_key[*k].loaded = true;
    }

    template <class D, std::size_t K>
    static constexpr void write_join(auto& out) {
        constexpr auto member = member_at<K>;
        using r = relationship<member>;
        out.append(" LEFT OUTER JOIN ");
        sql::write_identifier<D>(out, table<child_at<K>>::name);
        out.append(" ON ");
        write_qualified<D, child_at<K>, member_index(member)>(out);
        out.append(" = ");
        write_qualified<D, parent_at<K>, member_index(r::layers::referenced_member)>(out);
    }

    template <class D>
    static constexpr void write(auto& out, const Parts* self) {
        out.append("SELECT ");
        bool first = true;
        write_model_columns<D>(out, std::type_identity<T>{}, first);
        (write_model_columns<D>(out, std::type_identity<relationship_child_t<Members>>{}, first), ...);
        out.append(" FROM ");
        if constexpr (Parts::has_limit || Parts::has_offset) {
            // The limit counts T's rows: they are chosen first, then joined.
            out.append('(');
            Parts::template write_text<D>(out, self, statement_kind::rows);
            out.append(") AS ");
        }
        sql::write_identifier<D>(out, table<T>::name);
        [&]<std::size_t... K>(std::index_sequence<K...>) {
            (write_join<D, K>(out), ...);
        }(std::index_sequence_for<decltype(Members)...>{});
        if constexpr (!Parts::has_limit && !Parts::has_offset && !std::is_same_v<typename Parts::where_type, no_condition>) {
            out.append(" WHERE ");
            write_node<D>(self ? &self->where : nullptr, out);
        }
        write_key_clause<D>(out, " ORDER BY ", typename Parts::orders{});
    }
    struct generator {
        static constexpr void write(auto& out) { joined_query::write<dialect>(out, nullptr); }
    };

    Source* source_;
    Parts parts_;
};

}  // namespace structql::detail

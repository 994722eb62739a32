#pragma once
// query<T>(): a SELECT built by chaining filter / join / outerjoin / select / group_by /
// having / distinct / order_by / limit / offset. Each step returns a query of a new type, so the
// finished statement's text is fixed at compile time from the chain's shape (`Query::sql`);
// values are bound when it runs. The query runs on a source: a session (objects tracked in
// its identity map) or a connection (plain values).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "structql/detail/access.hpp"
#include "structql/detail/static_text.hpp"
#include "structql/errors.hpp"
#include "structql/query/cte.hpp"
#include "structql/query/expressions.hpp"
#include "structql/query/keyset.hpp"
#include "structql/query/onupdate.hpp"
#include "structql/query/parts.hpp"
#include "structql/query/rows.hpp"

namespace structql {

// What for_update() / for_share() do with a row another transaction has locked.
struct nowait_t {};
inline constexpr nowait_t nowait{};
struct skip_locked_t {};
inline constexpr skip_locked_t skip_locked{};

// yield_per(n, fn, sq::expunge_batches): after fn(batch), the session flushes and stops tracking
// the objects the batch loaded (their memory goes to the next batch).
struct expunge_batches_t {};
inline constexpr expunge_batches_t expunge_batches{};

namespace detail {
template <class Source, class Parts, auto... Members>
class joined_query;  // session/joined_load.hpp

// Rows per FETCH of for_each() on PostgreSQL.
inline constexpr int stream_batch = 1000;

// fn(args...): false when fn returns a bool that says stop.
template <class F, class... A>
bool call_continues(F& fn, A&&... args) {
    if constexpr (std::is_same_v<std::invoke_result_t<F&, A...>, bool>) return fn(std::forward<A>(args)...);
    else return fn(std::forward<A>(args)...), true;
}
}  // namespace detail

template <class Source, class Parts>
class basic_query {
    using backend = typename Source::backend_type;
    using dialect = typename backend::dialect;
    using T = typename Parts::model;
    static constexpr bool tracked = Source::tracks_objects;

public:
    using is_query = void;
    using parts_type = Parts;
    using reads = typename Parts::reads;
    static constexpr bool dynamic = Parts::dynamic;
    static constexpr std::size_t column_count = Parts::column_count;

    // The statements this query runs, fixed at compile time (empty for a dynamic shape: an IN
    // over a run-time list).
    static constexpr std::string_view sql = detail::static_query_text<dialect, Parts, detail::statement_kind::rows>();
    static constexpr std::string_view count_sql =
        detail::static_query_text<dialect, Parts, detail::statement_kind::count>();
    static constexpr std::string_view exists_sql =
        detail::static_query_text<dialect, Parts, detail::statement_kind::exists>();

    basic_query(Source& source, Parts parts) : source_(&source), parts_(std::move(parts)) {}

    // Adds a WHERE condition over the query's models; several filters are joined with AND.
    template <condition E>
    auto filter(E condition) const {
        static_assert(detail::all_in<typename E::models, typename Parts::all_models>::value,
                      "StructQL: filter() uses a column of a model, alias or CTE that is not in this query (E in "
                      "the instantiation names it); join it first: join<Model>(), join<Alias>(on), join(cte, on)");
        if constexpr (std::is_same_v<typename Parts::where_type, detail::no_condition>) {
            return rebuilt(parts_.with_where(std::move(condition)));
        } else {
            auto combined = parts_.where && std::move(condition);
            return rebuilt(parts_.with_where(std::move(combined)));
        }
    }

    // INNER JOIN Model ON the foreign key between it and the query's models, or ON `on`.
    template <class Model>
    auto join() const {
        return add_join<Model, false>(typename detail::foreign_key_join_for<dialect, Model, typename Parts::all_models>::type{});
    }
    template <class Model, condition On>
    auto join(On on) const {
        return add_join<Model, false>(std::move(on));
    }
    // LEFT OUTER JOIN: rows of the query's models without a match come with the joined side
    // missing (nullptr / std::nullopt).
    template <class Model>
    auto outerjoin() const {
        return add_join<Model, true>(typename detail::foreign_key_join_for<dialect, Model, typename Parts::all_models>::type{});
    }
    template <class Model, condition On>
    auto outerjoin(On on) const {
        return add_join<Model, true>(std::move(on));
    }
    // JOIN / LEFT OUTER JOIN a CTE (query/cte.hpp) ON `on`: its definition joins the WITH clause.
    template <detail::is_cte C, condition On>
    auto join(C cte, On on) const {
        return add_cte_join<false>(std::move(cte), std::move(on));
    }
    template <detail::is_cte C, condition On>
    auto outerjoin(C cte, On on) const {
        return add_cte_join<true>(std::move(cte), std::move(on));
    }

    // This query as a CTE named Name (query/cte.hpp): q.cte<"name">(), or q.cte<"name">(sq::recursive)
    // and then .union_all(step) / .union_(step), SQLAlchemy's select(...).cte(recursive=True).
    template <detail::fixed_name Name>
    auto cte() const {
        return detail::make_cte<Name, false>(*this);
    }
    template <detail::fixed_name Name>
    auto cte(recursive_t) const {
        return detail::make_cte<Name, true>(*this);
    }

    // Joined eager loading (SQLAlchemy's joinedload), for a session's query of objects: the
    // children along Member (&Child::fk, referencing T) come in the same statement, a LEFT OUTER
    // JOIN, and children() runs no SQL for the objects all() returns; a limit counts T's rows.
    // joined<>() again joins one more level (session/joined_load.hpp).
    template <auto Member>
    auto joined() const {
        static_assert(tracked,
                      "StructQL: joined<>() loads children into a session's identity map: use it on a session's "
                      "query (for values, connection.load_children())");
        static_assert(std::tuple_size_v<typename Parts::joins_type> == 0 && !Parts::projected &&
                          std::is_same_v<typename Parts::group, detail::type_list<>> &&
                          std::is_same_v<typename Parts::having_type, detail::no_condition> && !Parts::is_distinct &&
                          !Parts::locks_rows && Parts::reads_own_table,
                      "StructQL: joined<>() takes a query of one model with filter, order_by, limit and offset "
                      "only (no join, select, group_by, having, distinct, row lock or CTE)");
        return detail::joined_query<Source, Parts, Member>(*source_, parts_);
    }

    // Selects expressions instead of whole objects: rows become std::tuple of their values
    // (std::optional where they can be NULL).
    template <detail::valued... E>
    auto select(E... expressions) const {
        static_assert(sizeof...(E) > 0);
        static_assert((detail::all_in<typename E::models, typename Parts::all_models>::value && ...),
                      "StructQL: select() uses a column of a model, alias or CTE that is not in this query (E in the "
                      "instantiation names it); join it first");
        return rebuilt(parts_.with_select(std::tuple<E...>(std::move(expressions)...)));
    }

    template <class... Columns>
    auto group_by(Columns...) const {
        static_assert((detail::column_like<Columns> && ...), "StructQL: group_by() takes columns");
        return rebuilt(parts_.template with_group<detail::concat_t<typename Parts::group, detail::type_list<Columns...>>>());
    }

    template <condition E>
    auto having(E condition) const {
        static_assert(std::is_same_v<typename Parts::having_type, detail::no_condition>,
                      "StructQL: having() once per query; combine conditions with &&");
        return rebuilt(parts_.with_having(std::move(condition)));
    }

    auto distinct() const {
        return rebuilt(parts_.with_distinct());
    }

    // SELECT ... FOR UPDATE (PostgreSQL): the rows read are locked until the transaction ends,
    // so a read-then-write in one transaction cannot lose another's write; for_update(sq::nowait)
    // fails at once on a locked row (retryable_error), for_update(sq::skip_locked) leaves locked
    // rows out (a job queue). for_share() takes the shared lock. A compile error on SQLite,
    // which has no row locks.
    auto for_update() const { return locked<detail::lock_update>(); }
    auto for_update(nowait_t) const { return locked<detail::lock_update_nowait>(); }
    auto for_update(skip_locked_t) const { return locked<detail::lock_update_skip_locked>(); }
    auto for_share() const { return locked<detail::lock_share>(); }
    auto for_share(nowait_t) const { return locked<detail::lock_share_nowait>(); }
    auto for_share(skip_locked_t) const { return locked<detail::lock_share_skip_locked>(); }

    // Appends sort keys: an expression (ascending) or desc(expression). Keys are columns or
    // aggregates: their text is fixed by their type.
    template <class... Keys>
    auto order_by(Keys...) const {
        return rebuilt(parts_.template with_orders<detail::concat_t<typename Parts::orders, detail::type_list<Keys...>>>());
    }

    // Keyset pagination: the rows that come after the one whose order_by() keys hold `values`,
    // one value per key (the keys: NOT NULL columns, the last one unique, such as the primary
    // key, so that no two rows tie). after(last) takes them from the previous page's last
    // object. Add limit() for the page size.
    template <class... V>
        requires(!(sizeof...(V) == 1 && (std::is_same_v<std::remove_cvref_t<V>, T> && ...)))
    auto after(V&&... values) const {
        static_assert(sizeof...(V) == detail::size_of<typename Parts::orders>,
                      "StructQL: after() takes one value per order_by() key, in the same order (call order_by() first)");
        static_assert([]<class... K>(detail::type_list<K...>*) {
                          using missing = typename detail::outer_joined<typename Parts::joins_type>::type;
                          return (!detail::nullable_in<typename detail::order_expression<K>::type, missing> && ...);
                      }(static_cast<typename Parts::orders*>(nullptr)),
                      "StructQL: after() needs NOT NULL order_by() columns, and an outer join's missing side is NULL: "
                      "order by the query's own columns");
        return filter(detail::make_keyset<typename Parts::orders>(std::forward<V>(values)...));
    }
    auto after(const T& last) const {
        return [&]<class... K>(detail::type_list<K...>) {
            static_assert(sizeof...(K) > 0, "StructQL: after() pages by the query's order: call order_by() first");
            static_assert((detail::column_like<typename detail::order_expression<K>::type> && ...),
                          "StructQL: after(object) takes the values of order_by() keys that are columns of the query's model");
            static_assert((std::is_same_v<typename detail::order_expression<K>::type::models, detail::type_list<T>> && ...),
                          "StructQL: after(object) reads the order_by() keys from an object of the query's model: "
                          "order by its columns (not a joined model's or an alias's), or pass the values: after(v1, v2)");
            return after(last.*(detail::order_expression<K>::type::member)...);
        }(typename Parts::orders{});
    }

    auto limit(std::int64_t n) const {
        return rebuilt(parts_.with_limit(n));
    }
    auto offset(std::int64_t n) const {
        return rebuilt(parts_.with_offset(n));
    }

    // What one row of all() is: T* (a session's tracked object), T (a connection's value), a
    // tuple of those for joins (nullptr / std::nullopt for an outer join's missing side), or a
    // tuple of values for select().
    using row_type = typename Source::template row_type<Parts>;
    // What one row of values() is: the same, but never tracked.
    using value_row_type = typename Source::template value_row_type<Parts>;

    std::vector<row_type> all() const {
        std::vector<row_type> rows;
        run<detail::statement_kind::rows>([&](const auto& statement) {
            rows.push_back(detail::access::read_row<Parts>(*source_, statement));
            return true;
        });
        return rows;
    }

    // Plain values, read without the identity map or snapshots: the read-heavy path.
    std::vector<value_row_type> values() const {
        std::vector<value_row_type> rows;
        run<detail::statement_kind::rows>([&](const auto& statement) {
            rows.push_back(detail::access::read_value_row<Parts>(*source_, statement));
            return true;
        });
        return rows;
    }

    // Calls fn(row) for each row as it is read, without collecting them; fn may return false to
    // stop. The client never holds the whole result: PostgreSQL sends it through a cursor, 1000
    // rows at a time, and other statements may run on the connection (or session) from fn.
    template <class F>
    void for_each(F&& fn) const {
        run<detail::statement_kind::rows>(
            [&](const auto& statement) { return detail::call_continues(fn, detail::access::read_row<Parts>(*source_, statement)); },
            detail::stream_batch);
    }

    // Reads the rows n at a time (PostgreSQL: FETCH n) and calls fn(std::span<row_type>) with
    // each batch; fn may return false to stop. A session keeps the batches' objects tracked
    // (SQLAlchemy's yield_per); with sq::expunge_batches it flushes after each fn(batch) and
    // stops tracking the objects that batch loaded, whose memory the next batch reuses.
    template <class F>
    void yield_per(std::size_t n, F&& fn) const {
        read_batches<false>(n, fn);
    }
    template <class F>
    void yield_per(std::size_t n, F&& fn, expunge_batches_t) const {
        static_assert(tracked && !Parts::projected && std::tuple_size_v<typename Parts::joins_type> == 0,
                      "StructQL: yield_per(n, fn, expunge_batches) untracks a session's objects: use it on a "
                      "session's query of one model (no join or select)");
        read_batches<true>(n, fn);
    }

    // The first row: nullptr / std::nullopt when there is none. LIMIT 1 is added unless the
    // query has a limit or filters one primary key without joins (where it would only cost).
    auto first() const {
        if constexpr (!Parts::has_limit && !(std::tuple_size_v<typename Parts::joins_type> == 0 &&
                                             detail::filters_one_key<T, typename Parts::where_type>)) {
            return limit(1).first();
        } else if constexpr (std::is_pointer_v<row_type>) {
            std::optional<row_type> found = first_row();
            return found ? *found : nullptr;
        } else {
            return first_row();
        }
    }

    // Exactly one row: no_result_found or multiple_results_found otherwise.
    decltype(auto) one() const {
        std::optional<row_type> found;
        bool more = false;
        run<detail::statement_kind::rows>([&](const auto& statement) {
            if (found) {
                more = true;
                return false;
            }
            found.emplace(detail::access::read_row<Parts>(*source_, statement));
            return true;
        });
        if (more)
            throw multiple_results_found("one(): more than one row matched in \"" + std::string(detail::from_item<typename Parts::from>::name) +
                                         "\" [SQL: " + text<detail::statement_kind::rows>() + "]");
        if (!found)
            throw no_result_found("one(): no row matched in \"" + std::string(detail::from_item<typename Parts::from>::name) + "\" [SQL: " +
                                  text<detail::statement_kind::rows>() + "]");
        if constexpr (std::is_pointer_v<row_type>) return static_cast<std::remove_pointer_t<row_type>&>(**found);
        else return row_type(std::move(*found));
    }

    // The number of rows the query returns (SELECT count(*)).
    std::size_t count() const {
        std::int64_t n = 0;
        run<detail::statement_kind::count>([&](const auto& statement) {
            n = statement.template read<std::int64_t>(0);
            return false;
        });
        return static_cast<std::size_t>(n);
    }

    // Whether any row matches (SELECT EXISTS (...)).
    bool exists() const {
        bool found = false;
        run<detail::statement_kind::exists>([&](const auto& statement) {
            found = statement.template read<std::int64_t>(0) != 0;
            return false;
        });
        return found;
    }

    // UPDATE ... SET ... WHERE <filters>, without loading objects: returns the number of rows
    // changed. A session first flushes, then reloads the tracked objects the update reached.
    template <auto... Members, class... E>
    std::size_t update(assignment<Members, E>... assignments) const {
        return run_update(std::tuple<>{}, [](const auto&) {}, assignments...);
    }

    // DELETE ... WHERE <filters>, without loading objects: returns the number of rows deleted.
    // A session first flushes; tracked objects the delete reached count as removed.
    std::size_t remove() const {
        return run_remove(std::tuple<>{}, [](const auto&) {});
    }

    // UPDATE / DELETE ... RETURNING: q.returning(expressions...).update(sets...) and .remove() do
    // what update() and remove() do and return, for each row changed (its new values) or deleted,
    // a tuple of the expressions' values, as select() does.
    template <class Returned>
    class returning_query {
    public:
        using row_type = typename detail::projection_row<Returned>::type;
        template <auto... Members, class... E>
        std::vector<row_type> update(assignment<Members, E>... assignments) const {
            std::vector<row_type> rows;
            query_.run_update(returned_, collector(rows), assignments...);
            return rows;
        }
        std::vector<row_type> remove() const {
            std::vector<row_type> rows;
            query_.run_remove(returned_, collector(rows));
            return rows;
        }

    private:
        friend basic_query;
        returning_query(const basic_query& query, Returned returned) : query_(query), returned_(std::move(returned)) {}
        static auto collector(std::vector<row_type>& rows) {
            return [&rows](const auto& statement) { rows.push_back(detail::read_projection(statement, static_cast<Returned*>(nullptr))); };
        }
        basic_query query_;
        Returned returned_;
    };
    template <detail::valued... E>
    auto returning(E... expressions) const {
        static_assert(sizeof...(E) > 0, "StructQL: returning() takes the expressions to return");
        static_assert((detail::all_in<typename E::models, detail::type_list<T>>::value && ...),
                      "StructQL: returning() takes expressions over the query's own model (the table written)");
        return returning_query<std::tuple<E...>>(*this, std::tuple<E...>(std::move(expressions)...));
    }

    // --- for IN (subquery) ---
    template <class D>
    static constexpr void write_select(auto& out, const basic_query* self) {
        Parts::template write_text<D>(out, self ? &self->parts_ : nullptr, detail::statement_kind::rows);
    }
    template <class Statement>
    void bind_select(Statement& statement, int& index) const {
        parts_.bind(statement, index);
    }

private:
    friend struct detail::access;
    Source& source() const { return *source_; }

    // first()'s row; one named result, so that it is constructed in the caller's object.
    std::optional<row_type> first_row() const {
        std::optional<row_type> found;
        run<detail::statement_kind::rows>([&](const auto& statement) {
            // A plain model object is read in place: no move of it (and its strings) into found.
            if constexpr (std::is_same_v<row_type, T> && !Parts::projected &&
                          std::tuple_size_v<typename Parts::joins_type> == 0)
                detail::read_columns(statement, found.emplace());
            else
                found.emplace(detail::access::read_row<Parts>(*source_, statement));
            return false;
        });
        return found;
    }

    template <class Model, bool Outer, class On>
    auto add_join(On on) const {
        static_assert(!detail::contains<Model, typename Parts::all_models>::value,
                      "StructQL: a model can be joined once per query");
        using J = detail::join_clause<Model, On, Outer>;
        return rebuilt(parts_.with_joins(std::tuple_cat(parts_.joins, std::tuple<J>{J{std::move(on)}})));
    }
    template <bool Outer, class C, class On>
    auto add_cte_join(C cte, On on) const {
        using Name = typename C::name_type;
        static_assert(!detail::contains<Name, typename Parts::all_models>::value, "StructQL: a CTE can be joined once per query");
        using J = detail::join_clause<Name, On, Outer>;
        return rebuilt(parts_.with_joins(std::tuple_cat(parts_.joins, std::tuple<J>{J{std::move(on)}})).with_cte(std::move(cte)));
    }

    template <class P>
    basic_query<Source, P> rebuilt(P parts) const {
        return basic_query<Source, P>(*source_, std::move(parts));
    }

    // The statement of one kind. A template parameter, not an argument: a query's other
    // statements (count, exists) are then not built at compile time unless it runs them.
    template <detail::statement_kind Kind>
    static constexpr std::string_view static_text() {
        if constexpr (Kind == detail::statement_kind::count) return count_sql;
        else if constexpr (Kind == detail::statement_kind::exists) return exists_sql;
        else return sql;
    }

    template <detail::statement_kind Kind>
    std::string text() const {
        if constexpr (!dynamic) {
            return std::string(static_text<Kind>());
        } else {
            detail::runtime_text out;
            Parts::template write_text<dialect>(out, &parts_, Kind);
            return std::move(out.text);
        }
    }

    // batch > 0: a stream (for_each, yield_per), its rows received that many at a time.
    template <detail::statement_kind Kind, class RowFn>
    void run(RowFn&& on_row, int batch = 0) const {
        auto binder = [&](auto& statement) {
            int index = 1;
            parts_.bind(statement, index);
        };
        std::string runtime;
        if constexpr (dynamic) runtime = text<Kind>();
        std::string_view s = dynamic ? std::string_view(runtime) : static_text<Kind>();
        detail::access::stream_rows<reads>(*source_, s, dynamic, batch, binder, on_row);
    }

    template <bool Expunge, class F>
    void read_batches(std::size_t n, F& fn) const {
        if (n == 0 || n > static_cast<std::size_t>(std::numeric_limits<int>::max()))
            throw invalid_request_error("yield_per(n): n must be at least 1 (and fit an int), not " + std::to_string(n));
        std::vector<row_type> batch;
        batch.reserve(n);
        std::size_t mark = 0;
        bool more = true;
        auto hand_over = [&] {
            std::size_t end = 0;
            if constexpr (Expunge) end = detail::access::batch_mark<T>(*source_);
            more = detail::call_continues(fn, std::span<row_type>(batch));
            if constexpr (Expunge) detail::access::release_batch<T>(*source_, mark, end);
            batch.clear();
        };
        run<detail::statement_kind::rows>(
            [&](const auto& statement) {
                if constexpr (Expunge)
                    if (batch.empty()) mark = detail::access::batch_mark<T>(*source_);
                batch.push_back(detail::access::read_row<Parts>(*source_, statement));
                if (batch.size() == n) hand_over();
                return more;
            },
            static_cast<int>(n));
        if (!batch.empty() && more) hand_over();
    }

    // PostgreSQL locks the rows of a plain query only: not of DISTINCT, GROUP BY or the nullable
    // side of an outer join; aggregates and having() are refused where the text is written (parts.hpp).
    template <const char* Lock>
    auto locked() const {
        static_assert(!Parts::is_distinct && std::is_same_v<typename Parts::group, detail::type_list<>> &&
                          !detail::has_outer_join<typename Parts::joins_type>,
                      "StructQL: for_update() / for_share() lock the rows of a query without distinct(), "
                      "group_by() or outerjoin()");
        return rebuilt(parts_.template with_lock<Lock>());
    }

    void check_bulk() const {
        static_assert(std::tuple_size_v<typename Parts::joins_type> == 0 && !Parts::projected &&
                          std::is_same_v<typename Parts::group, detail::type_list<>> && !Parts::has_limit &&
                          !Parts::has_offset && std::is_same_v<typename Parts::orders, detail::type_list<>> &&
                          !Parts::locks_rows && Parts::reads_own_table,
                      "StructQL: update() / remove() take a query of one model with filters only (no join, "
                      "select, group_by, order_by, limit, offset, row lock, alias or CTE)");
    }

    // The primary keys a bulk statement reaches, for the session to synchronise its objects.
    auto pk_query() const {
        using P = detail::query_parts<T, std::tuple<>, typename Parts::where_type>;
        return P{{}, parts_.where, {}, {}, 0, 0};
    }

    // The sets given, and table_args' onupdate members that they leave out.
    template <class Returned, class OnRow, auto... Members, class... E>
    std::size_t run_update(const Returned& returned, OnRow&& on_row, const assignment<Members, E>&... assignments) const {
        static_assert(sizeof...(Members) > 0, "StructQL: update() needs at least one set<&T::member>(value)");
        static_assert((std::is_same_v<typename column_expression<Members>::model, T> && ...),
                      "StructQL: update() sets columns of the query's own model only");
        if constexpr (detail::has_onupdate<T>)
            return std::apply([&](const auto&... more) { return run_update_of(returned, on_row, assignments..., more...); },
                              detail::onupdate_assignments<T, Members...>());
        else return run_update_of(returned, on_row, assignments...);
    }
    template <class Returned, class OnRow, auto... Members, class... E>
    std::size_t run_update_of(const Returned& returned, OnRow&& on_row, const assignment<Members, E>&... assignments) const {
        static_assert((std::is_same_v<typename column_expression<Members>::model, T> && ...),
                      "StructQL: update() sets columns of the query's own model only");
        check_bulk();
        constexpr bool dynamic_text = dynamic || (E::dynamic || ...) || detail::any_dynamic<Returned>::value;
        std::string runtime;
        std::string_view text = detail::statement_text<dynamic_text, update_generator<dialect, Returned, assignment<Members, E>...>>(
            runtime, [&](auto& out) { write_update_text<dialect>(out, this, &returned, &assignments...); });
        return detail::access::bulk_write<T>(
            *source_, text, dynamic_text,
            [&](auto& statement) {
                int index = 1;
                (assignments.value.bind(statement, index), ...);
                parts_.where.bind(statement, index);
                bind_returned(statement, index, returned);
            },
            pk_query(), /*deletes=*/false, on_row);
    }
    template <class Returned, class OnRow>
    std::size_t run_remove(const Returned& returned, OnRow&& on_row) const {
        check_bulk();
        constexpr bool dynamic_text = dynamic || detail::any_dynamic<Returned>::value;
        std::string runtime;
        std::string_view text = detail::statement_text<dynamic_text, delete_generator<dialect, Returned>>(
            runtime, [&](auto& out) { write_delete_text<dialect>(out, this, &returned); });
        return detail::access::bulk_write<T>(
            *source_, text, dynamic_text,
            [&](auto& statement) {
                int index = 1;
                parts_.where.bind(statement, index);
                bind_returned(statement, index, returned);
            },
            pk_query(), /*deletes=*/true, on_row);
    }
    template <class Statement, class Returned>
    static void bind_returned(Statement& statement, int& index, const Returned& returned) {
        std::apply([&](const auto&... e) { (e.bind(statement, index), ...); }, returned);
    }

    template <class D, class R, class... A>
    struct update_generator {
        static constexpr void write(auto& out) {
            write_update_text<D>(out, nullptr, static_cast<const R*>(nullptr), static_cast<const A*>(nullptr)...);
        }
    };
    template <class D, class R>
    struct delete_generator {
        static constexpr void write(auto& out) {
            write_delete_text<D>(out, static_cast<const basic_query*>(nullptr), static_cast<const R*>(nullptr));
        }
    };

    template <class D, class R, class... A>
    static constexpr void write_update_text(auto& out, const basic_query* self, const R* returned, const A*... assignments) {
        out.append("UPDATE ");
        sql::write_identifier<D>(out, table<T>::name);
        out.append(" SET ");
        bool first = true;
        ((first ? void() : out.append(", "), first = false,
          sql::write_identifier<D>(out, table<T>::columns[A::column::index].name), out.append(" = "),
          detail::write_node<D>(assignments ? &assignments->value : nullptr, out)),
         ...);
        write_bulk_where<D>(out, self);
        write_returning<D>(out, returned);
    }
    template <class D, class R>
    static constexpr void write_delete_text(auto& out, const basic_query* self, const R* returned) {
        out.append("DELETE FROM ");
        sql::write_identifier<D>(out, table<T>::name);
        write_bulk_where<D>(out, self);
        write_returning<D>(out, returned);
    }
    template <class D>
    static constexpr void write_bulk_where(auto& out, const basic_query* self) {
        if constexpr (!std::is_same_v<typename Parts::where_type, detail::no_condition>) {
            out.append(" WHERE ");
            detail::write_node<D>(self ? &self->parts_.where : nullptr, out);
        }
    }
    template <class D, class... E>
    static constexpr void write_returning(auto& out, const std::tuple<E...>* returned) {
        if constexpr (sizeof...(E) > 0) {
            out.append(" RETURNING ");
            [&]<std::size_t... I>(std::index_sequence<I...>) {
                ((I ? out.append(", ") : void(), detail::write_node<D>(returned ? &std::get<I>(*returned) : nullptr, out)), ...);
            }(std::index_sequence_for<E...>{});
        }
    }

    Source* source_;
    Parts parts_;
};

}  // namespace structql

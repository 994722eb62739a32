#pragma once
// The engine: a cheap, copyable handle to a shared, thread-safe pool of database connections
// for one database URL. engine.connect() lends a connection (given back when it is destroyed);
// sessions borrow theirs the same way.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "structql/backend/concepts.hpp"
#include "structql/detail/access.hpp"
#include "structql/detail/multi_row_insert.hpp"
#include "structql/detail/std_parts.hpp"
#include "structql/detail/threads.hpp"
#include "structql/engine_options.hpp"
#include "structql/errors.hpp"
#include "structql/query/query.hpp"
#include "structql/url.hpp"

namespace structql {

template <class Backend>
class basic_engine;
template <class Backend>
class basic_transaction;

namespace detail {

template <class Backend>
struct pool_state;

}  // namespace detail

// A connection lent by the pool; it goes back when destroyed.
template <class Backend>
class basic_connection {
public:
    using native_handle_type = typename Backend::connection_type::native_handle_type;

    basic_connection(basic_connection&& other) noexcept
        : pool_(std::move(other.pool_)),
          raw_(std::exchange(other.raw_, nullptr)),
          owner_(other.owner_),
          generation_(other.generation_),
          hooks_run_(other.hooks_run_) {}
    basic_connection& operator=(basic_connection&& other) noexcept {
        if (this != &other) {
            release();
            pool_ = std::move(other.pool_);
            raw_ = std::exchange(other.raw_, nullptr);
            owner_ = other.owner_;
            generation_ = other.generation_;
            hooks_run_ = other.hooks_run_;
        }
        return *this;
    }
    ~basic_connection() { release(); }

    // Runs raw SQL (one or more statements, no parameters).
    void execute(std::string_view sql) { backend().execute(sql); }

    // BEGIN, as a guard that rolls back unless commit() is called (engine/transaction.hpp).
    basic_transaction<Backend> begin();
    // fn(*this) in a transaction: committed when it returns, rolled back when it throws.
    template <class F>
    decltype(auto) transaction(F&& fn);

    // The driver's own handle (sqlite3*, PGconn*) for what StructQL does not cover.
    native_handle_type native_handle() { return backend().native_handle(); }

    // Runs raw SQL with bound parameters; returns the number of rows it changed. The SQL's
    // placeholders must be as many as the arguments: checked at compile time, or when it runs
    // for structql::runtime_sql(text).
    template <class Arg, class... Args>
    std::int64_t execute(detail::checked_sql<typename Backend::dialect, 1 + sizeof...(Args)> sql, const Arg& arg,
                         const Args&... args) {
        return detail::run_write(backend(), sql.text, true,
                                 [&](auto& statement) { detail::bind_arguments(statement, arg, args...); });
    }

    // Raw SQL with bound parameters, rows mapped by position into Row (a std::tuple or an
    // aggregate struct).
    template <class Row, class... Args>
    std::vector<Row> fetch(detail::checked_sql<typename Backend::dialect, sizeof...(Args)> sql, const Args&... args) {
        return detail::fetch_rows<Row>(*this, sql.text, args...);
    }

    // Inserts the objects as new rows, untracked (SQLAlchemy Core's insert() with many rows):
    // as many rows per INSERT ... VALUES (...), (...) statement as detail::rows_per_insert
    // allows, each row count's statement prepared once per connection. A generated key left at 0
    // is assigned by the database and not written back (add the objects to a session for that).
    // Returns the number of rows inserted.
    template <class R>
        requires requires(const R& r) { std::begin(r) != std::end(r); }
    std::size_t insert(const R& objects) {
        using T = std::remove_cvref_t<decltype(*std::begin(objects))>;
        return insert_rows(objects, &detail::multi_row_insert_id<T>, nullptr);
    }
    // The same, with a row whose key or unique column is taken skipped or merged into the row
    // there (query/on_conflict.hpp: sq::on_conflict<&T::m>::do_nothing, ::do_update<...>).
    // Returns the number of rows inserted or updated; two objects with the same target in one
    // call update one row twice on SQLite and are an error on PostgreSQL.
    template <class R, class T, class Target, bool All, auto... Set>
        requires requires(const R& r) { std::begin(r) != std::end(r); }
    std::size_t insert(const R& objects, detail::conflict_action<T, Target, All, Set...> clause) {
        static_assert(std::is_same_v<std::remove_cvref_t<decltype(*std::begin(objects))>, T>,
                      "StructQL: connection.insert(objects, on_conflict<&T::m>...): the clause is over another model");
        using action = decltype(clause);
        return insert_rows(objects, &detail::upsert_id<action>, &detail::conflict_sql<action>::view);
    }
    static constexpr std::size_t max_parameters_per_insert = detail::max_parameters_per_insert;

    // The row with this primary key (a composite key's parts in declaration order) as a plain
    // value; std::nullopt when there is none.
    template <class T, class... K>
    std::optional<T> get(const K&... key) {
        using arguments = detail::key_arguments<T, K...>;
        std::optional<T> found;
        if constexpr (arguments::ok) {
            if (!arguments::fit(key...)) return found;
            const auto bound_key = arguments::convert(key...);  // outlives the statement, which may bind it without a copy
            detail::run_statement(
                backend(), sql::select_by_primary_key_in<typename Backend::dialect, T>, false,
                [&](auto& statement) { arguments::bind(statement, bound_key); },
                [&](const auto& statement) {
                    found.emplace(detail::read_model<T>(statement, 0));
                    return false;
                });
        }
        return found;
    }

    // A query over T returning plain values, outside any session.
    template <class T>
    basic_query<basic_connection, detail::query_parts<T>> query() {
        (void)table<T>::members_checked;
        return basic_query<basic_connection, detail::query_parts<T>>(*this, {});
    }
    // A query reading FROM a CTE (query/cte.hpp), returning plain values.
    template <detail::is_cte C>
    auto query(C cte) {
        return basic_query<basic_connection, decltype(detail::parts_from_cte(std::move(cte)))>(*this, detail::parts_from_cte(std::move(cte)));
    }

    // Select-in eager loading on the value path (session/relationships.hpp): the children of
    // each parent in `parents` (values, or pointers to them) along the foreign key member
    // &Child::member, as plain values: result[i] holds the i-th parent's, in the order the
    // database returned them. One SELECT ... WHERE member IN (...) per 1024 distinct keys. The
    // next level takes that result as it is: load_children<&Comment::post_id>(posts) gives
    // comments[i][k] for posts[i][k], with one SELECT for all of them.
    template <auto Member, class Parents>
    auto load_children(const Parents& parents);

    // load_children() of one level of parents.
    template <auto Member, class Parents>
    auto load_children_of(const Parents& parents);

    // What a query on a connection returns: plain values.
    using backend_type = Backend;
    static constexpr bool tracks_objects = false;
    template <class Parts>
    using row_type = typename detail::value_rows<Parts>::type;
    template <class Parts>
    using value_row_type = typename detail::value_rows<Parts>::type;

private:
    friend struct detail::access;

    // connection.insert's rows in as few statements as rows_per_insert allows; `tag` names the
    // statements in the cache (one per model, and per model and ON CONFLICT clause).
    template <class R>
    std::size_t insert_rows(const R& objects, const void* tag, const detail::conflict_view* conflict) {
        using T = std::remove_cvref_t<decltype(*std::begin(objects))>;
        if constexpr (detail::has_defaults<T>) {
            // The objects are the caller's: copies take table_args' default_value, and live until
            // the statements that bind them have run.
            std::vector<T> filled(std::begin(objects), std::end(objects));
            for (T& object : filled) detail::fill_defaults(object);
            return insert_filled_rows(filled, tag, conflict);
        } else {
            return insert_filled_rows(objects, tag, conflict);
        }
    }
    template <class R>
    std::size_t insert_filled_rows(const R& objects, const void* tag, const detail::conflict_view* conflict) {
        using T = std::remove_cvref_t<decltype(*std::begin(objects))>;
        (void)table<T>::members_checked;
        auto& c = backend();
        std::size_t written = 0;
        for (auto first = std::begin(objects), end = std::end(objects); first != end;) {
            // A run of objects that all leave their key to the database, or all bring their own.
            const bool generated = detail::is_unassigned_key<T>(table<T>::primary_key_of(*first));
            const std::size_t most_rows = detail::rows_per_insert<T>(generated);
            std::size_t rows = 0;
            auto last = first;
            for (; last != end && rows < most_rows && detail::is_unassigned_key<T>(table<T>::primary_key_of(*last)) == generated;
                 ++last)
                ++rows;
            auto& statement = detail::prepare_insert_rows<typename Backend::dialect>(c, tag, table<T>::view, rows,
                                                                                     generated, false, conflict);
            detail::statement_use use(statement);
            int next = detail::bind_insert_rows<T>(statement, rows, generated, [&]() -> const T& { return *first++; });
            if (conflict && !conflict->onupdate.empty() && table<T>::column_count > (generated ? 1u : 0u))
                detail::bind_onupdates<T>(statement, next, conflict->onupdate);
            statement.step();
            written += conflict ? static_cast<std::size_t>(c.changes()) : rows;
        }
        return written;
    }

    // --- the query layer's source interface (detail::access) ---
    template <class Parts, class Statement>
    row_type<Parts> read_row(const Statement& statement) {
        return detail::value_rows<Parts>::read(statement);
    }
    template <class Parts, class Statement>
    row_type<Parts> read_value_row(const Statement& statement) {
        return detail::value_rows<Parts>::read(statement);
    }
    template <class Reads, class Binder, class OnRow>
    void select_rows(std::string_view sql, bool runtime_text, Binder&& binder, OnRow&& on_row) {
        stream_rows<Reads>(sql, runtime_text, 0, binder, on_row);
    }
    template <class Reads, class Binder, class OnRow>
    void stream_rows(std::string_view sql, bool runtime_text, int batch, Binder&& binder, OnRow&& on_row) {
        detail::stream_statement(backend(), sql, runtime_text, binder, batch, on_row);
    }
    template <class T, class Binder, class KeyParts, class OnReturned>
    std::size_t bulk_write(std::string_view sql, bool runtime_text, Binder&& binder, const KeyParts&, bool,
                           OnReturned&& on_returned) {
        return static_cast<std::size_t>(detail::run_write(backend(), sql, runtime_text, binder, on_returned));
    }

    // The backend connection, for the session and the query layer (detail::access).
    typename Backend::connection_type& backend() {
        if (!raw_) throw invalid_request_error("this connection was already returned to the pool");
        check_thread();
        return *raw_;
    }
    void check_thread() const;

    friend struct detail::pool_state<Backend>;
    friend class basic_engine<Backend>;
    basic_connection(std::shared_ptr<detail::pool_state<Backend>> pool, typename Backend::connection_type* raw,
                     std::uint64_t generation, std::size_t hooks_run)
        : pool_(std::move(pool)),
          raw_(raw),
          owner_(detail::this_thread_token()),
          generation_(generation),
          hooks_run_(hooks_run) {}
    void release() noexcept;

    std::shared_ptr<detail::pool_state<Backend>> pool_;
    typename Backend::connection_type* raw_ = nullptr;
    std::uintptr_t owner_;  // detail::this_thread_token() of the thread that took it
    std::uint64_t generation_ = 0;
    std::size_t hooks_run_ = 0;  // the pool's on_connect hooks this connection has run, in order
};

namespace detail {

// SQLAlchemy's QueuePool: idle connections are reused most-recent first; at most
// pool_size + max_overflow exist at once; a borrower beyond that waits up to pool_timeout.
template <class Backend>
struct pool_state : std::enable_shared_from_this<pool_state<Backend>> {
    using raw_connection = typename Backend::connection_type;
    using hook = std::function<void(basic_connection<Backend>&)>;

    url address;
    typename Backend::connect_args args;
    detail::engine_context context;

    detail::lock_and_signal returned;  // the pool's lock; signalled when a connection comes back
    struct idle_connection {
        std::unique_ptr<raw_connection> raw;
        std::size_t hooks_run;  // hooks registered later run before it is lent again
    };
    std::vector<idle_connection> idle;
    std::size_t open = 0;            // idle + lent
    std::uint64_t generation = 0;    // bumped by dispose(): older connections close on return
    std::vector<hook> on_connect;
    std::unique_ptr<raw_connection> keeper;  // holds an in-memory database open

    std::size_t capacity() const noexcept { return context.options.pool_size + context.options.max_overflow; }

    basic_connection<Backend> lend();

    bool usable(raw_connection& raw) const;

    // The hooks see the new connection through a lent handle that must not give it back to the
    // pool on its own.
    void run_hooks(raw_connection& raw, const std::vector<hook>& hooks);

    // A connection comes back: kept idle for reuse, or closed when it is broken (the server
    // went away), of an older generation (dispose()) or beyond pool_size.
    void give_back(raw_connection* raw, std::uint64_t born, std::size_t hooks_run) noexcept;
};

template <class Backend>
basic_connection<Backend> pool_state<Backend>::lend() {
    const auto& options = context.options;
    std::unique_ptr<raw_connection> raw;
    std::vector<hook> hooks;  // the ones it has yet to run
    std::size_t hooks_run;
    std::uint64_t born;
    {
        detail::held_lock lock(returned);
        std::optional<std::chrono::steady_clock::time_point> deadline;  // read the clock only to wait
        while (idle.empty() && open >= capacity()) {
            if (!deadline) deadline = std::chrono::steady_clock::now() + options.pool_timeout;
            if (!returned.wait_until(*deadline) && idle.empty() && open >= capacity())
                throw timeout_error("connection pool limit of size " + std::to_string(options.pool_size) +
                                    " overflow " + std::to_string(options.max_overflow) +
                                    " reached; no connection was returned within " +
                                    std::to_string(options.pool_timeout.count()) + " ms (" + address.render() +
                                    "). Close sessions when done, or raise pool_size / max_overflow");
        }
        if (!idle.empty()) {
            raw = std::move(idle.back().raw);
            hooks.assign(on_connect.begin() + static_cast<std::ptrdiff_t>(idle.back().hooks_run), on_connect.end());
            idle.pop_back();
        } else {
            ++open;
            hooks = on_connect;
        }
        hooks_run = on_connect.size();
        // A connection made after a dispose() that follows this line is closed on return:
        // harmless, where reading the generation under a second lock would cost every loan.
        born = generation;
    }
    if (raw && !usable(*raw)) {
        raw.reset();  // closed; a new one takes its place in the count
        detail::held_lock lock(returned);
        hooks = on_connect;
        hooks_run = on_connect.size();
    }
    try {
        if (!raw) raw = std::make_unique<raw_connection>(args, &context);
        if (!hooks.empty()) run_hooks(*raw, hooks);
    } catch (...) {
        raw.reset();  // a connection whose hooks failed is closed
        detail::held_lock lock(returned);
        --open;
        returned.signal_one();
        throw;
    }
    return basic_connection<Backend>(this->shared_from_this(), raw.release(), born, hooks_run);
}

template <class Backend>
bool pool_state<Backend>::usable(raw_connection& raw) const {
    const auto& options = context.options;
    if (options.pool_recycle && std::chrono::steady_clock::now() - raw.opened_at() > *options.pool_recycle)
        return false;
    return !options.pool_pre_ping || raw.ping();
}

template <class Backend>
void pool_state<Backend>::run_hooks(raw_connection& raw, const std::vector<hook>& hooks) {
    basic_connection<Backend> lent(this->shared_from_this(), &raw, 0, 0);
    try {
        for (auto& h : hooks) h(lent);
    } catch (...) {
        lent.raw_ = nullptr;
        throw;
    }
    lent.raw_ = nullptr;
}

template <class Backend>
void pool_state<Backend>::give_back(raw_connection* raw, std::uint64_t born, std::size_t hooks_run) noexcept {
    std::unique_ptr<raw_connection> owned(raw);
    if (!owned->broken()) owned->reset_for_pool();
    bool keep = !owned->broken();
    detail::held_lock lock(returned);
    if (keep && born == generation && idle.size() < context.options.pool_size) {
        idle.push_back({std::move(owned), hooks_run});
    } else {
        owned.reset();
        --open;
    }
    returned.signal_one();
}

}  // namespace detail

template <class Backend>
void basic_connection<Backend>::release() noexcept {
    if (raw_ && pool_) pool_->give_back(std::exchange(raw_, nullptr), generation_, hooks_run_);
    pool_.reset();
}

template <class Backend>
class basic_engine {
    static_assert(backend<Backend>,
                  "StructQL: basic_engine<Backend>: Backend does not meet the backend contract (structql::backend "
                  "in <structql/backend/concepts.hpp>); the failing requirement is named below");

public:
    using backend_type = Backend;
    using connection_type = basic_connection<Backend>;

    basic_engine(std::string_view url_text, engine_options options = {});

    // Runs fn(connection&) on every database connection before its first use. A connection
    // already open runs it before it is next lent, idle or lent now alike: never in the middle
    // of a borrower's work. A connection whose hook throws is closed, and connect() throws.
    void on_connect(std::function<void(connection_type&)> fn);

    // Hooks around every statement: before it runs, and after, with its duration. Register
    // them before the engine is shared between threads.
    void before_execute(std::function<void(const statement_event&)> fn);
    void after_execute(std::function<void(const statement_event&)> fn);

    // Lends a connection from the pool; it returns there when the handle is destroyed.
    connection_type connect() const { return pool_->lend(); }

    // A transaction on a connection of its own (SQLAlchemy's `with engine.begin() as conn:`):
    // tx->execute(...), then tx.commit(); rolled back, and the connection returned, when the
    // guard goes out of scope.
    basic_transaction<Backend> begin() const;
    // fn(connection&) in a transaction on a connection of its own: committed when fn returns,
    // rolled back when it throws.
    template <class F>
    decltype(auto) transaction(F&& fn) const {
        auto c = connect();
        return c.transaction(std::forward<F>(fn));
    }

    const url& address() const noexcept { return pool_->address; }
    const engine_options& options() const noexcept { return pool_->context.options; }
    const engine_statistics& statistics() const noexcept { return pool_->context.statistics; }

    // Connections open now: idle in the pool plus lent out.
    std::size_t open_connections() const;

    // Closes every idle connection; connections lent out are closed when they come back.
    void dispose();

private:
    std::shared_ptr<detail::pool_state<Backend>> pool_;
};

template <class Backend>
basic_engine<Backend>::basic_engine(std::string_view url_text, engine_options options) {
    auto state = std::make_shared<detail::pool_state<Backend>>();
    state->address = make_url(url_text);
    state->context.options = std::move(options);
    state->args = Backend::connect_args_from(state->address, state->context.options);
    if (state->context.options.pool_size == 0) state->context.options.pool_size = 1;
    state->context.update_tracing();
    if (Backend::keeps_one_open(state->args))
        state->keeper = std::make_unique<typename Backend::connection_type>(state->args, &state->context);
    pool_ = std::move(state);
}

template <class Backend>
void basic_engine<Backend>::on_connect(std::function<void(connection_type&)> fn) {
    detail::held_lock lock(pool_->returned);
    pool_->on_connect.push_back(std::move(fn));
}

template <class Backend>
void basic_engine<Backend>::before_execute(std::function<void(const statement_event&)> fn) {
    pool_->context.events.before_execute.push_back(std::move(fn));
    pool_->context.update_tracing();
}

template <class Backend>
void basic_engine<Backend>::after_execute(std::function<void(const statement_event&)> fn) {
    pool_->context.events.after_execute.push_back(std::move(fn));
    pool_->context.update_tracing();
}

template <class Backend>
std::size_t basic_engine<Backend>::open_connections() const {
    detail::held_lock lock(pool_->returned);
    return pool_->open;
}

template <class Backend>
void basic_engine<Backend>::dispose() {
    detail::held_lock lock(pool_->returned);
    pool_->open -= pool_->idle.size();
    pool_->idle.clear();
    ++pool_->generation;
    pool_->returned.signal_all();
}

template <class Backend>
void basic_connection<Backend>::check_thread() const {
    if (pool_ && pool_->context.options.check_same_thread && owner_ != detail::this_thread_token())
        throw operational_error(
            "a connection (or the session holding it) was used from a thread other than the one that took it "
            "from the pool; create the engine with check_same_thread = false to share it across threads "
            "and serialise access yourself");
}

template <class Backend>
basic_engine<Backend> create_engine(std::string_view url, engine_options options = {}) {
    return basic_engine<Backend>(url, std::move(options));
}

}  // namespace structql

#include "structql/engine/transaction.hpp"  // basic_transaction needs basic_connection complete

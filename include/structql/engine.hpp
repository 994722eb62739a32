#pragma once
// The engine: a cheap, copyable handle to a shared, thread-safe pool of database connections
// for one database URL. engine.connect() lends a connection (given back when it is destroyed);
// sessions borrow theirs the same way.
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "structql/backend/sqlite.hpp"
#include "structql/engine_options.hpp"
#include "structql/errors.hpp"
#include "structql/url.hpp"

namespace structql {

template <class Backend>
class basic_engine;

namespace detail {

template <class Backend>
struct pool_state;

// How a URL becomes the arguments a backend opens a connection with.
template <class Backend>
struct connect_args_from_url;

inline std::atomic<std::uint64_t> memory_database_counter{0};

template <>
struct connect_args_from_url<sqlite_backend> {
    static sqlite_connect_args make(const url& u) {
        if (u.dialect != "sqlite")
            throw url_error("create_engine: '" + u.render() + "' is a " + u.dialect +
                            " URL; this engine type speaks SQLite (use the backend's own engine)");
        sqlite_connect_args args;
        auto flag = [&](std::string_view key) {
            auto v = u.query_value(key);
            return v && (*v == "true" || *v == "1" || *v == "yes");
        };
        args.uri = flag("uri");
        args.read_only = u.query_value("mode") == std::optional<std::string_view>("ro") && !args.uri;
        if (u.is_memory()) {
            // A named shared-cache memory database, kept alive by the pool, so every
            // connection of the engine sees the same data.
            args.filename = "file:structql-memory-" + std::to_string(memory_database_counter.fetch_add(1)) +
                            "?mode=memory&cache=shared";
            args.uri = true;
        } else {
            args.filename = u.database;
        }
        return args;
    }
};

}  // namespace detail

// A connection lent by the pool; it goes back when destroyed.
template <class Backend>
class basic_connection {
public:
    using native_handle_type = typename Backend::connection_type::native_handle_type;

    basic_connection(basic_connection&& other) noexcept
        : pool_(std::move(other.pool_)), raw_(std::exchange(other.raw_, nullptr)), owner_(other.owner_) {}
    basic_connection& operator=(basic_connection&& other) noexcept {
        if (this != &other) {
            release();
            pool_ = std::move(other.pool_);
            raw_ = std::exchange(other.raw_, nullptr);
            owner_ = other.owner_;
        }
        return *this;
    }
    ~basic_connection() { release(); }

    // Runs raw SQL (one or more statements, no parameters).
    void execute(std::string_view sql) { get().execute(sql); }

    // The driver's own handle (sqlite3*, PGconn*) for what StructQL does not cover.
    native_handle_type native_handle() { return get().native_handle(); }

    // The backend connection, for the session and the query layer.
    typename Backend::connection_type& get() {
        if (!raw_) throw invalid_request_error("this connection was already returned to the pool");
        if (pool_ && pool_->options.check_same_thread && owner_ != std::this_thread::get_id())
            throw operational_error(
                "a connection (or the session holding it) was used from a thread other than the one that took it "
                "from the pool; create the engine with check_same_thread = false to share it across threads "
                "and serialise access yourself");
        return *raw_;
    }

private:
    friend struct detail::pool_state<Backend>;
    friend class basic_engine<Backend>;
    basic_connection(std::shared_ptr<detail::pool_state<Backend>> pool, typename Backend::connection_type* raw)
        : pool_(std::move(pool)), raw_(raw), owner_(std::this_thread::get_id()) {}
    void release() noexcept;

    std::shared_ptr<detail::pool_state<Backend>> pool_;
    typename Backend::connection_type* raw_ = nullptr;
    std::thread::id owner_;
};

namespace detail {

template <class Backend>
struct pool_state : std::enable_shared_from_this<pool_state<Backend>> {
    using raw_connection = typename Backend::connection_type;

    url address;
    typename Backend::connect_args args;
    engine_options options;
    engine_statistics statistics;

    std::mutex mutex;
    std::vector<std::unique_ptr<raw_connection>> idle;
    std::vector<std::function<void(basic_connection<Backend>&)>> on_connect;
    std::unique_ptr<raw_connection> keeper;  // holds an in-memory database open

    basic_connection<Backend> lend() {
        std::unique_ptr<raw_connection> raw;
        std::vector<std::function<void(basic_connection<Backend>&)>> hooks;
        {
            std::lock_guard lock(mutex);
            if (!idle.empty()) {
                raw = std::move(idle.back());
                idle.pop_back();
            } else {
                hooks = on_connect;
            }
        }
        if (!raw) {
            raw = std::make_unique<raw_connection>(args, &options, &statistics);
            // The hooks see the new connection through a lent handle that must not give it
            // back to the pool on its own: it is released by hand below.
            basic_connection<Backend> lent(this->shared_from_this(), raw.get());
            try {
                for (auto& hook : hooks) hook(lent);
            } catch (...) {
                lent.raw_ = nullptr;
                throw;
            }
            lent.raw_ = nullptr;
        }
        return basic_connection<Backend>(this->shared_from_this(), raw.release());
    }

    void give_back(raw_connection* raw) noexcept {
        std::unique_ptr<raw_connection> owned(raw);
        owned->reset_for_pool();
        std::lock_guard lock(mutex);
        if (idle.size() < options.pool_size) idle.push_back(std::move(owned));
    }
};

}  // namespace detail

template <class Backend>
void basic_connection<Backend>::release() noexcept {
    if (raw_ && pool_) pool_->give_back(std::exchange(raw_, nullptr));
    pool_.reset();
}

template <class Backend>
class basic_engine {
public:
    using backend_type = Backend;
    using connection_type = basic_connection<Backend>;

    basic_engine(std::string_view url_text, engine_options options = {}) {
        auto state = std::make_shared<detail::pool_state<Backend>>();
        state->address = make_url(url_text);
        state->args = detail::connect_args_from_url<Backend>::make(state->address);
        state->options = std::move(options);
        if (state->options.pool_size == 0) state->options.pool_size = 1;
        if (state->address.is_memory())
            state->keeper = std::make_unique<typename Backend::connection_type>(state->args, &state->options,
                                                                                &state->statistics);
        pool_ = std::move(state);
    }

    // Runs fn(connection&) on every new database connection, before its first use.
    void on_connect(std::function<void(connection_type&)> fn) {
        std::lock_guard lock(pool_->mutex);
        pool_->on_connect.push_back(std::move(fn));
        // Connections opened before the hook was registered get it too, so that every
        // connection the engine lends has run every hook.
        for (auto& raw : pool_->idle) {
            connection_type lent(pool_, raw.get());
            try {
                pool_->on_connect.back()(lent);
            } catch (...) {
                lent.raw_ = nullptr;
                throw;
            }
            lent.raw_ = nullptr;
        }
    }

    // Lends a connection from the pool; it returns there when the handle is destroyed.
    connection_type connect() const { return pool_->lend(); }

    const url& address() const noexcept { return pool_->address; }
    const engine_options& options() const noexcept { return pool_->options; }
    const engine_statistics& statistics() const noexcept { return pool_->statistics; }

    // Closes every idle connection; connections lent out close when they come back.
    void dispose() {
        std::lock_guard lock(pool_->mutex);
        pool_->idle.clear();
    }

private:
    std::shared_ptr<detail::pool_state<Backend>> pool_;
};

using engine = basic_engine<sqlite_backend>;
using connection = basic_connection<sqlite_backend>;

// create_engine("sqlite:///./sql_app.db", {.check_same_thread = false})
inline engine create_engine(std::string_view url, engine_options options = {}) {
    return engine(url, std::move(options));
}

template <class Backend>
basic_engine<Backend> create_engine(std::string_view url, engine_options options = {}) {
    return basic_engine<Backend>(url, std::move(options));
}

}  // namespace structql

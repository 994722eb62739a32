#pragma once
// The session: a unit of work over one transaction, with SQLAlchemy's Session semantics.
//
// - Identity map: one row, one object per session; objects live until close() and keep their
//   addresses.
// - add() makes an object pending; flush() writes pending inserts (parents before children,
//   then in add order), updates of changed objects (found by comparing with the snapshot taken
//   when the object was loaded or last flushed) and deletes (children before parents).
// - commit() = flush + COMMIT. rollback() discards pending objects and restores changed and
//   removed ones to their last committed state. A failed flush rolls the database transaction
//   back at once and leaves the session needing rollback(): anything else throws
//   pending_rollback_error. close() (and the destructor) rolls back what was not committed.
// - autoflush (default true): get() misses and queries flush first. autocommit: every flush
//   is committed at once.
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/hana/fold_left.hpp>
#include <boost/pfr/ops.hpp>

#include "structql/detail/flat_map.hpp"
#include "structql/detail/rows.hpp"
#include "structql/detail/spare_shelf.hpp"
#include "structql/detail/stable_vector.hpp"
#include "structql/engine.hpp"
#include "structql/errors.hpp"
#include "structql/query/query.hpp"
#include "structql/sql/statements.hpp"

namespace structql {

struct session_options {
    bool autocommit = false;  // commit after every flush
    bool autoflush = true;    // flush before queries and get() misses
};

namespace detail {

template <class T>
inline const char model_id = 0;  // its address identifies T without RTTI

// A small dense number per model type, so that a session finds a model's store by indexing.
inline std::size_t next_model_index() {
    static std::atomic<std::size_t> next{0};
    return next.fetch_add(1, std::memory_order_relaxed);
}
template <class T>
std::size_t model_index() {
    static const std::size_t index = next_model_index();
    return index;
}

// How far a model is from the models that reference nothing: parents are written first.
template <class T>
constexpr std::size_t foreign_key_depth() {
    return boost::hana::fold_left(table<T>::parents, std::size_t{0}, [](std::size_t d, auto parent) {
        std::size_t p = foreign_key_depth<typename decltype(parent)::type>() + 1;
        return d > p ? d : p;
    });
}

enum class object_state { pending, persistent, deleted, deleted_flushed, detached };

template <class T>
struct tracked {
    T object;                    // lives as long as the entry: its address is the user's reference
    std::optional<T> snapshot;   // the row as last loaded or flushed
    // The row as before this transaction first wrote it: on the heap, as most objects of a
    // session are never written and an empty std::optional<T> would still take a T's room.
    std::unique_ptr<T> committed;
    object_state state = object_state::pending;
    bool inserted_in_transaction = false;
    std::uint64_t order = 0;  // add() or remove() sequence number

    // Called before the transaction's first write of this object.
    void keep_committed() {
        if (!committed) committed = std::make_unique<T>(*snapshot);
    }
};

template <class K>
std::string describe_key(const K& key) {
    if constexpr (std::is_same_v<K, std::int64_t>) return std::to_string(key);
    else if constexpr (std::is_same_v<K, std::string>) return "'" + key + "'";
    else return "<key>";
}

template <class Backend>
struct model_store_base;

template <class Backend>
struct flush_step {
    std::size_t depth;
    std::uint64_t order;
    model_store_base<Backend>* store;
    void* entry;
};

template <class Backend>
struct model_store_base {
    using connection_type = typename Backend::connection_type;
    explicit model_store_base(const void* model) : model_id(model) {}
    virtual ~model_store_base() = default;
    const void* model_id;  // detail::model_id<T> of the store's model
    virtual void collect(std::vector<flush_step<Backend>>& inserts, std::vector<flush_step<Backend>>& deletes) = 0;
    // Inserts the objects of consecutive steps, all of this store's model.
    virtual void insert_run(connection_type& c, std::span<const flush_step<Backend>> run) = 0;
    virtual void remove(connection_type& c, void* entry) = 0;
    // Writes an UPDATE for every changed object; `c` is only called when one is found.
    virtual void flush_updates(const std::function<connection_type&()>& c) = 0;
    virtual void after_commit() = 0;
    virtual void after_rollback() = 0;
    // Forgets every object, keeping the memory (detail::spare_shelf).
    virtual void reset() noexcept = 0;
    virtual std::size_t retained_bytes() const noexcept = 0;

    // The state of every tracked object at a savepoint, and its restoration after
    // ROLLBACK TO SAVEPOINT (objects loaded since are reloaded, objects added since dropped).
    struct frame {
        virtual ~frame() = default;
    };
    virtual std::unique_ptr<frame> save() const = 0;
    virtual void restore(const frame* saved, connection_type& c) = 0;
};

template <class Backend, class T>
struct model_store final : model_store_base<Backend> {
    using dialect = typename Backend::dialect;
    using connection_type = typename Backend::connection_type;
    using key_type = identity_key_t<T>;
    using entry_type = tracked<T>;
    static constexpr bool hashable_key = requires(const key_type& k) { std::hash<key_type>{}(k); };
    using identity_map = std::conditional_t<hashable_key, detail::flat_map<key_type, entry_type>,
                                            std::map<key_type, entry_type*>>;

    model_store() : model_store_base<Backend>(&model_id<T>) {}

    detail::stable_vector<entry_type> entries;  // never shrinks before close(): addresses stay valid
    identity_map identity;
    std::vector<entry_type*> pending;  // in add() order
    std::vector<entry_type*> deleted;  // in remove() order

    // Runs a write (true when it returned a row), adding to a foreign-key failure which of T's
    // columns reference what: SQLite's own message does not say.
    static bool step_write(typename Backend::statement_type& statement) {
        return explaining_foreign_keys([&] { return statement.step(); });
    }
    template <class Write>
    static decltype(auto) explaining_foreign_keys(Write&& write) {
        try {
            return write();
        } catch (const integrity_error& e) {
            std::string_view message = e.what();
            if (!Backend::is_foreign_key_violation(message)) throw;
            std::string keys;
            for (const column_info& c : table<T>::columns) {
                if (c.references_table.empty()) continue;
                keys += keys.empty() ? "" : ", ";
                keys += "\"" + std::string(table<T>::name) + "\".\"" + std::string(c.name) + "\" REFERENCES \"" +
                        std::string(c.references_table) + "\" (\"" + std::string(c.references_column) + "\")";
            }
            if (keys.empty()) throw;  // the failing key is another table's, referencing this one
            throw integrity_error(std::string(message) + " (foreign keys of \"" + std::string(table<T>::name) +
                                  "\": " + keys + ")");
        }
    }

    entry_type& track(T&& object, object_state state) {
        // Every member named: g++ 12 warns of the ones left out when T is a function-local type.
        return entries.emplace_back(entry_type{.object = std::move(object),
                                               .snapshot = std::nullopt,
                                               .committed = nullptr,
                                               .state = state,
                                               .inserted_in_transaction = false,
                                               .order = 0});
    }

    // The entry tracking this very object (by address), or nullptr.
    entry_type* find(const T& object) {
        entry_type* e = entries.element_of(&object, &entry_type::object);
        return e && e->state != object_state::detached ? e : nullptr;
    }

    void detach(entry_type& e) { e.state = object_state::detached; }

    void collect(std::vector<flush_step<Backend>>& inserts, std::vector<flush_step<Backend>>& deletes) override {
        constexpr std::size_t depth = foreign_key_depth<T>();
        for (entry_type* e : pending)
            if (e->state == object_state::pending) inserts.push_back({depth, e->order, this, e});
        for (entry_type* e : deleted)
            if (e->state == object_state::deleted) deletes.push_back({depth, e->order, this, e});
        pending.clear();
        deleted.clear();
    }

    static entry_type& entry_of(const flush_step<Backend>& step) { return *static_cast<entry_type*>(step.entry); }

    static bool key_generated(const T& object) { return is_unassigned_key<T>(table<T>::primary_key_of(object)); }
    // A key left for the database to assign is left out of the INSERT; it comes back through
    // RETURNING where the dialect has it, else from the backend (SQLite's last insert rowid).
    static constexpr bool returning(bool generated) { return generated && dialect::returns_generated_keys; }
    static auto& prepare_insert(connection_type& c, bool generated) {
        return generated ? c.prepare_static(sql::insert_generated_in<dialect, T>)
                         : c.prepare_static(sql::insert_in<dialect, T>);
    }
    static void bind_insert(typename Backend::statement_type& statement, const T& object, bool generated) {
        bind_columns(statement, object, 1, generated ? all_but_primary_key<T>() : all_columns<T>());
    }

    // A connection that can send many runs of a statement before reading their results
    // (PostgreSQL's pipeline mode) gets each run of objects at once; others one by one, for
    // which SQLite's in-process calls are already the fastest way.
    static constexpr bool pipelines = requires(connection_type& c, typename Backend::statement_type& s) {
        c.run_pipelined(s, std::size_t{}, [](std::size_t) {}, [](std::size_t) {});
    };

    void insert_run(connection_type& c, std::span<const flush_step<Backend>> run) override {
        if constexpr (pipelines) {
            while (!run.empty()) {
                // Objects with and without a key of their own use different statements.
                bool generated = key_generated(entry_of(run[0]).object);
                std::size_t n = 1;
                while (n < run.size() && key_generated(entry_of(run[n]).object) == generated) ++n;
                auto& statement = prepare_insert(c, generated);
                statement_use use(statement);
                explaining_foreign_keys([&] {
                    c.run_pipelined(
                        statement, n, [&](std::size_t i) { bind_insert(statement, entry_of(run[i]).object, generated); },
                        [&](std::size_t i) { inserted(c, statement, entry_of(run[i]), generated, statement.step()); });
                });
                run = run.subspan(n);
            }
        } else {
            for (const auto& step : run) {
                entry_type& e = entry_of(step);
                bool generated = key_generated(e.object);
                auto& statement = prepare_insert(c, generated);
                statement_use use(statement);
                bind_insert(statement, e.object, generated);
                inserted(c, statement, e, generated, step_write(statement));
            }
        }
    }

    // After an object's INSERT ran (`returned_row`: its statement is on the row it returned):
    // a generated key is written back, and the object is persistent.
    void inserted(connection_type& c, const typename Backend::statement_type& statement, entry_type& e,
                  bool generated, bool returned_row) {
        if constexpr (table<T>::generated_primary_key) {
            using key_value = typename table<T>::primary_key_value;
            auto& key = static_cast<key_value&>(table<T>::primary_key_of(e.object));
            if (returning(generated)) {
                if (!returned_row)
                    throw operational_error("INSERT ... RETURNING returned no row [SQL: " + std::string(statement.sql()) +
                                            "]");
                key_value assigned{};
                try {
                    read_value(statement, 0, assigned);
                } catch (...) {
                    rethrow_as_data_error<T>(table<T>::primary_key_index, statement.sql(), "cannot read");
                }
                key = assigned;
            } else if (generated) {
                key = value_traits<key_value>::from_storage(c.last_insert_id());
            }
        }
        inserted(e);
    }

    void inserted(entry_type& e) {
        e.state = object_state::persistent;
        e.inserted_in_transaction = true;
        e.snapshot = e.object;
        identity.insert_or_assign(identity_key(e.object), &e);
    }

    void remove(connection_type& c, void* raw) override {
        entry_type& e = *static_cast<entry_type*>(raw);
        auto& statement = c.prepare_static(sql::delete_by_primary_key_in<dialect, T>);
        statement_use use(statement);
        bind_primary_key(statement, 1, *e.snapshot);
        step_write(statement);
        if (c.changes() == 0) stale("DELETE", identity_key(*e.snapshot), statement.sql());
        e.keep_committed();
        e.state = object_state::deleted_flushed;
        identity.erase(identity_key(*e.snapshot));
    }

    void flush_updates(const std::function<connection_type&()>& connection) override {
        for (entry_type& e : entries) {
            if (e.state != object_state::persistent) continue;
            column_set changed = column_sets_fit<T> ? changed_columns(e.object, *e.snapshot) : all_columns<T>();
            if (changed == 0) continue;
            // Only the changed columns are written; each set of them has its own statement,
            // prepared once per connection. A changed key is written too (the row is found by
            // the key it had).
            connection_type& c = connection();
            bool whole_row = changed == all_but_primary_key<T>();
            auto& statement = whole_row ? c.prepare_static(sql::update_by_primary_key_in<dialect, T>)
                                        : c.prepare_generated(&model_id<T>, changed, [&] {
                                              runtime_text out;
                                              sql::detail::write_update<dialect, T>(out, [&](std::size_t i) {
                                                  return (changed >> i) & 1;
                                              });
                                              return std::move(out.text);
                                          });
            statement_use use(statement);
            int next = bind_columns(statement, e.object, 1, whole_row ? all_but_primary_key<T>() : changed);
            bind_primary_key(statement, next, *e.snapshot);  // the key as the row has it
            step_write(statement);
            if (c.changes() == 0) stale("UPDATE", identity_key(*e.snapshot), statement.sql());
            e.keep_committed();
            key_type old_key = identity_key(*e.snapshot), new_key = identity_key(e.object);
            if (!(old_key == new_key)) {
                identity.erase(old_key);
                identity.insert_or_assign(new_key, &e);
            }
            e.snapshot = e.object;
        }
    }

    [[noreturn]] static void stale(std::string_view what, const key_type& key, std::string_view sql) {
        throw stale_data_error(std::string(what) + " of \"" + std::string(table<T>::name) + "\" row with " +
                               std::string(table<T>::columns[table<T>::primary_key_index].name) + " = " +
                               describe_key(key) +
                               " matched no row: it was deleted or changed behind this session [SQL: " +
                               std::string(sql) + "]");
    }

    void reset() noexcept override {
        entries.clear();
        identity.clear();
        pending.clear();
        deleted.clear();
    }
    std::size_t retained_bytes() const noexcept override {
        std::size_t bytes = entries.capacity_bytes() + (pending.capacity() + deleted.capacity()) * sizeof(entry_type*);
        if constexpr (hashable_key) bytes += identity.capacity_bytes();
        return bytes;
    }

    void after_commit() override {
        for (entry_type& e : entries) {
            e.committed.reset();
            e.inserted_in_transaction = false;
            if (e.state == object_state::deleted_flushed) detach(e);
        }
    }

    void forget(entry_type& e) {
        if (e.state == object_state::detached) return;
        if (e.snapshot) {
            auto it = identity.find(identity_key(*e.snapshot));
            if (it != identity.end() && it->second == &e) identity.erase(it);
        }
        std::erase(pending, &e);
        std::erase(deleted, &e);
        detach(e);
    }

    // Reads the object's row again; false when the row is gone.
    bool reload(entry_type& e, connection_type& c) {
        auto& statement = c.prepare_static(sql::select_by_primary_key_in<dialect, T>);
        statement_use use(statement);
        bind_primary_key(statement, 1, *e.snapshot);
        if (!statement.step()) return false;
        T fresh{};
        read_columns(statement, fresh);
        e.object = fresh;
        e.snapshot = std::move(fresh);
        return true;
    }

    struct saved_entry {
        object_state state;
        std::optional<T> snapshot;
        std::optional<T> committed;
        bool inserted_in_transaction;
    };
    struct model_frame : model_store_base<Backend>::frame {
        std::vector<saved_entry> entries;
    };

    std::unique_ptr<typename model_store_base<Backend>::frame> save() const override {
        auto f = std::make_unique<model_frame>();
        f->entries.reserve(entries.size());
        for (const entry_type& e : entries)
            f->entries.push_back({e.state, e.snapshot, e.committed ? std::optional<T>(*e.committed) : std::nullopt,
                                  e.inserted_in_transaction});
        return f;
    }

    void restore(const typename model_store_base<Backend>::frame* saved, connection_type& c) override {
        const auto* f = static_cast<const model_frame*>(saved);
        std::size_t before = f ? f->entries.size() : 0;
        identity.clear();
        pending.clear();
        deleted.clear();
        for (std::size_t i = 0; i < entries.size(); ++i) {
            entry_type& e = entries[i];
            if (i < before) {
                const saved_entry& was = f->entries[i];
                if (was.state == object_state::detached) {
                    if (e.state != object_state::detached) detach(e);
                    continue;
                }
                e.state = was.state;
                e.snapshot = was.snapshot;
                e.committed = was.committed ? std::make_unique<T>(*was.committed) : nullptr;
                e.inserted_in_transaction = was.inserted_in_transaction;
                if (e.state == object_state::persistent) e.object = *e.snapshot;
            } else if (e.state == object_state::pending || e.inserted_in_transaction ||
                       e.state == object_state::detached || !reload(e, c)) {
                if (e.state != object_state::detached) detach(e);
                continue;
            } else {
                e.state = object_state::persistent;
            }
            if (e.state == object_state::persistent) identity.insert_or_assign(identity_key(*e.snapshot), &e);
        }
    }

    void after_rollback() override {
        identity.clear();
        for (entry_type& e : entries) {
            switch (e.state) {
                case object_state::detached: break;
                case object_state::pending: detach(e); break;
                case object_state::persistent:
                case object_state::deleted:
                case object_state::deleted_flushed:
                    if (e.inserted_in_transaction) {
                        detach(e);
                    } else {
                        if (e.committed) e.snapshot = std::move(*e.committed);
                        e.object = *e.snapshot;
                        e.state = object_state::persistent;
                        identity.insert_or_assign(identity_key(e.object), &e);
                    }
                    break;
            }
            e.committed.reset();
            e.inserted_in_transaction = false;
        }
        pending.clear();
        deleted.clear();
    }
};

}  // namespace detail

template <class Backend>
class basic_session {
public:
    using engine_type = basic_engine<Backend>;
    using connection_type = basic_connection<Backend>;

    explicit basic_session(engine_type bound, session_options options = {})
        : engine_(std::move(bound)), options_(options) {}
    basic_session(const basic_session&) = delete;
    basic_session& operator=(const basic_session&) = delete;
    basic_session(basic_session&& other) noexcept
        : engine_(other.engine_),
          options_(other.options_),
          connection_(std::move(other.connection_)),
          stores_(std::move(other.stores_)),
          sequence_(other.sequence_),
          failure_(std::move(other.failure_)),
          closed_(other.closed_),
          savepoints_(std::move(other.savepoints_)),
          savepoint_names_(other.savepoint_names_),
          transaction_generation_(other.transaction_generation_) {
        other.connection_.reset();
        other.closed_ = true;
    }
    basic_session& operator=(basic_session&&) = delete;
    ~basic_session() {
        try {
            close();
        } catch (...) {
            // A destructor must not throw; the connection went back to the pool rolled back.
        }
    }

    // Starts tracking `object` (pending until the next flush) and returns the tracked copy,
    // whose address stays valid until the session is closed. Adding an object the session
    // already tracks returns it unchanged.
    template <class M>
    std::remove_cvref_t<M>& add(M&& object) {
        using T = std::remove_cvref_t<M>;
        (void)table<T>::members_checked;
        check_usable();
        auto& store = store_for<T>();
        if (auto* e = store.find(object)) return e->object;
        auto& e = store.track(T(std::forward<M>(object)), detail::object_state::pending);
        e.order = ++sequence_;
        store.pending.push_back(&e);
        return e.object;
    }

    // The object with this primary key: from the identity map when tracked, else loaded.
    // nullptr when no such row exists (or it was removed in this session).
    template <class T, class K>
    T* get(const K& key) {
        check_usable();
        using key_value = typename table<T>::primary_key_value;
        auto storage_key = detail::identity_key_t<T>(value_traits<key_value>::to_storage(key_value(key)));
        auto& store = store_for<T>();
        if (auto it = store.identity.find(storage_key); it != store.identity.end()) return visible(*it->second);
        if (options_.autoflush) {
            // Pending inserts and deletes only: a changed tracked object cannot make an untracked
            // row appear (SQLAlchemy would also write changed objects here; comparing every
            // tracked object on each miss would make a loop of get() quadratic).
            autoflush(static_cast<detail::type_list<>*>(nullptr));
            if (auto it = store.identity.find(storage_key); it != store.identity.end()) return visible(*it->second);
        }
        T* result = nullptr;
        const key_value bound_key(key);  // outlives the statement, which may bind it without a copy
        run_select(sql::select_by_primary_key_in<typename Backend::dialect, T>, false,
                   [&](auto& statement) { detail::bind_value(statement, 1, bound_key); },
                   [&](const auto& statement) {
                       result = materialize<T>(statement, 0);
                       return false;
                   });
        return result;
    }

    // Marks a tracked object for DELETE at the next flush (a pending one is simply dropped).
    template <class T>
    void remove(T& object) {
        check_usable();
        auto* e = store_for<T>().find(object);
        if (!e) throw not_tracked<T>("remove");
        if (e->state == detail::object_state::pending) {
            store_for<T>().detach(*e);
        } else if (e->state == detail::object_state::persistent) {
            e->state = detail::object_state::deleted;
            e->order = ++sequence_;
            store_for<T>().deleted.push_back(e);
        }
    }

    // Stops tracking an object: no more writes for it, and get() / queries load a new object
    // for its row. Its memory stays valid until the session is closed.
    template <class T>
    void expunge(T& object) {
        check_usable();
        auto* e = store_for<T>().find(object);
        if (!e) throw not_tracked<T>("expunge");
        store_for<T>().forget(*e);
    }

    // Reads a persistent object's row again, discarding its unflushed changes.
    template <class T>
    void refresh(T& object) {
        check_usable();
        auto& store = store_for<T>();
        auto* e = store.find(object);
        if (!e || e->state != detail::object_state::persistent) throw not_tracked<T>("refresh");
        if (!store.reload(*e, connection()))
            throw invalid_request_error("refresh(): the \"" + std::string(table<T>::name) +
                                        "\" row of this object no longer exists");
    }

    // Copies the state of an object from outside the session onto the tracked object for the
    // same primary key (loading it if need be), or adds a copy when no row has that key.
    // Returns the tracked object; `object` itself is not tracked.
    template <class T>
    T& merge(const T& object) {
        check_usable();
        using key_value = typename table<T>::primary_key_value;
        const key_value& key = table<T>::primary_key_of(object);
        if constexpr (table<T>::generated_primary_key) {
            if (key == 0) return add(T(object));
        }
        if (auto* e = store_for<T>().find(object)) return e->object;
        if (T* existing = get<T>(key)) {
            *existing = object;
            return *existing;
        }
        return add(T(object));
    }

    // A query over T whose results are tracked objects (see basic_query); its values() are
    // plain copies, read without the identity map.
    template <class T>
    basic_query<basic_session, query_parts<T>> query() {
        (void)table<T>::members_checked;
        return basic_query<basic_session, query_parts<T>>(*this, {});
    }

    // Raw SQL with bound parameters, rows mapped by position into Row (a std::tuple or an
    // aggregate struct). Flushes first when autoflush is on.
    template <class Row, class... Args>
    std::vector<Row> fetch(std::string_view sql, const Args&... args) {
        return detail::fetch_rows<Row>(*this, sql, args...);
    }

    // Raw SQL that writes, with bound parameters, in the session's transaction: the number of
    // rows changed. Tracked objects are not synchronised with it.
    template <class... Args>
    std::int64_t execute(std::string_view sql, const Args&... args) {
        check_usable();
        if (options_.autoflush) flush();
        return detail::run_write(connection(/*for_write=*/true), sql, true,
                                 [&](auto& statement) { detail::bind_arguments(statement, args...); });
    }

    // Writes pending changes to the database inside the session's transaction.
    void flush() { flush_changes(nullptr); }

private:
    template <class... M>
    void autoflush(detail::type_list<M...>*) {
        const void* scan[] = {&detail::model_id<M>..., nullptr};
        flush_changes(scan);
    }
    void autoflush(void*) { flush_changes(nullptr); }

    // Inserts and deletes everything pending; compares (and updates) the tracked objects of the
    // models in `scan` (a null-terminated list), or of every model when `scan` is null.
    void flush_changes(const void* const* scan) {
        check_usable();
        std::vector<detail::flush_step<Backend>> inserts, deletes;
        for (auto& store : stores_) if (store) store->collect(inserts, deletes);
        bool wrote = false;
        std::function<typename Backend::connection_type&()> writer = [&]() -> typename Backend::connection_type& {
            wrote = true;
            return connection(/*for_write=*/true);
        };
        try {
            // Usually in order already (one model, added in order): checking is cheaper than sorting.
            auto parents_first = [](const auto& a, const auto& b) {
                return a.depth != b.depth ? a.depth < b.depth : a.order < b.order;
            };
            if (!std::is_sorted(inserts.begin(), inserts.end(), parents_first))
                std::stable_sort(inserts.begin(), inserts.end(), parents_first);
            std::stable_sort(deletes.begin(), deletes.end(), [](const auto& a, const auto& b) {
                return a.depth != b.depth ? a.depth > b.depth : a.order < b.order;
            });
            // Inserts in runs of one model (a run's rows never reference each other: parents are
            // a depth above), for backends that send a run at once.
            for (auto run = inserts.begin(); run != inserts.end();) {
                auto end = std::find_if(run, inserts.end(), [&](const auto& step) { return step.store != run->store; });
                run->store->insert_run(writer(), std::span<const detail::flush_step<Backend>>(run, end));
                run = end;
            }
            for (auto& store : stores_) {
                bool scanned = store && !scan;
                for (const void* const* s = scan; store && s && *s && !scanned; ++s) scanned = *s == store->model_id;
                if (scanned) store->flush_updates(writer);
            }
            for (auto& step : deletes) step.store->remove(writer(), step.entry);
        } catch (const std::exception& e) {
            fail(e.what());
            throw;
        }
        if (wrote && options_.autocommit) commit_transaction();
    }

public:

    // flush() + COMMIT. The connection goes back to the pool until the session is used again.
    void commit() {
        check_usable();
        flush();
        commit_transaction();
    }

    // Rolls the transaction back: pending objects are discarded, changed and removed ones
    // restored to their last committed state. Always allowed, also after a failed flush.
    void rollback() {
        if (closed_) return;
        std::exception_ptr failure;
        if (connection_) {
            try {
                if (connection_->get().in_transaction()) connection_->get().rollback();
            } catch (...) {
                failure = std::current_exception();
            }
            connection_.reset();
        }
        for (auto& store : stores_) if (store) store->after_rollback();
        end_transaction();
        failure_.reset();
        if (failure) std::rethrow_exception(failure);
    }

    // Rolls back what was not committed and forgets every object. The session cannot be used
    // afterwards (invalid_request_error).
    void close() {
        if (closed_) return;
        // The objects are about to go: roll the database back without restoring them first.
        closed_ = true;
        for (std::size_t i = 0; i < stores_.size(); ++i)
            if (stores_[i]) detail::spare_shelf<detail::model_store_base<Backend>>::keep(i, std::move(stores_[i]));
        stores_.clear();
        savepoints_.clear();
        failure_.reset();
        if (!connection_) return;
        auto lent = std::move(*connection_);
        connection_.reset();
        auto& c = lent.get();
        if (c.in_transaction()) c.rollback();
    }

    class savepoint;

    // SAVEPOINT: flushes, then marks a point inside the transaction that savepoint::rollback()
    // (or the guard's destruction without commit()) returns to, database and objects alike,
    // while the outer transaction goes on. Savepoints nest.
    savepoint begin_nested();

    // Runs fn(*this) in the session's transaction: commits when it returns, rolls back and
    // rethrows when it throws (SQLAlchemy's `with session.begin():`). Returns fn's result.
    template <class F>
    decltype(auto) transaction(F&& fn) {
        check_usable();
        try {
            if constexpr (std::is_void_v<std::invoke_result_t<F, basic_session&>>) {
                std::forward<F>(fn)(*this);
                commit();
            } else {
                decltype(auto) result = std::forward<F>(fn)(*this);
                commit();
                return result;
            }
        } catch (...) {
            rollback();
            throw;
        }
    }

    bool is_closed() const noexcept { return closed_; }
    const engine_type& bind() const noexcept { return engine_; }

    // --- used by basic_query ---

    using backend_type = Backend;
    static constexpr bool tracks_objects = true;
    template <class Parts>
    using value_row_type = typename detail::value_rows<Parts>::type;
    template <class Parts>
    using row_type = typename detail::tracked_rows<Parts>::type;

    template <class Parts, class Statement>
    row_type<Parts> read_row(const Statement& statement) {
        if constexpr (Parts::projected) {
            return detail::value_rows<Parts>::read(statement);
        } else if constexpr (std::tuple_size_v<typename Parts::joins_type> == 0) {
            return materialize<typename Parts::model>(statement, 0);
        } else {
            return [&]<std::size_t... I>(std::index_sequence<I...>) {
                return row_type<Parts>(materialize<typename Parts::model>(statement, 0),
                                       materialize_joined<Parts, I>(statement)...);
            }(std::make_index_sequence<std::tuple_size_v<typename Parts::joins_type>>{});
        }
    }
    template <class Parts, class Statement>
    value_row_type<Parts> read_value_row(const Statement& statement) {
        return detail::value_rows<Parts>::read(statement);
    }

    // Runs a SELECT (after an autoflush) and hands each row to on_row until it returns false.
    // Reads: the models the statement reads (detail::type_list), whose changed objects the
    // autoflush writes; void when unknown (raw SQL): then every changed object is written.
    template <class Reads, class Binder, class OnRow>
    void select_rows(std::string_view sql, bool runtime_text, Binder&& binder, OnRow&& on_row) {
        check_usable();
        if (options_.autoflush) autoflush(static_cast<Reads*>(nullptr));
        run_select(sql, runtime_text, binder, on_row);
    }

    // A bulk UPDATE or DELETE: flushes, runs it, then brings the tracked objects it reached in
    // line: updated ones are reloaded, deleted ones count as removed (rollback restores them).
    template <class T, class Binder, class KeyParts>
    std::size_t bulk_write(std::string_view sql, bool runtime_text, Binder&& binder, const KeyParts& key_parts,
                           bool deletes) {
        check_usable();
        flush();
        auto& store = store_for<T>();
        using dialect = typename Backend::dialect;
        std::vector<detail::identity_key_t<T>> reached;
        if (!store.identity.empty()) {
            auto collect = [&](const auto& statement) {
                reached.push_back(detail::read_identity_key<T>(statement));
                return true;
            };
            auto bind_keys = [&](auto& statement) {
                int index = 1;
                key_parts.bind(statement, index);
            };
            if constexpr (KeyParts::dynamic) {
                detail::runtime_text text;
                KeyParts::template write_text<dialect>(text, &key_parts, detail::statement_kind::rows);
                run_select(text.text, true, bind_keys, collect);
            } else {
                run_select(detail::static_query_text<dialect, KeyParts, detail::statement_kind::rows>(), false,
                           bind_keys, collect);
            }
        }
        auto& c = connection(/*for_write=*/true);
        std::int64_t changed = detail::run_write(c, sql, runtime_text, binder);
        for (const auto& key : reached) {
            auto it = store.identity.find(key);
            if (it == store.identity.end()) continue;
            auto& e = *it->second;
            e.keep_committed();
            if (deletes) {
                e.state = detail::object_state::deleted_flushed;
                store.identity.erase(it);
            } else {
                if (!store.reload(e, c)) store.forget(e);
            }
        }
        if (options_.autocommit) commit_transaction();
        return static_cast<std::size_t>(changed);
    }

private:
    template <class Binder, class OnRow>
    void run_select(std::string_view sql, bool runtime_text, Binder&& binder, OnRow&& on_row) {
        check_usable();
        detail::run_statement(connection(), sql, runtime_text, binder, on_row);
    }

    // The tracked object for the row whose T columns start at `first`: the one in the identity
    // map, unchanged, or a new one read from the row.
    template <class T, class Statement>
    T* materialize(const Statement& statement, int first) {
        auto& store = store_for<T>();
        auto key = detail::read_identity_key<T>(statement, first);
        if (auto it = store.identity.find(key); it != store.identity.end()) return &it->second->object;
        auto& e = store.entries.emplace_back();  // read in place: no T is built and then moved
        try {
            detail::read_columns(statement, e.object, first);
        } catch (...) {
            store.entries.pop_back();
            throw;
        }
        e.state = detail::object_state::persistent;
        e.snapshot = e.object;
        store.identity.emplace(std::move(key), &e);
        return &e.object;
    }

    template <class Parts, std::size_t I, class Statement>
    auto* materialize_joined(const Statement& statement) {
        using J = std::tuple_element_t<I, typename Parts::joins_type>;
        using M = typename J::model;
        constexpr int first = detail::join_offset<Parts, I>();
        if constexpr (J::outer) {
            if (detail::model_missing<M>(statement, first)) return static_cast<M*>(nullptr);
        }
        return materialize<M>(statement, first);
    }

    template <class T>
    detail::model_store<Backend, T>& store_for() {
        std::size_t index = detail::model_index<T>();
        if (index >= stores_.size()) stores_.resize(index + 1);
        auto& slot = stores_[index];
        if (!slot) slot = detail::spare_shelf<detail::model_store_base<Backend>>::take(index);
        if (!slot) slot = std::make_unique<detail::model_store<Backend, T>>();
        return static_cast<detail::model_store<Backend, T>&>(*slot);
    }

    // A tracked object as get() shows it: removed ones are gone.
    template <class T>
    static T* visible(detail::tracked<T>& e) {
        return e.state == detail::object_state::persistent ? &e.object : nullptr;
    }

    template <class T>
    static invalid_request_error not_tracked(std::string_view operation) {
        return invalid_request_error(std::string(operation) + "(): the \"" + std::string(table<T>::name) +
                                     "\" object is not tracked by this session");
    }

    void check_usable() const {
        if (closed_) throw invalid_request_error("this session is closed; create a new one from the sessionmaker");
        if (failure_)
            throw pending_rollback_error(
                "this session's transaction was rolled back because of an error during flush; call rollback() "
                "before using the session again. Original error: " +
                *failure_);
    }

    // The session's connection, with its transaction begun (SQLAlchemy's autobegin). With
    // autocommit, only writes open a transaction; the flush commits it.
    typename Backend::connection_type& connection(bool for_write = false) {
        if (!connection_) connection_.emplace(engine_.connect());
        auto& c = connection_->get();
        if ((!options_.autocommit || for_write) && !c.in_transaction()) c.begin();
        return c;
    }

    void commit_transaction() {
        if (connection_) {
            try {
                if (connection_->get().in_transaction()) connection_->get().commit();
            } catch (const std::exception& e) {
                fail(e.what());
                throw;
            }
            connection_.reset();
        }
        for (auto& store : stores_) if (store) store->after_commit();
        end_transaction();
    }

    void fail(std::string message) {
        failure_ = std::move(message);
        savepoints_.clear();
        if (connection_) {
            try {
                auto& c = connection_->get();
                if (c.in_transaction()) c.rollback();
            } catch (...) {
            }
            connection_.reset();
        }
    }

    engine_type engine_;
    session_options options_;
    std::optional<connection_type> connection_;
    std::vector<std::unique_ptr<detail::model_store_base<Backend>>> stores_;  // by detail::model_index<T>()
    std::uint64_t sequence_ = 0;
    std::optional<std::string> failure_;
    bool closed_ = false;

    // One per open savepoint, innermost last: the objects' state when it began.
    struct savepoint_frame {
        std::string name;
        std::map<const void*, std::unique_ptr<typename detail::model_store_base<Backend>::frame>> stores;
    };
    std::vector<savepoint_frame> savepoints_;
    std::uint64_t savepoint_names_ = 0;
    std::uint64_t transaction_generation_ = 0;  // bumped when the transaction ends: old guards go inert

    void end_savepoint(std::size_t depth, std::uint64_t generation, bool keep_changes) {
        if (generation != transaction_generation_ || depth >= savepoints_.size()) return;
        check_usable();
        auto& c = connection();
        if (keep_changes) {
            flush();
            c.execute("RELEASE SAVEPOINT \"" + savepoints_[depth].name + "\"");
            savepoints_.resize(depth);
            return;
        }
        c.execute("ROLLBACK TO SAVEPOINT \"" + savepoints_[depth].name + "\"");
        c.execute("RELEASE SAVEPOINT \"" + savepoints_[depth].name + "\"");
        for (auto& store : stores_) {
            if (!store) continue;
            auto it = savepoints_[depth].stores.find(store->model_id);
            store->restore(it == savepoints_[depth].stores.end() ? nullptr : it->second.get(), c);
        }
        savepoints_.resize(depth);
    }

    void end_transaction() {
        savepoints_.clear();
        ++transaction_generation_;
    }
};

template <class Backend>
class basic_session<Backend>::savepoint {
public:
    savepoint(savepoint&& other) noexcept
        : session_(std::exchange(other.session_, nullptr)), depth_(other.depth_), generation_(other.generation_) {}
    savepoint& operator=(savepoint&&) = delete;
    ~savepoint() {
        try {
            rollback();
        } catch (...) {
            // The session reports the failure at its next use.
        }
    }

    // RELEASE SAVEPOINT: the changes since begin_nested() join the outer transaction.
    void commit() {
        if (auto* s = std::exchange(session_, nullptr)) s->end_savepoint(depth_, generation_, true);
    }
    // ROLLBACK TO SAVEPOINT: the database and the objects return to where begin_nested() was.
    void rollback() {
        if (auto* s = std::exchange(session_, nullptr)) s->end_savepoint(depth_, generation_, false);
    }
    bool is_active() const noexcept {
        return session_ && session_->transaction_generation_ == generation_ && depth_ < session_->savepoints_.size();
    }

private:
    friend class basic_session;
    savepoint(basic_session* s, std::size_t depth, std::uint64_t generation)
        : session_(s), depth_(depth), generation_(generation) {}
    basic_session* session_;
    std::size_t depth_;
    std::uint64_t generation_;
};

template <class Backend>
typename basic_session<Backend>::savepoint basic_session<Backend>::begin_nested() {
    check_usable();
    flush();
    auto& c = connection(/*for_write=*/true);
    savepoint_frame frame;
    frame.name = "structql_savepoint_" + std::to_string(++savepoint_names_);
    for (auto& store : stores_)
        if (store) frame.stores.emplace(store->model_id, store->save());
    c.execute("SAVEPOINT \"" + frame.name + "\"");
    savepoints_.push_back(std::move(frame));
    return savepoint(this, savepoints_.size() - 1, transaction_generation_);
}

using session = basic_session<sqlite_backend>;

// sessionmaker(engine, {.autocommit = false, .autoflush = false}): a factory of sessions.
template <class Backend>
class basic_sessionmaker {
public:
    basic_sessionmaker(basic_engine<Backend> bound, session_options options = {})
        : engine_(std::move(bound)), options_(options) {}
    basic_session<Backend> operator()() const { return basic_session<Backend>(engine_, options_); }

    // A new session running fn(session) in one transaction, committed when fn returns, rolled
    // back when it throws, closed either way (SQLAlchemy's `with Session.begin() as session:`).
    template <class F>
    decltype(auto) begin(F&& fn) const {
        basic_session<Backend> s = (*this)();
        return s.transaction(std::forward<F>(fn));
    }
    const session_options& options() const noexcept { return options_; }

private:
    basic_engine<Backend> engine_;
    session_options options_;
};

template <class Backend>
basic_sessionmaker<Backend> sessionmaker(basic_engine<Backend> bound, session_options options = {}) {
    return basic_sessionmaker<Backend>(std::move(bound), options);
}

}  // namespace structql

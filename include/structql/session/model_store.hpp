#pragma once
// A session's objects of one model: the tracked entries (object, snapshot, committed copy,
// state), the identity map from primary key to entry, and the statements that write them at
// flush. The session holds one store per model it has seen, behind model_store_base.
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

#include "structql/detail/flat_map.hpp"
#include "structql/detail/multi_row_insert.hpp"
#include "structql/detail/multi_row_update.hpp"
#include "structql/detail/rows.hpp"
#include "structql/detail/stable_vector.hpp"
#include "structql/errors.hpp"
#include "structql/schema/table.hpp"
#include "structql/sql/statements.hpp"

namespace structql {

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
constexpr std::size_t foreign_key_depth();
template <class... Parents>
constexpr std::size_t deepest_parent(type_list<Parents...>) {
    std::size_t depth = 0;
    ((depth = foreign_key_depth<Parents>() + 1 > depth ? foreign_key_depth<Parents>() + 1 : depth), ...);
    return depth;
}
template <class T>
constexpr std::size_t foreign_key_depth() {
    return deepest_parent(typename table<T>::parents{});
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
    // Stops tracking every object; their memory stays until reset().
    virtual void expunge_all() = 0;
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
    std::vector<detail::stable_vector<entry_type>> expunged;  // entries set aside by expunge_all()
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

    // Each run of objects that all leave their key to the database, or all bring their own, in
    // multi-row INSERTs of up to rows_per_insert rows (as connection.insert does): one statement
    // per batch instead of one per object (SQLAlchemy's "insertmanyvalues").
    void insert_run(connection_type& c, std::span<const flush_step<Backend>> run) override {
        while (!run.empty()) {
            bool generated = key_generated(entry_of(run[0]).object);
            const std::size_t most = rows_per_insert<T>(generated);
            std::size_t n = 1;
            while (n < run.size() && n < most && key_generated(entry_of(run[n]).object) == generated) ++n;
            if (n == 1) insert_one(c, entry_of(run[0]), generated);
            else insert_rows(c, run.first(n), generated);
            run = run.subspan(n);
        }
    }

    void insert_one(connection_type& c, entry_type& e, bool generated) {
        auto& statement = prepare_insert(c, generated);
        statement_use use(statement);
        bind_insert(statement, e.object, generated);
        inserted(c, statement, e, generated, step_write(statement));
    }

    // Several objects in one INSERT. Generated keys come back through RETURNING (on SQLite only
    // for a table with triggers, else they are the rowids up to the last: multi_row_insert.hpp),
    // in an order SQL does not promise; the database assigns them ascending in VALUES order (SQLite: each new
    // rowid is the largest so far plus one; PostgreSQL: the identity's sequence, whose nextval
    // only grows, even when other sessions insert at the same time), so sorted they are the
    // objects' keys in order. Checked where it can be: SQLite holds the write lock through the
    // statement, so its keys are consecutive and the last is the connection's last insert rowid.
    void insert_rows(connection_type& c, std::span<const flush_step<Backend>> run, bool generated) {
        const bool returning = generated && insert_rows_return_keys<dialect, T>(c);
        auto& statement = prepare_insert_rows<dialect, T>(c, run.size(), generated, returning);
        statement_use use(statement);
        std::size_t next = 0;
        bind_insert_rows<T>(statement, run.size(), generated, [&]() -> const T& { return entry_of(run[next++]).object; });
        if constexpr (table<T>::generated_primary_key) {
            if (generated) {
                std::vector<std::int64_t> keys;
                if (returning) {
                    keys.reserve(run.size());
                    explaining_foreign_keys([&] {
                        while (statement.step()) keys.push_back(statement.template read<std::int64_t>(0));
                    });
                    std::sort(keys.begin(), keys.end());
                } else {
                    step_write(statement);
                    keys = consecutive_keys<dialect, T>(c, run.size());
                }
                const bool as_assigned =
                    keys.size() == run.size() &&
                    (dialect::returns_generated_keys ||
                     (keys.back() - keys.front() == static_cast<std::int64_t>(keys.size()) - 1 && keys.back() == c.last_insert_id()));
                if (!as_assigned)
                    throw operational_error("the keys \"" + std::string(table<T>::name) +
                                            "\" assigned to the rows of one INSERT are not consecutive, so StructQL "
                                            "cannot tell which row has which (a trigger inserting into the table, or a "
                                            "key at the largest integer?) [SQL: " + std::string(statement.sql()) + "]");
                using key_value = typename table<T>::primary_key_value;
                for (std::size_t i = 0; i < run.size(); ++i) {
                    entry_type& e = entry_of(run[i]);
                    static_cast<key_value&>(table<T>::primary_key_of(e.object)) = value_traits<key_value>::from_storage(keys[i]);
                    inserted(e);
                }
                return;
            }
        }
        step_write(statement);
        for (const auto& step : run) inserted(entry_of(step));
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
        // Where the dialect batches UPDATEs, objects that keep their key go out in multi-row
        // UPDATEs, one run per set of changed columns (detail/multi_row_update.hpp); the others,
        // and a run of one, row by row.
        std::vector<std::pair<column_set, entry_type*>> same_key;
        for (entry_type& e : entries) {
            if (e.state != object_state::persistent) continue;
            column_set changed = column_sets_fit<T> ? changed_columns(e.object, *e.snapshot) : all_columns<T>();
            if (changed == 0) continue;
            if constexpr (multi_row_updates<dialect, T>) {
                if (!((changed >> table<T>::primary_key_index) & 1)) {
                    same_key.emplace_back(changed, &e);
                    continue;
                }
            }
            update_one(connection(), e, changed);
        }
        if constexpr (multi_row_updates<dialect, T>) {
            auto by_set = [](const auto& a, const auto& b) { return a.first < b.first; };
            if (!std::is_sorted(same_key.begin(), same_key.end(), by_set))
                std::stable_sort(same_key.begin(), same_key.end(), by_set);
            for (auto run = same_key.begin(); run != same_key.end();) {
                auto end = std::find_if(run, same_key.end(), [&](const auto& x) { return x.first != run->first; });
                if (end - run == 1) {
                    update_one(connection(), *run->second, run->first);
                } else {
                    update_rows<dialect, T>(
                        connection(), run->first, static_cast<std::size_t>(end - run),
                        [&](std::size_t i) -> const T& { return run[static_cast<std::ptrdiff_t>(i)].second->object; },
                        [](auto& statement) { step_write(statement); },
                        [&](std::size_t i, std::string_view sql) {
                            stale("UPDATE", identity_key(*run[static_cast<std::ptrdiff_t>(i)].second->snapshot), sql);
                        });
                    for (auto it = run; it != end; ++it) {
                        it->second->keep_committed();
                        it->second->snapshot = it->second->object;
                    }
                }
                run = end;
            }
        }
    }

    // One object's UPDATE, of the changed columns only.
    void update_one(connection_type& c, entry_type& e, column_set changed) {
        // Only the changed columns are written; each set of them has its own statement,
        // prepared once per connection. A changed key is written too (the row is found by
        // the key it had).
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

    [[noreturn]] static void stale(std::string_view what, const key_type& key, std::string_view sql) {
        throw stale_data_error(std::string(what) + " of \"" + std::string(table<T>::name) + "\" row with " +
                               std::string(table<T>::columns[table<T>::primary_key_index].name) + " = " +
                               describe_key(key) +
                               " matched no row: it was deleted or changed behind this session [SQL: " +
                               std::string(sql) + "]");
    }

    // The entries move aside whole (their blocks, and so the objects' addresses, stay as they
    // are), so that flushes, commits and rollbacks no longer walk them.
    void expunge_all() override {
        for (entry_type& e : entries) {
            detach(e);
            e.snapshot.reset();
            e.committed.reset();
        }
        expunged.push_back(std::exchange(entries, {}));
        identity.clear();
        pending.clear();
        deleted.clear();
    }

    void reset() noexcept override {
        expunged.clear();
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

}  // namespace structql

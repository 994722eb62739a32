#pragma once
// A session's objects of one model: the tracked entries (object, snapshot, committed copy,
// state), the identity map from primary key to entry, and the statements that write them at
// flush. The session holds one store per model it has seen, behind model_store_base.
//
// Compile cost: the unit of work below is compiled once per backend and key type, not once per
// model. What it needs of a model is data (its table_view and statements) and a few small
// functions (copy, compare, bind, read), gathered in model_ops<Backend, Key>.
#include "structql/detail/algorithms.hpp"
#include "structql/detail/std_parts.hpp"  // detail::atomic_integer
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "structql/detail/entry_arena.hpp"
#include "structql/detail/flat_map.hpp"
#include "structql/detail/multi_row_insert.hpp"
#include "structql/detail/multi_row_update.hpp"
#include "structql/detail/rows.hpp"
#include "structql/errors.hpp"
#include "structql/schema/table.hpp"
#include "structql/session/delete_actions.hpp"
#include "structql/session/unassigned_references.hpp"
#include "structql/sql/statements.hpp"

namespace structql {

namespace detail {

// A small dense number per model type, so that a session finds a model's store by indexing.
inline std::size_t next_model_index() {
    static atomic_integer<std::size_t> next{0};
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

template <class K>
std::string describe_key(const K& key) {
    if constexpr (std::is_same_v<K, std::int64_t>) return std::to_string(key);
    else if constexpr (std::is_same_v<K, std::string>) return "'" + key + "'";
    else if constexpr (requires { std::tuple_size<K>::value; })
        return std::apply([](const auto&... part) {
            std::string text;
            ((text += (text.empty() ? "(" : ", ") + describe_key(part)), ...);
            return text + ")";
        }, key);
    else return "<key>";
}

// "id", or ("a", "b") for a composite key.
inline std::string describe_key_columns(const table_view& t) {
    if (t.key_columns.size() == 1) return std::string(t.primary_key().name);
    std::string text;
    for (std::size_t k : t.key_columns) text += (text.empty() ? "(" : ", ") + std::string(t.columns[k].name);
    return text + ")";
}

// What the unit of work needs of model T, as data and small functions: made once per model.
template <class Backend, class Key>
struct model_ops {
    using statement_type = typename Backend::statement_type;

    const void* id;               // detail::model_id<T>
    const void* insert_rows_tag;  // detail::multi_row_insert_id<T>
    const table_view* table;
    std::size_t depth;  // foreign_key_depth<T>()
    bool column_sets_fit;
    column_set all_columns, all_but_key;
    // Compile-time SQL (their addresses are statement cache keys).
    std::string_view insert, insert_generated, update_by_key, delete_by_key, select_by_key;

    const object_lifetime* lifetime;
    Key (*key_of)(const void* object);
    bool (*key_unassigned)(const void* object);
    void (*assign_key)(void* object, std::int64_t key);                 // generated keys only
    void (*read_key)(const statement_type& statement, void* object);  // from result column 0
    column_set (*changed)(const void* now, const void* before);
    int (*bind)(statement_type& statement, const void* object, int first, column_set columns);
    void (*bind_key)(statement_type& statement, int index, const void* object);
    // The key of the row whose columns start at `first`, and that row read into a
    // value-initialised object (model_store::materialize, reload).
    Key (*read_identity)(const statement_type& statement, int first);
    void (*read_at)(const statement_type& statement, void* object, int first);
    // Throws when a foreign key of the object, about to be inserted, still holds 0 for a parent's
    // generated key (session/unassigned_references.hpp).
    void (*check_references)(const void* object);
    // The foreign keys whose parent's deletion the database follows (ON DELETE CASCADE / SET NULL).
    std::span<const delete_follower> delete_followers;
    // delete-orphan: whether the object's key of such a relationship went NULL (nullptr: none declared).
    bool (*orphaned)(const void* object, const void* snapshot);
    // table_args' default_value (before an INSERT) and onupdate (before an UPDATE); nullptr
    // when the model has none.
    void (*fill_defaults)(void* object);
    void (*fill_onupdates)(void* object, const void* snapshot);
};

template <class Backend, class T>
struct ops_of {
    using dialect = typename Backend::dialect;
    using statement_type = typename Backend::statement_type;
    using key_value = typename table<T>::primary_key_value;
    static const T& row(const void* p) { return *static_cast<const T*>(p); }

    static identity_key_t<T> key_of(const void* p) { return identity_key(row(p)); }
    static bool key_unassigned(const void* p) { return is_unassigned_key<T>(table<T>::primary_key_of(row(p))); }
    static void assign_key([[maybe_unused]] void* p, [[maybe_unused]] std::int64_t key) {
        if constexpr (table<T>::generated_primary_key)
            unwrap(table<T>::primary_key_of(*static_cast<T*>(p))) = value_traits<key_value>::from_storage(key);
    }
    static void read_key([[maybe_unused]] const statement_type& statement, [[maybe_unused]] void* p) {
        if constexpr (table<T>::generated_primary_key) {
            key_value assigned{};
            try {
                read_value(statement, 0, assigned);
            } catch (...) {
                rethrow_as_data_error(table<T>::view, table<T>::primary_key_index, statement.sql(), "cannot read");
            }
            unwrap(table<T>::primary_key_of(*static_cast<T*>(p))) = assigned;
        }
    }
    static column_set changed(const void* now, const void* before) { return changed_columns(row(now), row(before)); }
    static int bind(statement_type& statement, const void* p, int first, column_set columns) {
        return bind_columns(statement, row(p), first, columns);
    }
    static void bind_key(statement_type& statement, int index, const void* p) { bind_primary_key(statement, index, row(p)); }
    static identity_key_t<T> read_identity(const statement_type& statement, int first) {
        return read_identity_key<T>(statement, first);
    }
    static void read_at(const statement_type& statement, void* p, int first) {
        read_columns(statement, *static_cast<T*>(p), first);
    }
    static void check_references(const void* p) { check_references_assigned(row(p)); }
    static void fill_defaults(void* p) {
        if constexpr (has_defaults<T>) detail::fill_defaults(*static_cast<T*>(p));
    }
    static void fill_onupdates(void* p, const void* before) {
        if constexpr (has_onupdate<T>) detail::fill_onupdates(*static_cast<T*>(p), row(before));
    }

    static constexpr model_ops<Backend, identity_key_t<T>> value{
        .id = &model_id<T>,
        .insert_rows_tag = &multi_row_insert_id<T>,
        .table = &table<T>::view,
        .depth = foreign_key_depth<T>(),
        .column_sets_fit = column_sets_fit<T>,
        .all_columns = detail::all_columns<T>(),
        .all_but_key = all_but_primary_key<T>(),
        .insert = sql::insert_in<dialect, T>,
        .insert_generated = sql::insert_generated_in<dialect, T>,
        .update_by_key = sql::update_by_primary_key_in<dialect, T>,
        .delete_by_key = sql::delete_by_primary_key_in<dialect, T>,
        .select_by_key = sql::select_by_primary_key_in<dialect, T>,
        .lifetime = &lifetime_of<T>,
        .key_of = &key_of,
        .key_unassigned = &key_unassigned,
        .assign_key = &assign_key,
        .read_key = &read_key,
        .changed = &changed,
        .bind = &bind,
        .bind_key = &bind_key,
        .read_identity = &read_identity,
        .read_at = &read_at,
        .check_references = &check_references,
        .delete_followers = detail::delete_followers<T>,
        .orphaned = orphan_test<T>(),
        .fill_defaults = has_defaults<T> ? &fill_defaults : nullptr,
        .fill_onupdates = has_onupdate<T> ? &fill_onupdates : nullptr,
    };
};

template <class Backend>
struct model_store_base;

template <class Backend>
struct flush_step {
    std::size_t depth;
    std::uint64_t order;
    model_store_base<Backend>* store;
    entry* e;
};

template <class Backend>
struct model_store_base {
    using connection_type = typename Backend::connection_type;
    model_store_base(const void* model, std::span<const delete_follower> followers)
        : model_id(model), delete_followers(followers) {}
    virtual ~model_store_base() = default;
    const void* model_id;  // detail::model_id<T> of the store's model
    std::span<const delete_follower> delete_followers;  // model_ops::delete_followers
    // Counts the changes to which tracked objects count and what their foreign keys hold,
    // other than objects appended (added, loaded): an object removed, untracked or restored, a
    // foreign key written by a flush. Relationship indexes (relationship_records) rebuild when
    // it moves.
    std::uint64_t generation = 0;
    // delete-orphan: removes (as session::remove() does) the objects whose key of such a
    // relationship was set to NULL since the last flush; `sequence` numbers the removals.
    virtual void remove_orphans(std::uint64_t& sequence) = 0;
    virtual void collect(std::vector<flush_step<Backend>>& inserts, std::vector<flush_step<Backend>>& deletes) = 0;
    // Inserts the objects of consecutive steps, all of this store's model.
    virtual void insert_run(connection_type& c, std::span<const flush_step<Backend>> run) = 0;
    virtual void remove(connection_type& c, entry& e) = 0;
    // What the database did to this model's rows after the `parents` (rows of parent_model)
    // were deleted, done to the tracked objects (delete_actions.hpp): cascaded ones count as
    // deleted by the flush (rollback restores them) and are appended to `cascaded`, set_null
    // ones get their key NULL without an UPDATE.
    virtual void follow_parent_deletes(const void* parent_model, std::span<entry* const> parents,
                                       std::vector<entry*>& cascaded) = 0;
    // Writes an UPDATE for every changed object; `c` is only called when one is found.
    virtual void flush_updates(function_ref<connection_type&()> c) = 0;
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

    // The tracked object for the row whose columns start at `first`: the one in the identity
    // map, unchanged, or a new one read from the row. Once per key type, not per model: a
    // query or get() of a model compiles only a call to it. `refresh` (a row just locked, FOR
    // UPDATE / FOR SHARE: SQLAlchemy's populate_existing): a tracked object without unflushed
    // changes takes the row's values; one with changes keeps them, unrefreshed.
    virtual void* materialize(const typename Backend::statement_type& statement, int first, bool refresh = false) = 0;
};

[[noreturn, gnu::cold]] inline void explain_foreign_key_violation(const table_view& t, const integrity_error& e) {
    const std::string_view message = e.what();
    std::string keys;
    for (const column_info& c : t.columns) {
        if (c.references_table.empty()) continue;
        keys += keys.empty() ? "" : ", ";
        keys += "\"" + std::string(t.name) + "\".\"" + std::string(c.name) + "\" REFERENCES \"" +
                std::string(c.references_table) + "\" (\"" + std::string(c.references_column) + "\")";
    }
    // No key of this table: the failing one is another table's, referencing this one.
    if (keys.empty()) throw integrity_error(std::string(message), e.code());
    throw integrity_error(std::string(message) + " (foreign keys of \"" + std::string(t.name) + "\": " + keys + ")",
                          e.code());
}

// Runs a write (true when it returned a row), adding to a foreign-key failure which of the
// table's columns reference what: SQLite's own message does not say.
template <class Backend, class Write>
decltype(auto) explaining_foreign_keys(const table_view& t, Write&& write) {
    try {
        return write();
    } catch (const integrity_error& e) {
        if (!Backend::is_foreign_key_violation(e.what())) throw;
        explain_foreign_key_violation(t, e);
    }
}

template <class Key>
[[noreturn, gnu::cold]] void throw_stale(const table_view& t, std::string_view what, const Key& key,
                                         std::string_view sql) {
    throw stale_data_error(std::string(what) + " of \"" + std::string(t.name) + "\" row with " +
                           describe_key_columns(t) + " = " + describe_key(key) +
                           " matched no row: it was deleted or changed behind this session [SQL: " + std::string(sql) +
                           "]");
}

template <class Backend, class Key>
struct model_store final : model_store_base<Backend> {
    using dialect = typename Backend::dialect;
    using connection_type = typename Backend::connection_type;
    using statement_type = typename Backend::statement_type;
    using key_type = Key;
    using ops_type = model_ops<Backend, Key>;
    using identity_map = detail::flat_map<Key, entry>;

    explicit model_store(const ops_type& model_ops)
        : model_store_base<Backend>(model_ops.id, model_ops.delete_followers), ops(model_ops), objects(*model_ops.lifetime) {}

    const ops_type& ops;
    entry_arena objects;  // in the order tracked
    identity_map identity;
    std::vector<entry*> pending;  // in add() order
    std::vector<entry*> deleted;  // in remove() order
    std::uint32_t flushes = 0;    // counts collect() calls: every flush begins with one

    const table_view& table() const { return *ops.table; }

    // The columns that reference another table: a flush that writes one moves the object to
    // another parent's children.
    const column_set foreign_key_columns = [this] {
        column_set columns = 0;
        for (std::size_t i = 0; i < table().columns.size() && ops.column_sets_fit; ++i)
            if (!table().columns[i].references_table.empty()) columns |= column_set{1} << i;
        return ops.column_sets_fit ? columns : ~column_set{0};
    }();
    void wrote_columns(column_set columns) {
        if (columns & foreign_key_columns) ++this->generation;
    }
    Key key_of_snapshot(const entry& e) const { return ops.key_of(e.snapshot); }

    bool step_write(statement_type& statement) {
        return explaining_foreign_keys<Backend>(table(), [&] { return statement.step(); });
    }

    static void detach(entry& e) { e.state = object_state::detached; }

    void remove_orphans(std::uint64_t& sequence) override {
        if (!ops.orphaned) return;
        for (std::size_t i = 0; i < objects.size(); ++i) {
            entry& e = objects.at(i);
            if (e.state != object_state::persistent || !ops.orphaned(e.object, e.snapshot)) continue;
            ++this->generation;  // no longer anyone's child
            e.state = object_state::deleted;
            e.order = ++sequence;
            deleted.push_back(&e);
        }
    }

    void collect(std::vector<flush_step<Backend>>& inserts, std::vector<flush_step<Backend>>& deletes) override {
        ++flushes;
        inserts.reserve(inserts.size() + pending.size());
        for (entry* e : pending)
            if (e->state == object_state::pending) {
                if (!e->key_from_parent) ops.check_references(e->object);  // before any row of the flush is written
                inserts.push_back({ops.depth, e->order, this, e});
            }
        for (entry* e : deleted)
            if (e->state == object_state::deleted) deletes.push_back({ops.depth, e->order, this, e});
        pending.clear();
        deleted.clear();
    }

    // A key left for the database to assign is left out of the INSERT; it comes back through
    // RETURNING where the dialect has it, else from the backend (SQLite's last insert rowid).
    bool key_generated(const entry& e) const { return ops.key_unassigned(e.object); }

    // Each run of objects that all leave their key to the database, or all bring their own, in
    // multi-row INSERTs of up to rows_per_insert rows (as connection.insert does): one statement
    // per batch instead of one per object (SQLAlchemy's "insertmanyvalues").
    void insert_run(connection_type& c, std::span<const flush_step<Backend>> run) override {
        if (ops.fill_defaults)
            for (const auto& step : run) ops.fill_defaults(step.e->object);
        while (!run.empty()) {
            bool generated = key_generated(*run[0].e);
            const std::size_t most = rows_per_insert(table(), generated);
            std::size_t n = 1;
            while (n < run.size() && n < most && key_generated(*run[n].e) == generated) ++n;
            if (n == 1) insert_one(c, *run[0].e, generated);
            else insert_rows(c, run.first(n), generated);
            run = run.subspan(n);
        }
    }

    void insert_one(connection_type& c, entry& e, bool generated) {
        auto& statement = c.prepare_static(generated ? ops.insert_generated : ops.insert);
        statement_use use(statement);
        ops.bind(statement, e.object, 1, generated ? ops.all_but_key : ops.all_columns);
        bool returned_row = step_write(statement);
        if (generated && dialect::returns_generated_keys) {
            if (!returned_row)
                throw operational_error("INSERT ... RETURNING returned no row [SQL: " + std::string(statement.sql()) +
                                        "]");
            ops.read_key(statement, e.object);
        } else if (generated) {
            ops.assign_key(e.object, c.last_insert_id());
        }
        inserted(e);
    }

    // Several objects in one INSERT. Generated keys come back through RETURNING (on SQLite only
    // for a table with triggers, else they are the rowids up to the last: multi_row_insert.hpp),
    // in an order SQL does not promise; the database assigns them ascending in VALUES order (SQLite: each new
    // rowid is the largest so far plus one; PostgreSQL: the identity's sequence, whose nextval
    // only grows, even when other sessions insert at the same time), so sorted they are the
    // objects' keys in order. Checked where it can be: SQLite holds the write lock through the
    // statement, so its keys are consecutive and the last is the connection's last insert rowid.
    void insert_rows(connection_type& c, std::span<const flush_step<Backend>> run, bool generated) {
        const bool returning = generated && insert_rows_return_keys<dialect>(c, table());
        auto& statement =
            prepare_insert_rows<dialect>(c, ops.insert_rows_tag, table(), run.size(), generated, returning);
        statement_use use(statement);
        int index = 1;
        for (const auto& step : run)
            index = ops.bind(statement, step.e->object, index, generated ? ops.all_but_key : ops.all_columns);
        if (!generated) {
            step_write(statement);
            for (const auto& step : run) inserted(*step.e);
            return;
        }
        if (!returning) {
            step_write(statement);
            const std::optional<std::int64_t> first = first_consecutive_key<dialect>(c, ops.insert_rows_tag, table(), run.size());
            if (!first) throw_keys_not_consecutive(statement.sql());
            for (std::size_t i = 0; i < run.size(); ++i) {
                ops.assign_key(run[i].e->object, *first + static_cast<std::int64_t>(i));
                inserted(*run[i].e);
            }
            return;
        }
        std::vector<std::int64_t> keys;
        keys.reserve(run.size());
        explaining_foreign_keys<Backend>(table(), [&] {
            while (statement.step()) keys.push_back(statement.template read<std::int64_t>(0));
        });
        detail::stable_sort(keys.begin(), keys.end());
        const bool as_assigned =
            keys.size() == run.size() &&
            (dialect::returns_generated_keys ||
             (keys.back() - keys.front() == static_cast<std::int64_t>(keys.size()) - 1 && keys.back() == c.last_insert_id()));
        if (!as_assigned) throw_keys_not_consecutive(statement.sql());
        for (std::size_t i = 0; i < run.size(); ++i) {
            ops.assign_key(run[i].e->object, keys[i]);
            inserted(*run[i].e);
        }
    }

    [[noreturn, gnu::cold]] void throw_keys_not_consecutive(std::string_view sql) const {
        throw operational_error("the keys \"" + std::string(table().name) +
                                "\" assigned to the rows of one INSERT are not consecutive, so StructQL "
                                "cannot tell which row has which (a trigger inserting into the table, or a "
                                "key at the largest integer?) [SQL: " + std::string(sql) + "]");
    }

    void inserted(entry& e) {
        ++this->generation;  // its foreign keys may have changed since it was added
        e.state = object_state::persistent;
        e.inserted_in_transaction = true;
        e.inserted_in_flush = flushes;
        objects.take_snapshot(e);
        identity_set(ops.key_of(e.object), e);
    }

    void identity_set(Key key, entry& e) { identity.insert_or_assign(std::move(key), &e); }

    void remove(connection_type& c, entry& e) override {
        auto& statement = c.prepare_static(ops.delete_by_key);
        statement_use use(statement);
        ops.bind_key(statement, 1, e.snapshot);
        step_write(statement);
        if (c.changes() == 0) throw_stale(table(), "DELETE", key_of_snapshot(e), statement.sql());
        objects.keep_committed(e);
        e.state = object_state::deleted_flushed;
        identity.erase(key_of_snapshot(e));
    }

    void follow_parent_deletes(const void* parent_model, std::span<entry* const> parents,
                               std::vector<entry*>& cascaded) override {
        for (const delete_follower& f : ops.delete_followers) {
            if (f.parent != parent_model) continue;
            f.find(parents, objects, [&](entry& e) {
                ++this->generation;  // no longer that parent's child
                objects.keep_committed(e);
                if (f.action == on_delete::cascade) {
                    e.state = object_state::deleted_flushed;
                    identity.erase(key_of_snapshot(e));
                    cascaded.push_back(&e);
                } else {
                    f.set_null(e.object, const_cast<void*>(e.snapshot));
                }
            });
        }
    }

    void flush_updates(function_ref<connection_type&()> writer) override {
        connection_type* c = nullptr;  // asked for once: the session's lookup is not free
        auto connection = [&]() -> connection_type& { return c ? *c : *(c = &writer()); };
        // Where the dialect batches UPDATEs, objects that keep their key go out in multi-row
        // UPDATEs, one run per set of changed columns (detail/multi_row_update.hpp); the others,
        // and a run of one, row by row.
        // A composite key's rows go one by one: the batched UPDATE matches one key column.
        const bool batched = multi_row_updates<dialect>(table()) && table().key_columns.size() == 1;
        const column_set key_column = ops.all_columns & ~ops.all_but_key;
        std::vector<std::pair<column_set, entry*>> same_key;
        objects.for_each([&](entry& e) {
            // An object this flush inserted equals the snapshot it took: no user code ran since.
            if (e.state != object_state::persistent || e.inserted_in_flush == flushes) return;
            column_set changed = ops.column_sets_fit ? ops.changed(e.object, e.snapshot) : ops.all_columns;
            if (changed == 0) return;
            if (ops.fill_onupdates) {
                ops.fill_onupdates(e.object, e.snapshot);
                if (ops.column_sets_fit) changed = ops.changed(e.object, e.snapshot);
            }
            wrote_columns(changed);
            if (batched && !(changed & key_column)) same_key.emplace_back(changed, &e);
            else update_one(connection(), e, changed);
        });
        if (same_key.empty()) return;
        auto by_set = [](const auto& a, const auto& b) { return a.first < b.first; };
        if (!detail::is_sorted(same_key.begin(), same_key.end(), by_set))
            detail::stable_sort(same_key.begin(), same_key.end(), by_set);
        for (auto run = same_key.begin(); run != same_key.end();) {
            auto end = detail::find_if(run, same_key.end(), [&](const auto& x) { return x.first != run->first; });
            const column_set changed = run->first;
            auto object = [&](std::size_t i) -> entry& { return *run[static_cast<std::ptrdiff_t>(i)].second; };
            if (end - run == 1) {
                update_one(connection(), object(0), changed);
            } else {
                update_rows<dialect>(
                    connection(), ops.id, table(), ops.select_by_key, changed, static_cast<std::size_t>(end - run),
                    [&](statement_type& statement, std::size_t i, int first) {
                        ops.bind_key(statement, first, object(i).snapshot);
                        return ops.bind(statement, object(i).object, first + 1, changed);
                    },
                    [&](statement_type& statement, std::size_t i) { ops.bind_key(statement, 1, object(i).snapshot); },
                    [&](statement_type& statement) { step_write(statement); },
                    [&](std::size_t i, std::string_view sql) {
                        throw_stale(table(), "UPDATE", key_of_snapshot(object(i)), sql);
                    });
                for (auto it = run; it != end; ++it) {
                    objects.keep_committed(*it->second);
                    objects.take_snapshot(*it->second);
                }
            }
            run = end;
        }
    }

    // One object's UPDATE, of the changed columns only.
    void update_one(connection_type& c, entry& e, column_set changed) {
        // Only the changed columns are written; each set of them has its own statement,
        // prepared once per connection. A changed key is written too (the row is found by
        // the key it had).
        bool whole_row = changed == ops.all_but_key;
        auto& statement = whole_row ? c.prepare_static(ops.update_by_key)
                                    : c.prepare_generated(ops.id, changed, [&] {
                                          runtime_text out;
                                          sql::detail::write_update<dialect>(out, table(), [&](std::size_t column) {
                                              return (changed >> column) & 1;
                                          });
                                          return std::move(out.text);
                                      });
        statement_use use(statement);
        int next = ops.bind(statement, e.object, 1, whole_row ? ops.all_but_key : changed);
        ops.bind_key(statement, next, e.snapshot);  // the key as the row has it
        step_write(statement);
        if (c.changes() == 0) throw_stale(table(), "UPDATE", key_of_snapshot(e), statement.sql());
        objects.keep_committed(e);
        Key old_key = key_of_snapshot(e), new_key = ops.key_of(e.object);
        if (!(old_key == new_key)) {
            identity.erase(old_key);
            identity_set(std::move(new_key), e);
        }
        objects.take_snapshot(e);
    }

    // The entries move aside whole (their blocks, and so the objects' addresses, stay as they
    // are), so that flushes, commits and rollbacks no longer walk them.
    void expunge_all() override {
        ++this->generation;
        objects.for_each([&](entry& e) {
            detach(e);
            objects.set_snapshot(e, nullptr);
            objects.drop_committed(e);
        });
        objects.set_aside();
        identity.clear();
        pending.clear();
        deleted.clear();
    }

    void reset() noexcept override {
        ++this->generation;
        objects.clear();
        identity.clear();
        pending.clear();
        deleted.clear();
    }
    std::size_t retained_bytes() const noexcept override {
        std::size_t bytes = objects.capacity_bytes() + (pending.capacity() + deleted.capacity()) * sizeof(entry*);
        bytes += identity.capacity_bytes();
        return bytes;
    }

    void after_commit() override {
        objects.for_each([&](entry& e) {
            objects.drop_committed(e);
            e.inserted_in_transaction = false;
            if (e.state == object_state::deleted_flushed) detach(e);
        });
    }

    void forget(entry& e) {
        if (e.state == object_state::detached) return;
        ++this->generation;
        if (e.snapshot) {
            auto it = identity.find(key_of_snapshot(e));
            if (it != identity.end() && it->second == &e) identity.erase(it);
        }
        std::erase(pending, &e);
        std::erase(deleted, &e);
        detach(e);
    }

    // Reads the object's row again; false when the row is gone.
    bool reload(entry& e, connection_type& c) {
        auto& statement = c.prepare_static(ops.select_by_key);
        statement_use use(statement);
        ops.bind_key(statement, 1, e.snapshot);
        if (!statement.step()) return false;
        refresh_from(e, statement, 0);
        return true;
    }
    // The tracked object and its snapshot take the row whose columns start at `first`. Read whole
    // into a new object first: the tracked one changes only once all of the row was read.
    void refresh_from(entry& e, const statement_type& statement, int first) {
        ++this->generation;  // its foreign keys may have changed
        void* fresh = objects.make();
        try {
            ops.read_at(statement, fresh, first);
            objects.object_from(e, fresh);
        } catch (...) {
            objects.release(fresh);
            throw;
        }
        objects.release(fresh);
        objects.take_snapshot(e);
    }

    // A savepoint's copy of one entry; the copies are the model's, made and freed through ops.
    struct saved_entry {
        object_state state;
        bool inserted_in_transaction;
        void* snapshot;
        void* committed;
    };
    struct model_frame : model_store_base<Backend>::frame {
        const entry_arena& objects;
        std::vector<saved_entry> entries;
        explicit model_frame(const entry_arena& o) : objects(o) {}
        ~model_frame() override {
            for (saved_entry& s : entries) {
                objects.release(s.snapshot);
                objects.release(s.committed);
            }
        }
    };

    std::unique_ptr<typename model_store_base<Backend>::frame> save() const override {
        auto f = std::make_unique<model_frame>(objects);
        f->entries.reserve(objects.size());
        for (std::size_t i = 0; i < objects.size(); ++i) {
            const entry& e = objects.at(i);
            saved_entry& s = f->entries.emplace_back(saved_entry{e.state, e.inserted_in_transaction, nullptr, nullptr});
            if (e.snapshot) s.snapshot = objects.clone(e.snapshot);
            if (e.committed) s.committed = objects.clone(e.committed);
        }
        return f;
    }

    void restore(const typename model_store_base<Backend>::frame* saved, connection_type& c) override {
        const auto* f = static_cast<const model_frame*>(saved);
        ++this->generation;
        std::size_t before = f ? f->entries.size() : 0;
        identity.clear();
        pending.clear();
        deleted.clear();
        for (std::size_t i = 0; i < objects.size(); ++i) {
            entry& e = objects.at(i);
            if (i < before) {
                const saved_entry& was = f->entries[i];
                if (was.state == object_state::detached) {
                    if (e.state != object_state::detached) detach(e);
                    continue;
                }
                e.state = was.state;
                objects.set_snapshot(e, was.snapshot);
                objects.set_committed(e, was.committed);
                e.inserted_in_transaction = was.inserted_in_transaction;
                if (e.state == object_state::persistent) objects.object_from(e, e.snapshot);
            } else if (e.state == object_state::pending || e.inserted_in_transaction ||
                       e.state == object_state::detached || !reload(e, c)) {
                if (e.state != object_state::detached) detach(e);
                continue;
            } else {
                e.state = object_state::persistent;
            }
            if (e.state == object_state::persistent) identity_set(key_of_snapshot(e), e);
        }
    }

    void* materialize(const statement_type& statement, int first, bool refresh = false) override;

    void after_rollback() override {
        ++this->generation;
        identity.clear();
        objects.for_each([&](entry& e) {
            switch (e.state) {
                case object_state::detached: break;
                case object_state::pending: detach(e); break;
                case object_state::persistent:
                case object_state::deleted:
                case object_state::deleted_flushed:
                    if (e.inserted_in_transaction) {
                        detach(e);
                    } else {
                        if (e.committed) objects.set_snapshot(e, e.committed);
                        objects.object_from(e, e.snapshot);
                        e.state = object_state::persistent;
                        identity_set(ops.key_of(e.object), e);
                    }
                    break;
            }
            objects.drop_committed(e);
            e.inserted_in_transaction = false;
        });
        pending.clear();
        deleted.clear();
    }
};

// Out of the class body, so that separate compilation compiles it once (extern template).
template <class Backend, class Key>
void* model_store<Backend, Key>::materialize(const statement_type& statement, int first, bool refresh) {
    Key key = ops.read_identity(statement, first);
    auto it = identity.find_or_slot(key);  // a new key's slot, kept for it
    if (it->second) {
        entry& e = *it->second;
        if (refresh && e.state == object_state::persistent && ops.changed(e.object, e.snapshot) == 0)
            refresh_from(e, statement, first);
        return e.object;
    }
    auto& e = objects.emplace();  // read in place: no object is built and then moved
    try {
        ops.read_at(statement, e.object, first);
    } catch (...) {
        objects.pop_back();
        throw;
    }
    e.state = object_state::persistent;
    objects.take_snapshot(e);
    identity.place(it, std::move(key), &e);
    return e.object;
}

// The store of model T's objects.
template <class Backend, class T>
using store_of = model_store<Backend, identity_key_t<T>>;

}  // namespace detail

}  // namespace structql

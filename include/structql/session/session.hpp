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
#include "structql/detail/algorithms.hpp"
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "structql/detail/spare_shelf.hpp"
#include "structql/engine/basic_engine.hpp"
#include "structql/errors.hpp"
#include "structql/query/query.hpp"
#include "structql/session/model_store.hpp"
#include "structql/session/relationship_keys.hpp"

namespace structql {

struct session_options {
    bool autocommit = false;  // commit after every flush
    bool autoflush = true;    // flush before queries and get() misses
};
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
          flushed_sequence_(other.flushed_sequence_),
          failure_(std::move(other.failure_)),
          closed_(other.closed_),
          savepoints_(std::move(other.savepoints_)),
          savepoint_names_(other.savepoint_names_),
          transaction_generation_(other.transaction_generation_),
          relationships_(std::move(other.relationships_)),
          parent_links_(std::move(other.parent_links_)) {
        other.connection_.reset();
        other.closed_ = true;
    }
    basic_session& operator=(basic_session&&) = delete;
    ~basic_session();

    // Starts tracking `object` (pending until the next flush) and returns the tracked copy,
    // whose address stays valid until the session is closed. Adding an object the session
    // already tracks returns it unchanged.
    template <class M>
    std::remove_cvref_t<M>& add(M&& object) {
        using T = std::remove_cvref_t<M>;
        (void)table<T>::members_checked;
        check_usable();
        auto& store = store_for<T>();
        if (auto* e = tracked_entry(store.objects, &object)) return *static_cast<T*>(e->object);
        detail::entry* added;
        if constexpr (std::is_lvalue_reference_v<M> || std::is_const_v<std::remove_reference_t<M>>)
            added = &store.objects.emplace_copy(std::addressof(object));
        else
            added = &store.objects.emplace_move(std::addressof(object));
        auto& e = *added;
        e.order = ++sequence_;
        store.pending.push_back(&e);
        return *static_cast<T*>(e.object);
    }

    // The object with this primary key (a composite key's parts in declaration order): from the
    // identity map when tracked, else loaded. nullptr when no such row exists (or it was
    // removed in this session).
    template <class T, class... K>
    T* get(const K&... key) {
        using arguments = detail::key_arguments<T, K...>;
        if constexpr (!arguments::ok) {
            return nullptr;
        } else {
            check_usable();
            if (!arguments::fit(key...)) return nullptr;
            const auto bound_key = arguments::convert(key...);  // outlives the statement, which may bind it without a copy
            return get_by_key<T>(arguments::identity(bound_key),
                                 [&](auto& statement) { arguments::bind(statement, bound_key); });
        }
    }

private:
    // get() and merge(): the identity map first, then the row (bound by bind_key).
    template <class T, class Binder>
    T* get_by_key(const detail::identity_key_t<T>& storage_key, Binder&& bind_key) {
        using dialect = typename Backend::dialect;
        return static_cast<T*>(
            find_or_load(store_for<T>(), storage_key, sql::select_by_primary_key_in<dialect, T>, bind_key));
    }
    // The same once per key type, not per model.
    template <class Key>
    void* find_or_load(detail::model_store<Backend, Key>& store, const Key& storage_key, std::string_view sql,
                       detail::function_ref<void(typename Backend::statement_type&)> bind_key);
    // The object of the first row of a SELECT, or nullptr: not a template, so not compiled once
    // per model.
    void* load_one(std::string_view sql, detail::function_ref<void(typename Backend::statement_type&)> binder,
                   detail::model_store_base<Backend>& store);

public:
    // Marks a tracked object for DELETE at the next flush (a pending one is simply dropped).
    template <class T>
    void remove(T& object) {
        check_usable();
        auto* e = find_tracked(object);
        if (!e) throw not_tracked<T>("remove");
        ++store_for<T>().generation;  // no longer anyone's child
        if (e->state == detail::object_state::pending) {
            e->state = detail::object_state::detached;
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
        auto* e = find_tracked(object);
        if (!e) throw not_tracked<T>("expunge");
        store_for<T>().forget(*e);
        relationships_.clear();  // its row is no longer tracked: a collection holding it must load again
    }

    // Stops tracking every object (SQLAlchemy's expunge_all, Hibernate's clear()), as expunge()
    // does one: pending ones are not inserted and changes never written; get() and queries load
    // new objects. The flushes that follow compare only the objects tracked since.
    void expunge_all() {
        check_usable();
        for (auto& store : stores_) if (store) store->expunge_all();
        relationships_.clear();
        parent_links_.clear();
        // Rolled back to, a savepoint now finds only objects tracked after it began: those it
        // reads again, the ones added it drops.
        for (auto& frame : savepoints_) frame.stores.clear();
    }

    // Reads a persistent object's row again, discarding its unflushed changes.
    template <class T>
    void refresh(T& object) {
        check_usable();
        auto& store = store_for<T>();
        auto* e = find_tracked(object);
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
        if (detail::is_unassigned_key<T>(table<T>::primary_key_of(object))) return add(T(object));
        if (auto* e = find_tracked(object)) return *static_cast<T*>(e->object);
        if (T* existing = get_by_key<T>(detail::identity_key(object), [&](auto& statement) {
                detail::bind_primary_key(statement, 1, object);
            })) {
            *existing = object;
            return *existing;
        }
        return add(T(object));
    }

    // A query over T whose results are tracked objects (see basic_query); its values() are
    // plain copies, read without the identity map.
    template <class T>
    basic_query<basic_session, detail::query_parts<T>> query() {
        (void)table<T>::members_checked;
        return basic_query<basic_session, detail::query_parts<T>>(*this, {});
    }
    // A query reading FROM a CTE (query/cte.hpp): its rows are the CTE's model's, tracked.
    template <detail::is_cte C>
    auto query(C cte) {
        return basic_query<basic_session, decltype(detail::parts_from_cte(std::move(cte)))>(*this, detail::parts_from_cte(std::move(cte)));
    }

    // Raw SQL with bound parameters, rows mapped by position into Row (a std::tuple or an
    // aggregate struct). Flushes first when autoflush is on.
    template <class Row, class... Args>
    std::vector<Row> fetch(detail::checked_sql<typename Backend::dialect, sizeof...(Args)> sql, const Args&... args) {
        return detail::fetch_rows<Row>(*this, sql.text, args...);
    }

    // Raw SQL that writes, with bound parameters, in the session's transaction (committed at
    // once with autocommit): the number of rows changed. Tracked objects are not synchronised
    // with it.
    template <class... Args>
    std::int64_t execute(detail::checked_sql<typename Backend::dialect, sizeof...(Args)> sql, const Args&... args) {
        check_usable();
        if (options_.autoflush) flush();
        relationships_.clear();  // it may add, move or delete children behind the session's objects
        std::int64_t changed = detail::run_write(connection(/*for_write=*/true), sql.text, true,
                                                 [&](auto& statement) { detail::bind_arguments(statement, args...); });
        if (options_.autocommit) commit_transaction();
        return changed;
    }

    // Writes pending changes to the database inside the session's transaction.
    void flush() { flush_changes(nullptr); }

    // Relationships along a foreign key member, &Child::member (session/relationships.hpp).
    // The children of a tracked parent: every object of Child the session tracks (pending ones
    // included, removed ones not) whose foreign key holds the parent's key, the rows having been
    // loaded once per transaction (load_children() loads them for many parents at once).
    template <auto Member, class Parent>
    std::vector<detail::relationship_child_t<Member>*> children(const Parent& parent);
    // The parent of a tracked child: from the identity map when tracked, else one SELECT;
    // nullptr for a NULL foreign key (or no such row).
    template <auto Member, class Child>
    detail::relationship_parent_t<Member>* parent(const Child& child);
    // Select-in eager loading: the children of all these tracked parents (pointers or
    // references) with one SELECT ... WHERE member IN (...) per 1024 distinct keys not loaded
    // yet; children() then runs no SQL for them. Returns those children, to load theirs in turn.
    template <auto Member, class Parents>
    std::vector<detail::relationship_child_t<Member>*> load_children(const Parents& parents);
    // Save-update cascade: adds `child` (as add() does) as a child of the tracked `parent`: its
    // foreign key takes the parent's key now, and again at the flush that inserts it, after the
    // parent when the parent is new (a generated key is known only then).
    template <auto Member, class Parent, class M>
    detail::relationship_child_t<Member>& add_child(const Parent& parent, M&& child);
    // Delete cascade along a chain of relationships: remove_cascade<&Post::user_id,
    // &Comment::post_id>(user) removes the user, its posts and their comments, as remove() does
    // each (the rows are deleted at the next flush, children first). The children are loaded
    // level by level (one SELECT ... IN per level and 1024 keys, none for what is loaded).
    template <auto... Members, class Object>
    void remove_cascade(Object& object);
    // Many-to-many through an association model (Link) whose foreign keys From and To reference
    // this object's model and the related one: related<&PostTag::post_id, &PostTag::tag_id>(post)
    // is the post's tags, the Link objects being post's children along From (loaded as
    // children() does) and the tags their parents along To (the untracked ones in one
    // SELECT ... IN per 1024 keys).
    template <auto From, auto To, class Object>
    std::vector<detail::relationship_parent_t<To>*> related(const Object& object);
    // Eager loading of related() for all these objects: the links and the related objects with
    // one SELECT ... IN per 1024 keys each. Returns the related objects, each once.
    template <auto From, auto To, class Objects>
    std::vector<detail::relationship_parent_t<To>*> load_related(const Objects& objects);
    // Adds the association object Link{...} with From's key taken from `object` and To's from
    // `other` (as add_child() does for each: new ones get their generated keys at the flush).
    template <auto From, auto To, class Object, class Other, class Link = detail::relationship_child_t<From>>
    Link& link(const Object& object, const Other& other, Link association = {});

private:
    template <class... M>
    void autoflush(detail::type_list<M...>*) {
        const void* scan[] = {&detail::model_id<M>..., nullptr};
        flush_changes(scan);
    }
    void autoflush(void*) { flush_changes(nullptr); }

    // Inserts and deletes everything pending; compares (and updates) the tracked objects of the
    // models in `scan` (a null-terminated list), or of every model when `scan` is null.
    void flush_changes(const void* const* scan);

public:

    // flush() + COMMIT. The connection goes back to the pool until the session is used again.
    void commit();

    // Rolls the transaction back: pending objects are discarded, changed and removed ones
    // restored to their last committed state. Always allowed, also after a failed flush.
    void rollback();

    // Rolls back what was not committed and forgets every object. The session cannot be used
    // afterwards (invalid_request_error).
    void close();

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

    // What a query in a session returns: tracked objects (projections as values).
    using backend_type = Backend;
    static constexpr bool tracks_objects = true;
    template <class Parts>
    using value_row_type = typename detail::value_rows<Parts>::type;
    template <class Parts>
    using row_type = typename detail::tracked_rows<Parts>::type;

private:
    friend struct detail::access;
    template <class S, class P, auto... M>
    friend class detail::joined_query;  // reads rows into the identity map, marks children loaded

    // --- the query layer's source interface (detail::access) ---

    template <class Parts, class Statement>
    row_type<Parts> read_row(const Statement& statement) {
        if constexpr (Parts::projected) {
            return detail::value_rows<Parts>::read(statement);
        } else if constexpr (std::tuple_size_v<typename Parts::joins_type> == 0) {
            return materialize<typename Parts::model>(statement, 0, Parts::locks_rows);
        } else {
            return [&]<std::size_t... I>(std::index_sequence<I...>) {
                return row_type<Parts>(materialize<typename Parts::model>(statement, 0, Parts::locks_rows),
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
        stream_rows<Reads>(sql, runtime_text, 0, binder, on_row);
    }
    // batch > 0: the rows received that many at a time (detail::stream_statement); 0: whole.
    template <class Reads, class Binder, class OnRow>
    void stream_rows(std::string_view sql, bool runtime_text, int batch, Binder&& binder, OnRow&& on_row) {
        check_usable();
        if (options_.autoflush) autoflush(static_cast<Reads*>(nullptr));
        select_each(sql, runtime_text, batch, binder, on_row);
    }
    // run_select for a query's rows, compiled once rather than once per query: a row costs one
    // indirect call, beside reading and tracking its object.
    void select_each(std::string_view sql, bool runtime_text, int batch,
                     detail::function_ref<void(typename Backend::statement_type&)> binder,
                     detail::function_ref<bool(const typename Backend::statement_type&)> on_row);

    // yield_per(n, fn, expunge_batches): objects of T tracked so far (where a batch begins)...
    template <class T>
    std::size_t batch_mark() {
        return store_for<T>().objects.size();
    }
    // ... and, after fn(batch), a flush (the batch's changes are written, not lost), then the
    // objects the batch loaded (tracked from `mark` to `end`) untracked; their memory is reused
    // for the next batch unless fn tracked more objects of T after them or a savepoint is open.
    template <class T>
    void release_batch(std::size_t mark, std::size_t end) {
        flush();
        auto& store = store_for<T>();
        if (store.objects.size() < end) return;  // expunge_all() in fn: untracked already
        for (std::size_t i = mark; i < end; ++i) store.forget(store.objects.at(i));
        relationships_.clear();
        if (store.objects.size() == end && savepoints_.empty())
            while (store.objects.size() > mark) store.objects.pop_back();
    }

    // A bulk UPDATE or DELETE: flushes, runs it, then brings the tracked objects it reached in
    // line: updated ones are reloaded, deleted ones count as removed (rollback restores them).
    // The rows of a RETURNING clause go to on_returned as the statement gives them.
    template <class T, class Binder, class KeyParts, class OnReturned>
    std::size_t bulk_write(std::string_view sql, bool runtime_text, Binder&& binder, const KeyParts& key_parts,
                           bool deletes, OnReturned&& on_returned) {
        check_usable();
        flush();
        auto& c = connection(/*for_write=*/true);  // begun before the SELECT of the keys it reaches
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
        std::int64_t changed = detail::run_write(c, sql, runtime_text, binder, on_returned);
        relationships_.clear();  // it may have moved or deleted children
        for (const auto& key : reached) {
            auto it = store.identity.find(key);
            if (it == store.identity.end()) continue;
            auto& e = *it->second;
            store.objects.keep_committed(e);
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
    // Callers have checked that the session is usable.
    template <class Binder, class OnRow>
    void run_select(std::string_view sql, bool runtime_text, Binder&& binder, OnRow&& on_row, int batch = 0) {
        auto& c = connection();
        struct reading {
            std::size_t& statements;
            explicit reading(std::size_t& n) : statements(++n) {}
            ~reading() { --statements; }
        } scope(reading_);
        detail::stream_statement(c, sql, runtime_text, binder, batch, on_row);
    }

    // The tracked object for the row whose T columns start at `first`: the one in the identity
    // map, unchanged, or a new one read from the row.
    template <class T, class Statement>
    T* materialize(const Statement& statement, int first, bool refresh = false) {
        return static_cast<T*>(store_for<T>().materialize(statement, first, refresh));
    }

    template <class Parts, std::size_t I, class Statement>
    auto* materialize_joined(const Statement& statement) {
        using J = std::tuple_element_t<I, typename Parts::joins_type>;
        using M = typename J::model;
        constexpr int first = detail::join_offset<Parts, I>();
        if constexpr (J::outer) {
            if (detail::model_missing<M>(statement, first)) return static_cast<M*>(nullptr);
        }
        return materialize<M>(statement, first, Parts::locks_rows);
    }

    template <class T>
    detail::store_of<Backend, T>& store_for() {
        using key = detail::identity_key_t<T>;
        const std::size_t index = detail::model_index<T>();
        if (index < stores_.size() && stores_[index]) [[likely]]  // every call but a model's first
            return static_cast<detail::store_of<Backend, T>&>(*stores_[index]);
        return static_cast<detail::store_of<Backend, T>&>(
            store_at(index, &detail::ops_of<Backend, T>::value, &make_store<key>));
    }
    template <class Key>
    static std::unique_ptr<detail::model_store_base<Backend>> make_store(const void* ops) {
        return std::make_unique<detail::model_store<Backend, Key>>(
            *static_cast<const detail::model_ops<Backend, Key>*>(ops));
    }
    // The store at `index` (detail::model_index), made when missing: from the spare shelf, or
    // new by make(ops). Not a template, so not compiled once per model.
    detail::model_store_base<Backend>& store_at(std::size_t index, const void* ops,
                                                std::unique_ptr<detail::model_store_base<Backend>> (*make)(const void*));

    // The entry tracking this very object (by address), or nullptr.
    template <class T>
    detail::entry* find_tracked(const T& object) {
        return tracked_entry(store_for<T>().objects, &object);
    }
    static detail::entry* tracked_entry(detail::entry_arena& objects, const void* object) {
        auto* e = objects.element_of(object);
        return e && e->state != detail::object_state::detached ? e : nullptr;
    }

    // A tracked object as get() shows it: removed ones are gone.
    template <class T>
    static invalid_request_error not_tracked(std::string_view operation) {
        return invalid_request_error(std::string(operation) + "(): the \"" + std::string(table<T>::name) +
                                     "\" object is not tracked by this session");
    }

    void check_usable() const;

    // With check_same_thread, the session's connection belongs to the thread that took it: any
    // other is refused before the session changes anything.
    void check_thread() const {
        if (connection_) detail::access::check_thread(*connection_);
    }

    // Ending the transaction inside for_each would give the connection back to the pool, which
    // resets the statement being read: the loop would start again at its first row.
    void check_not_reading(std::string_view operation) const;

    // Back to the pool, unless a statement is still read on it (an autocommit flush inside
    // for_each commits): then it stays until the session's next commit, rollback or close.
    void release_connection() {
        if (!reading_) connection_.reset();
    }

    // The session's connection, with its transaction begun (SQLAlchemy's autobegin). With
    // autocommit, only writes open a transaction; the flush commits it. A transaction whose
    // first statement writes says so at BEGIN (SQLite: IMMEDIATE, waiting for the write lock).
    typename Backend::connection_type& connection(bool for_write = false);

    void commit_transaction();

    void fail(std::string message);

    engine_type engine_;
    session_options options_;
    std::optional<connection_type> connection_;
    std::vector<std::unique_ptr<detail::model_store_base<Backend>>> stores_;  // by detail::model_index<T>()
    std::uint64_t sequence_ = 0;          // counts add() and remove() calls
    std::uint64_t flushed_sequence_ = 0;  // sequence_ at the last flush's collect()
    std::optional<std::string> failure_;
    bool closed_ = false;
    std::size_t reading_ = 0;  // statements being read on the connection (for_each, nested ones)

    // One per open savepoint, innermost last: the objects' state when it began.
    struct savepoint_frame {
        std::string name;
        // By the store's place in stores_; null where there was none.
        std::vector<std::unique_ptr<typename detail::model_store_base<Backend>::frame>> stores;
    };
    std::vector<savepoint_frame> savepoints_;
    std::uint64_t savepoint_names_ = 0;
    std::uint64_t transaction_generation_ = 0;  // bumped when the transaction ends: old guards go inert

    void end_savepoint(std::size_t depth, std::uint64_t generation, bool keep_changes);

    // Relationships: the parents whose children are all tracked (session/relationships.hpp).
    detail::relationships_state relationships_;
    // Children added by add_child() under parents not inserted yet, in add order.
    std::vector<detail::parent_link> parent_links_;
    // Writes the parent's key into each linked child whose parent is inserted by now.
    void write_parent_keys();
    // After a flush's DELETEs: the tracked children the database deleted or set NULL along ON
    // DELETE CASCADE / SET NULL, level by level, made so in the session (delete_actions.hpp).
    void follow_delete_actions(const std::vector<detail::flush_step<Backend>>& deletes,
                               typename Backend::connection_type& c);
    template <auto Member, class Object>
    detail::entry& tracked_for_relationship(const Object& object, std::string_view operation);
    // remove_cascade(): removes the children of `parents` along Member, theirs along Rest first.
    template <auto Member, auto... Rest, class Parent>
    void remove_children(const std::vector<Parent*>& parents);
    // The parents along Member of these children that the session does not track yet, loaded
    // with one SELECT ... IN per 1024 keys.
    template <auto Member, class Children>
    void load_parents(const Children& children);
    // The entry of a parent that children can be added under (tracked, not removed).
    template <auto Member, class Object>
    detail::entry& parent_for_adding(const Object& parent, std::string_view operation);
    // Writes the parent's key into the child's foreign key Member, now and, for a new parent,
    // again at the flush that inserts the child (parent_links_).
    template <auto Member, class Object>
    void link_to_parent(detail::entry& child, detail::entry& parent_entry, const Object& parent, std::string_view operation);

    void end_transaction() {
        parent_links_.clear();  // applied by the flush, or their objects dropped by the rollback
        savepoints_.clear();
        relationships_.clear();  // other transactions may add children from now on
        ++transaction_generation_;
    }
};

template <class Backend>
basic_session<Backend>::~basic_session() {
    try {
        close();
    } catch (...) {
        // A destructor must not throw; the connection went back to the pool rolled back.
    }
}

template <class Backend>
void basic_session<Backend>::flush_changes(const void* const* scan) {
    check_usable();
    auto scanned = [scan](const detail::model_store_base<Backend>& store) {
        if (!scan) return true;
        for (const void* const* s = scan; *s; ++s)
            if (*s == store.model_id) return true;
        return false;
    };
    // An orphan's change is its deletion: found where changes are looked for.
    for (auto& store : stores_)
        if (store && scanned(*store)) store->remove_orphans(sequence_);
    std::vector<detail::flush_step<Backend>> inserts, deletes;
    for (auto& store : stores_) if (store) store->collect(inserts, deletes);
    flushed_sequence_ = sequence_;
    bool wrote = false;
    auto writer = [&]() -> typename Backend::connection_type& {
        wrote = true;
        return connection(/*for_write=*/true);
    };
    try {
        // Usually in order already (one model, added in order): checking is cheaper than sorting.
        auto parents_first = [](const auto& a, const auto& b) {
            return a.depth != b.depth ? a.depth < b.depth : a.order < b.order;
        };
        if (!detail::is_sorted(inserts.begin(), inserts.end(), parents_first))
            detail::stable_sort(inserts.begin(), inserts.end(), parents_first);
        detail::stable_sort(deletes.begin(), deletes.end(), [](const auto& a, const auto& b) {
            return a.depth != b.depth ? a.depth > b.depth : a.order < b.order;
        });
        // Inserts in runs of one model (a run's rows never reference each other: parents are
        // a depth above), for backends that send a run at once.
        for (auto run = inserts.begin(); run != inserts.end();) {
            auto end = detail::find_if(run, inserts.end(), [&](const auto& step) { return step.store != run->store; });
            if (!parent_links_.empty()) write_parent_keys();  // the parents of this run are inserted
            run->store->insert_run(writer(), std::span<const detail::flush_step<Backend>>(run, end));
            run = end;
        }
        for (auto& store : stores_)
            if (store && scanned(*store)) store->flush_updates(writer);
        for (auto& step : deletes) step.store->remove(writer(), *step.e);
        if (!deletes.empty()) follow_delete_actions(deletes, writer());
    } catch (const std::exception& e) {
        fail(e.what());
        throw;
    }
    if (wrote && options_.autocommit) commit_transaction();
}

template <class Backend>
void basic_session<Backend>::follow_delete_actions(const std::vector<detail::flush_step<Backend>>& deletes,
                                                   typename Backend::connection_type& c) {
    auto followed = [&] {
        for (auto& store : stores_)
            if (store && !store->delete_followers.empty()) return true;
        return false;
    };
    // SQLite without PRAGMA foreign_keys=ON does none of it: the objects stay as the rows are.
    if (!followed() || !c.enforces_foreign_keys()) return;
    // The deleted rows, grouped by model; each level's cascaded rows are the next level's parents.
    std::vector<std::pair<detail::model_store_base<Backend>*, std::vector<detail::entry*>>> levels;
    for (const auto& step : deletes) {
        if (levels.empty() || levels.back().first != step.store) levels.emplace_back(step.store, std::vector<detail::entry*>{});
        levels.back().second.push_back(step.e);
    }
    while (!levels.empty()) {
        auto [parent_store, parents] = std::move(levels.back());
        levels.pop_back();
        for (auto& store : stores_) {
            if (!store || store->delete_followers.empty()) continue;
            std::vector<detail::entry*> cascaded;
            store->follow_parent_deletes(parent_store->model_id, parents, cascaded);
            if (!cascaded.empty()) levels.emplace_back(store.get(), std::move(cascaded));
        }
    }
}

template <class Backend>
void basic_session<Backend>::write_parent_keys() {
    std::erase_if(parent_links_, [](const detail::parent_link& link) {
        if (link.child->state != detail::object_state::pending) return true;  // removed before its flush
        switch (link.parent->state) {
            case detail::object_state::pending: return false;  // inserted by a later run
            case detail::object_state::persistent:
                link.write_key(link.child->object, link.parent->object);
                link.child->key_from_parent = false;
                return true;
            default:
                throw invalid_request_error(link.describe(link.operation,
                    "the parent was removed or expunged before this child was inserted: remove the child too, or "
                    "add it under another parent"));
        }
    });
}

template <class Backend>
void basic_session<Backend>::commit() {
    check_usable();
    check_not_reading("commit");
    flush();
    commit_transaction();
}

template <class Backend>
void basic_session<Backend>::rollback() {
    if (closed_) return;
    check_thread();
    check_not_reading("rollback");
    std::exception_ptr failure;
    if (connection_) {
        try {
            if (detail::access::backend_connection(*connection_).in_transaction()) detail::access::backend_connection(*connection_).rollback();
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

template <class Backend>
void basic_session<Backend>::close() {
    if (closed_) return;
    check_thread();
    check_not_reading("close");
    // The objects are about to go: roll the database back without restoring them first.
    closed_ = true;
    for (std::size_t i = 0; i < stores_.size(); ++i)
        if (stores_[i]) detail::spare_shelf<detail::model_store_base<Backend>>::keep(i, std::move(stores_[i]));
    stores_.clear();
    savepoints_.clear();
    relationships_.clear();
    parent_links_.clear();
    failure_.reset();
    if (!connection_) return;
    auto lent = std::move(*connection_);
    connection_.reset();
    auto& c = detail::access::backend_connection(lent);
    if (c.in_transaction()) c.rollback();
}

template <class Backend>
detail::model_store_base<Backend>& basic_session<Backend>::store_at(std::size_t index, const void* ops,
                                                  std::unique_ptr<detail::model_store_base<Backend>> (*make)(const void*)) {
    if (index >= stores_.size()) stores_.resize(index + 1);
    auto& slot = stores_[index];
    if (!slot) slot = detail::spare_shelf<detail::model_store_base<Backend>>::take(index);
    if (!slot) slot = make(ops);
    return *slot;
}

template <class Backend>
template <class Key>
void* basic_session<Backend>::find_or_load(detail::model_store<Backend, Key>& store, const Key& storage_key,
                                           std::string_view sql,
                                           detail::function_ref<void(typename Backend::statement_type&)> bind_key) {
    auto visible = [](const detail::entry& e) {  // a removed object is gone
        return e.state == detail::object_state::persistent ? e.object : nullptr;
    };
    if (auto it = store.identity.find(storage_key); it != store.identity.end()) return visible(*it->second);
    if (options_.autoflush && sequence_ != flushed_sequence_) {
        // Pending inserts and deletes only (none since the last flush: nothing to do): a changed
        // tracked object cannot make an untracked row appear (SQLAlchemy would also write changed
        // objects here; comparing every tracked object on each miss would make a loop of get()
        // quadratic).
        autoflush(static_cast<detail::type_list<>*>(nullptr));
        if (auto it = store.identity.find(storage_key); it != store.identity.end()) return visible(*it->second);
    }
    return load_one(sql, bind_key, store);
}

template <class Backend>
void basic_session<Backend>::select_each(std::string_view sql, bool runtime_text, int batch,
                                         detail::function_ref<void(typename Backend::statement_type&)> binder,
                                         detail::function_ref<bool(const typename Backend::statement_type&)> on_row) {
    run_select(sql, runtime_text, binder, on_row, batch);
}

template <class Backend>
void* basic_session<Backend>::load_one(std::string_view sql,
                                       detail::function_ref<void(typename Backend::statement_type&)> binder,
                                       detail::model_store_base<Backend>& store) {
    void* result = nullptr;
    run_select(sql, false, binder, [&](const auto& statement) {
        result = store.materialize(statement, 0);
        return false;
    });
    return result;
}

template <class Backend>
void basic_session<Backend>::check_usable() const {
    if (closed_) throw invalid_request_error("this session is closed; create a new one from the sessionmaker");
    check_thread();
    if (failure_)
        throw pending_rollback_error(
            "this session's transaction was rolled back because of an error during flush; call rollback() "
            "before using the session again. Original error: " +
            *failure_);
}

template <class Backend>
void basic_session<Backend>::check_not_reading(std::string_view operation) const {
    if (reading_)
        throw invalid_request_error(std::string(operation) +
                                    "() inside query().for_each() on the same session: it would end the "
                                    "transaction that the loop reads in; end the loop first (or collect the rows "
                                    "with all())");
}

template <class Backend>
typename Backend::connection_type& basic_session<Backend>::connection(bool for_write) {
    if (!connection_) connection_.emplace(engine_.connect());
    auto& c = detail::access::backend_connection(*connection_);
    if (!c.in_transaction()) {
        if (for_write) c.begin_write();
        else if (!options_.autocommit) c.begin();
    }
    return c;
}

template <class Backend>
void basic_session<Backend>::commit_transaction() {
    if (connection_) {
        try {
            if (detail::access::backend_connection(*connection_).in_transaction()) detail::access::backend_connection(*connection_).commit();
        } catch (const std::exception& e) {
            fail(e.what());
            throw;
        }
        release_connection();
    }
    for (auto& store : stores_) if (store) store->after_commit();
    end_transaction();
}

template <class Backend>
void basic_session<Backend>::fail(std::string message) {
    failure_ = std::move(message);
    savepoints_.clear();
    if (connection_) {
        try {
            auto& c = detail::access::backend_connection(*connection_);
            if (c.in_transaction()) c.rollback();
        } catch (...) {
        }
        release_connection();
    }
}

template <class Backend>
void basic_session<Backend>::end_savepoint(std::size_t depth, std::uint64_t generation, bool keep_changes) {
    if (generation != transaction_generation_ || depth >= savepoints_.size()) return;
    check_usable();
    using dialect = typename Backend::dialect;
    if (keep_changes) {
        flush();
        // With autocommit the flush committed: the savepoint ended with the transaction.
        if (generation != transaction_generation_) return;
        connection().execute(sql::savepoint_statement<dialect>(dialect::release_savepoint, savepoints_[depth].name));
        savepoints_.resize(depth);
        if (options_.autocommit && depth == 0) commit_transaction();  // reads go back outside a transaction
        return;
    }
    auto& c = connection();
    c.execute(sql::savepoint_statement<dialect>(dialect::rollback_to_savepoint, savepoints_[depth].name));
    c.execute(sql::savepoint_statement<dialect>(dialect::release_savepoint, savepoints_[depth].name));
    relationships_.clear();  // children loaded since the savepoint may be gone, rows restored
    const auto& saved = savepoints_[depth].stores;
    for (std::size_t i = 0; i < stores_.size(); ++i)
        if (stores_[i]) stores_[i]->restore(i < saved.size() ? saved[i].get() : nullptr, c);
    savepoints_.resize(depth);
    if (options_.autocommit && depth == 0) commit_transaction();
}

}  // namespace structql

#include "structql/session/joined_load.hpp"     // query().joined<>()
#include "structql/session/relationships.hpp"  // basic_session's relationship member templates

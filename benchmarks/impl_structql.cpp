// (d) and (e): StructQL. (d) is the untracked value path: connection.insert() writes rows,
// connection.query<T>() returns plain values and bulk update() / remove() by primary key run one
// statement each, without a session. (e) is the session: identity map, snapshots and the unit of
// work (add + flush + commit for new rows). Both run on SQLite and on PostgreSQL (the Backend).
#include "harness.hpp"

namespace bench {
namespace {

using sq::col;

sq::engine open_sqlite_engine(const target& where) {
    // Deferred BEGIN, as (a)-(c) begin: reads take no write lock. Sessions that write still begin
    // IMMEDIATE (their first statement writes).
    sq::engine engine = sq::create_engine(where.structql_url(), {.wal = where.kind == storage::wal_file,
                                                                 .sqlite_begin = sq::transaction_mode::deferred});
    std::vector<std::string> pragmas = configuration_pragmas(where.kind);
    engine.on_connect([pragmas](sq::connection& c) {
        for (const std::string& pragma : pragmas)
            if (pragma != "PRAGMA journal_mode=WAL") c.execute(pragma);  // `.wal` switched it already
    });
    return engine;
}

template <class Backend>
sq::basic_engine<Backend> open_engine(const target& where) {
    if constexpr (std::is_same_v<Backend, sq::postgresql_backend>) return sq::create_engine<Backend>(where.structql_url());
    else return open_sqlite_engine(where);
}

template <class Backend>
class structql_base {
public:
    using session_type = sq::basic_session<Backend>;

    explicit structql_base(const target& where) : engine_(open_engine<Backend>(where)), sessions_(engine_) {}

    template <class F>
    void raw(F fn) {
        auto c = engine_.connect();
        fn(c.native_handle());
    }

protected:
    sq::basic_engine<Backend> engine_;
    sq::basic_sessionmaker<Backend> sessions_;
};

// (d) holds one connection from the pool for the whole run, as (a)-(c) hold their sqlite3*, and
// runs each operation's reads and writes in one transaction (connection.begin()), as they do;
// (e) borrows one per session, as a request handler does.
template <class Backend>
class structql_values_impl : public structql_base<Backend> {
public:
    explicit structql_values_impl(const target& where)
        : structql_base<Backend>(where), connection_(this->engine_.connect()) {}

    // Set-up (schema, seed rows, emptying tables) on the connection the timed code uses, as
    // (a)-(c) do on theirs: a schema created through another connection would be read again,
    // timed, by this one's first statement (about 650,000 instructions with SQLite).
    template <class F>
    void raw(F fn) {
        fn(connection_.native_handle());
    }

    void insert_one_by_one(std::span<const User> users) { insert_batches(users, 1); }

    void insert_batches(std::span<const User> users, std::size_t size) {
        auto t = connection_.begin();
        for (std::size_t first = 0; first < users.size(); first += size)
            connection_.insert(users.subspan(first, std::min(size, users.size() - first)));
        t.commit();
    }

    void insert_batch_commits(std::span<const User> users, std::size_t size) {
        for (std::size_t first = 0; first < users.size(); first += size) {
            auto t = connection_.begin();
            connection_.insert(users.subspan(first, std::min(size, users.size() - first)));
            t.commit();
        }
    }

    summary get_by_pk(std::span<const std::int64_t> ids) {
        auto t = connection_.begin();
        summary found;
        for (std::int64_t id : ids) {
            if (std::optional<User> u = connection_.template query<User>().filter(col<&User::id> == id).first()) {
                found.rows += 1;
                found.checksum += weight(*u);
            }
        }
        t.commit();
        return found;
    }

    summary load_all() {
        auto t = connection_.begin();
        std::vector<User> users = connection_.template query<User>().all();
        t.commit();
        return summarise(users);
    }

    summary trivial_query(const std::string& hair_color) {
        auto t = connection_.begin();
        std::vector<User> users = connection_.template query<User>().filter(col<&User::hair_color> == hair_color).all();
        t.commit();
        return summarise(users);
    }

    summary medium_complex_query(const std::string& hair_color) {
        auto t = connection_.begin();
        std::vector<std::tuple<User, std::optional<Post>>> rows =
            connection_.template query<User>().template outerjoin<Post>().filter(col<&User::hair_color> == hair_color).all();
        t.commit();
        return summarise(rows);
    }

    summary loading_associations_sequentially() {
        auto t = connection_.begin();
        std::vector<User> users = connection_.template query<User>().all();
        std::vector<Post> posts = connection_.template query<Post>().filter(col<&Post::user_id>.in(ids_of(users))).all();
        std::vector<Comment> comments =
            connection_.template query<Comment>().filter(col<&Comment::post_id>.in(ids_of(posts))).all();
        t.commit();
        return summarise(group_associations(std::move(users), std::move(posts), std::move(comments)));
    }

    void prepare_writes() {}

    void update_names(std::span<const std::int64_t> ids, std::span<const std::string> names) {
        auto t = connection_.begin();
        for (std::size_t i = 0; i < ids.size(); ++i)
            connection_.template query<User>().filter(col<&User::id> == ids[i]).update(sq::set<&User::name>(names[i]));
        t.commit();
    }

    void delete_users(std::span<const std::int64_t> ids) {
        auto t = connection_.begin();
        for (std::int64_t id : ids) connection_.template query<User>().filter(col<&User::id> == id).remove();
        t.commit();
    }

    void load_and_update(std::span<const std::string> names, const std::string& hair_color) {
        auto t = connection_.begin();
        std::vector<User> users = connection_.template query<User>().all();
        for (User& u : users) {
            u.name = names[static_cast<std::size_t>(u.id - 1)];
            u.hair_color = hair_color;
            connection_.template query<User>().filter(col<&User::id> == u.id).update(sq::set<&User::name>(u.name),
                                                                                     sq::set<&User::hair_color>(u.hair_color));
        }
        t.commit();
    }

private:
    sq::basic_connection<Backend> connection_;
};

template <class Backend>
class structql_session_impl : public structql_base<Backend> {
public:
    using structql_base<Backend>::structql_base;
    using session_type = typename structql_base<Backend>::session_type;

    void insert_one_by_one(std::span<const User> users) {
        session_type db = this->sessions_();
        for (const User& u : users) db.add(u);
        db.commit();
    }

    // flush() compares every tracked object with its snapshot (plain structs have no change
    // notification), so a flush per batch costs more as the session fills up.
    void insert_batches(std::span<const User> users, std::size_t size) {
        session_type db = this->sessions_();
        for (std::size_t first = 0; first < users.size(); first += size) {
            for (const User& u : users.subspan(first, std::min(size, users.size() - first))) db.add(u);
            db.flush();
        }
        db.commit();
    }

    // A new session per batch, committed: nothing accumulates from one batch to the next.
    void insert_batch_commits(std::span<const User> users, std::size_t size) {
        for (std::size_t first = 0; first < users.size(); first += size) {
            session_type db = this->sessions_();
            for (const User& u : users.subspan(first, std::min(size, users.size() - first))) db.add(u);
            db.commit();
        }
    }

    summary get_by_pk(std::span<const std::int64_t> ids) {
        session_type db = this->sessions_();
        summary found;
        for (std::int64_t id : ids) {
            if (User* u = db.template get<User>(id)) {
                found.rows += 1;
                found.checksum += weight(*u);
            }
        }
        return found;
    }

    summary load_all() {
        session_type db = this->sessions_();
        return summarise(db.template query<User>().all());
    }

    summary trivial_query(const std::string& hair_color) {
        session_type db = this->sessions_();
        return summarise(db.template query<User>().filter(col<&User::hair_color> == hair_color).all());
    }

    summary medium_complex_query(const std::string& hair_color) {
        session_type db = this->sessions_();
        return summarise(db.template query<User>().template outerjoin<Post>().filter(col<&User::hair_color> == hair_color).all());
    }

    // Through the relationships: select-in eager loading (two SELECT ... IN), then the tree
    // built by navigation, which runs no SQL.
    summary loading_associations_sequentially() {
        session_type db = this->sessions_();
        std::vector<User*> users = db.template query<User>().all();
        std::vector<Post*> posts = db.template load_children<&Post::user_id>(users);
        (void)db.template load_children<&Comment::post_id>(posts);
        std::vector<user_with_posts<User*, Post*, Comment*>> tree;
        tree.reserve(users.size());
        for (User* user : users) {
            auto& node = tree.emplace_back(user_with_posts<User*, Post*, Comment*>{user, {}});
            for (Post* post : db.template children<&Post::user_id>(*user))
                node.posts.push_back({post, db.template children<&Comment::post_id>(*post)});
        }
        return summarise(tree);
    }

    // The objects to change, loaded (untimed) into the session the next pass commits.
    void prepare_writes() {
        loaded_.emplace(this->sessions_());
        loaded_->template query<User>().all();
    }

    void update_names(std::span<const std::int64_t> ids, std::span<const std::string> names) {
        session_type& db = *loaded_;
        for (std::size_t i = 0; i < ids.size(); ++i) db.template get<User>(ids[i])->name = names[i];  // from the identity map
        db.commit();
        loaded_.reset();
    }

    void delete_users(std::span<const std::int64_t> ids) {
        session_type& db = *loaded_;
        for (std::int64_t id : ids) db.remove(*db.template get<User>(id));
        db.commit();
        loaded_.reset();
    }

    void load_and_update(std::span<const std::string> names, const std::string& hair_color) {
        session_type db = this->sessions_();
        for (User* u : db.template query<User>().all()) {
            u->name = names[static_cast<std::size_t>(u->id - 1)];
            u->hair_color = hair_color;
        }
        db.commit();
    }

private:
    std::optional<session_type> loaded_;
};

}  // namespace

implementation structql_values() { return describe<structql_values_impl<sq::sqlite_backend>>("d_structql_values"); }
implementation structql_session() { return describe<structql_session_impl<sq::sqlite_backend>>("e_structql_session"); }
implementation structql_values_postgresql() {
    return describe<structql_values_impl<sq::postgresql_backend>>("d_structql_values");
}
implementation structql_session_postgresql() {
    return describe<structql_session_impl<sq::postgresql_backend>>("e_structql_session");
}

}  // namespace bench

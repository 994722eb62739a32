// (d) and (e): StructQL. (d) is the untracked value path: connection.insert() writes rows,
// connection.query<T>() returns plain values and bulk update() / remove() by primary key run one
// statement each, without a session. (e) is the session: identity map, snapshots and the unit of
// work (add + flush + commit for new rows).
#include "harness.hpp"

namespace bench {
namespace {

using sq::col;

sq::engine open_engine(const target& where) {
    sq::engine engine = sq::create_engine(where.structql_url(), {.wal = where.kind == storage::wal_file});
    std::vector<std::string> pragmas = configuration_pragmas(where.kind);
    engine.on_connect([pragmas](sq::connection& c) {
        for (const std::string& pragma : pragmas)
            if (pragma != "PRAGMA journal_mode=WAL") c.execute(pragma);  // `.wal` switched it already
    });
    return engine;
}

class structql_base {
public:
    explicit structql_base(const target& where) : engine_(open_engine(where)), sessions_(engine_) {}

    template <class F>
    void raw(F fn) {
        auto c = engine_.connect();
        fn(c.native_handle());
    }

protected:
    sq::engine engine_;
    sq::basic_sessionmaker<sq::sqlite_backend> sessions_;
};

// A transaction on the value path's connection: its reads and writes run in one transaction,
// as every other implementation's do. BEGIN and COMMIT are the backend connection's cached
// statements, as a session uses them (sq::connection has no begin()).
class transaction {
public:
    explicit transaction(sq::connection& c) : connection(c) { connection.get().begin(); }
    void commit() { connection.get().commit(); }
    sq::connection& connection;
};

// (d) holds one connection from the pool for the whole run, as (a)-(c) hold their sqlite3*;
// (e) borrows one per session, as a request handler does.
class structql_values_impl : public structql_base {
public:
    explicit structql_values_impl(const target& where) : structql_base(where), connection_(engine_.connect()) {}

    void insert_one_by_one(std::span<const User> users) { insert_batches(users, 1); }

    void insert_batches(std::span<const User> users, std::size_t size) {
        transaction t(connection_);
        for (std::size_t first = 0; first < users.size(); first += size)
            t.connection.insert(users.subspan(first, std::min(size, users.size() - first)));
        t.commit();
    }

    summary get_by_pk(std::span<const std::int64_t> ids) {
        transaction t(connection_);
        summary found;
        for (std::int64_t id : ids) {
            if (std::optional<User> u = t.connection.query<User>().filter(col<&User::id> == id).first()) {
                found.rows += 1;
                found.checksum += weight(*u);
            }
        }
        t.commit();
        return found;
    }

    summary load_all() {
        transaction t(connection_);
        std::vector<User> users = t.connection.query<User>().all();
        t.commit();
        return summarise(users);
    }

    summary trivial_query(const std::string& hair_color) {
        transaction t(connection_);
        std::vector<User> users = t.connection.query<User>().filter(col<&User::hair_color> == hair_color).all();
        t.commit();
        return summarise(users);
    }

    summary medium_complex_query(const std::string& hair_color) {
        transaction t(connection_);
        std::vector<std::tuple<User, std::optional<Post>>> rows =
            t.connection.query<User>().outerjoin<Post>().filter(col<&User::hair_color> == hair_color).all();
        t.commit();
        return summarise(rows);
    }

    summary loading_associations_sequentially() {
        transaction t(connection_);
        std::vector<User> users = t.connection.query<User>().all();
        std::vector<Post> posts = t.connection.query<Post>().filter(col<&Post::user_id>.in(ids_of(users))).all();
        std::vector<Comment> comments =
            t.connection.query<Comment>().filter(col<&Comment::post_id>.in(ids_of(posts))).all();
        t.commit();
        return summarise(group_associations(std::move(users), std::move(posts), std::move(comments)));
    }

    void prepare_writes() {}

    void update_names(std::span<const std::int64_t> ids, std::span<const std::string> names) {
        transaction t(connection_);
        for (std::size_t i = 0; i < ids.size(); ++i)
            t.connection.query<User>().filter(col<&User::id> == ids[i]).update(sq::set<&User::name>(names[i]));
        t.commit();
    }

    void delete_users(std::span<const std::int64_t> ids) {
        transaction t(connection_);
        for (std::int64_t id : ids) t.connection.query<User>().filter(col<&User::id> == id).remove();
        t.commit();
    }

private:
    sq::connection connection_;
};

class structql_session_impl : public structql_base {
public:
    using structql_base::structql_base;

    void insert_one_by_one(std::span<const User> users) {
        sq::session db = sessions_();
        for (const User& u : users) db.add(u);
        db.commit();
    }

    // flush() compares every tracked object with its snapshot (plain structs have no change
    // notification), so a flush per batch costs more as the session fills up.
    void insert_batches(std::span<const User> users, std::size_t size) {
        sq::session db = sessions_();
        for (std::size_t first = 0; first < users.size(); first += size) {
            for (const User& u : users.subspan(first, std::min(size, users.size() - first))) db.add(u);
            db.flush();
        }
        db.commit();
    }

    summary get_by_pk(std::span<const std::int64_t> ids) {
        sq::session db = sessions_();
        summary found;
        for (std::int64_t id : ids) {
            if (User* u = db.get<User>(id)) {
                found.rows += 1;
                found.checksum += weight(*u);
            }
        }
        return found;
    }

    summary load_all() {
        sq::session db = sessions_();
        return summarise(db.query<User>().all());
    }

    summary trivial_query(const std::string& hair_color) {
        sq::session db = sessions_();
        return summarise(db.query<User>().filter(col<&User::hair_color> == hair_color).all());
    }

    summary medium_complex_query(const std::string& hair_color) {
        sq::session db = sessions_();
        return summarise(db.query<User>().outerjoin<Post>().filter(col<&User::hair_color> == hair_color).all());
    }

    summary loading_associations_sequentially() {
        sq::session db = sessions_();
        std::vector<User*> users = db.query<User>().all();
        std::vector<Post*> posts = db.query<Post>().filter(col<&Post::user_id>.in(ids_of(users))).all();
        std::vector<Comment*> comments = db.query<Comment>().filter(col<&Comment::post_id>.in(ids_of(posts))).all();
        return summarise(group_associations(std::move(users), std::move(posts), std::move(comments)));
    }

    // The objects to change, loaded (untimed) into the session the next pass commits.
    void prepare_writes() {
        loaded_.emplace(sessions_());
        loaded_->query<User>().all();
    }

    void update_names(std::span<const std::int64_t> ids, std::span<const std::string> names) {
        sq::session& db = *loaded_;
        for (std::size_t i = 0; i < ids.size(); ++i) db.get<User>(ids[i])->name = names[i];  // from the identity map
        db.commit();
        loaded_.reset();
    }

    void delete_users(std::span<const std::int64_t> ids) {
        sq::session& db = *loaded_;
        for (std::int64_t id : ids) db.remove(*db.get<User>(id));
        db.commit();
        loaded_.reset();
    }

private:
    std::optional<sq::session> loaded_;
};

}  // namespace

implementation structql_values() { return describe<structql_values_impl>("d_structql_values"); }
implementation structql_session() { return describe<structql_session_impl>("e_structql_session"); }

}  // namespace bench

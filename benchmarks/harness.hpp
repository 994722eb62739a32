#pragma once
// The scaffolding shared by every implementation of the benchmark suite: the models (Diesel's
// benchmark schema), the data sets, where a benchmark's database lives, what a run checks,
// and the workloads themselves. A workload is written once here, as a template over an
// implementation class; each implementation (benchmarks/impl_*.cpp) writes only the code
// the workload times, with the same member functions:
//
//   explicit Impl(const target&);                 opens its database
//   template <class F> void raw(F fn);            fn(sqlite3*) or fn(PGconn*) on that database: set-up and
//                                                 checks, never timed
//   void insert_one_by_one(std::span<const User>);                 one INSERT per user, one transaction
//   void insert_batches(std::span<const User>, std::size_t size);  INSERTs of `size` users, one transaction
//   void insert_batch_commits(std::span<const User>, std::size_t size);  a transaction per `size` users
//   summary get_by_pk(std::span<const std::int64_t> ids);          every read workload runs in one
//   summary load_all();                                            transaction and returns a summary
//   summary trivial_query(const std::string& hair_color);          of the rows it materialised
//   summary medium_complex_query(const std::string& hair_color);
//   summary loading_associations_sequentially();
//   void prepare_writes();                        untimed, before each update / delete pass
//   void update_names(std::span<const std::int64_t> ids, std::span<const std::string> names);
//   void delete_users(std::span<const std::int64_t> ids);
//   void load_and_update(std::span<const std::string> names, const std::string& hair_color);
//                                                 one transaction: every user loaded, then written back
//                                                 with name names[id - 1] and the given hair colour
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <structql/postgresql.hpp>

namespace bench {

namespace sq = structql;

// --- Diesel's benchmark schema ---

struct User {
    std::int64_t id;
    std::string name;
    std::optional<std::string> hair_color;
    static constexpr std::string_view table_name = "users";
};
struct Post {
    std::int64_t id;
    sq::foreign_key<&User::id> user_id;
    std::string title;
    std::optional<std::string> body;
    static constexpr std::string_view table_name = "posts";
};
struct Comment {
    std::int64_t id;
    sq::foreign_key<&Post::id> post_id;
    std::string text;
    static constexpr std::string_view table_name = "comments";
};

// --- sizes: the full suite, or --smoke (CI: a few hundred rows) ---

struct sizes_t {
    std::int64_t rows = 10'000;  // insert, get, load, update and delete
    std::vector<std::int64_t> batches{1, 10, 25, 50, 100};
    std::vector<std::int64_t> batch_commits{100};
    std::vector<std::int64_t> trivial{1, 10, 100, 1'000, 10'000};
    std::vector<std::int64_t> medium{1, 100, 1'000};
    std::int64_t association_users = 100, posts_per_user = 10, comments_per_post = 10;
};
sizes_t& sizes();

// --- data sets: the same rows for every implementation ---

User make_user(std::int64_t id);  // name "User <id>", hair black (odd ids), brown or NULL
struct dataset {
    std::vector<User> users;
    std::vector<Post> posts;
    std::vector<Comment> comments;
};
dataset users_data(std::int64_t count);            // users 1..count
dataset medium_data(std::int64_t users);           // user i has i % 3 posts
dataset association_data();                        // users -> posts -> comments, sizes().*
std::vector<User> new_users(std::int64_t count);   // id 0: the database assigns it
std::vector<std::int64_t> ids_1_to(std::int64_t count);

// --- where a benchmark's database lives ---

// postgresql: a schema of its own in the server at $STRUCTQL_BENCH_POSTGRES_URL (for libpq and
// StructQL alike: a postgresql:// URL); without that variable the PostgreSQL benchmarks are not
// registered. tools/run-benchmarks.sh and ctest start a throwaway server (tests/postgresql/server.sh).
enum class storage { memory, wal_file, postgresql };
std::string_view storage_name(storage s);
std::optional<std::string> postgres_server_url();  // $STRUCTQL_BENCH_POSTGRES_URL when set

struct target {
    storage kind;
    std::filesystem::path file;  // wal_file only
    std::string postgres_url;    // postgresql only: the server's URL, search_path set to the schema
    std::string structql_url() const;
    std::string sqlite_filename() const;  // ":memory:" or the file
};

// A target for one benchmark: a new file (and its -wal / -shm), or a new PostgreSQL schema,
// removed at the end.
class scratch_database {
public:
    explicit scratch_database(storage kind);
    ~scratch_database();
    scratch_database(const scratch_database&) = delete;
    scratch_database& operator=(const scratch_database&) = delete;
    const target& where() const { return target_; }

private:
    target target_;
    std::string schema_;  // postgresql only
};
std::filesystem::path scratch_directory();  // $STRUCTQL_BENCH_DIR, else /dev/shm, else the temp dir

// --- raw sqlite3 and libpq, for set-up and checks only (never timed) ---

void exec(sqlite3* db, const std::string& sql);
std::int64_t query_int(sqlite3* db, const std::string& sql);
// The pragmas of the configuration: foreign keys on; WAL and synchronous=NORMAL for files.
// The sqlite3 and SQLiteCpp implementations run them at open, StructQL through on_connect.
std::vector<std::string> configuration_pragmas(storage kind);
void create_schema(sqlite3* db);
void seed(sqlite3* db, const dataset& data);
void clear_users(sqlite3* db);

PGconn* connect_postgres(const std::string& url);  // throws when the server does not answer
void exec(PGconn* db, const std::string& sql);
std::int64_t query_int(PGconn* db, const std::string& sql);
void create_schema(PGconn* db);
void seed(PGconn* db, const dataset& data);  // COPY, keys as given
void clear_users(PGconn* db);                // and the key sequence restarted, as SQLite's rowids are
// "(?, ?), (?, ?)": `rows` groups of `columns` placeholders, for hand-written multi-row SQL.
std::string placeholders(std::size_t rows, std::size_t columns);

// --- what a read returns: enough to see that every row was really materialised ---

struct summary {
    std::int64_t rows = 0;
    std::int64_t checksum = 0;
    bool operator==(const summary&) const = default;
};
std::string describe(const summary& s);

template <class X>
decltype(auto) object_of(const X& x) {
    if constexpr (std::is_pointer_v<X>) return *x;
    else return x;
}

inline std::int64_t text_size(const std::optional<std::string>& s) { return s ? static_cast<std::int64_t>(s->size()) : 0; }
inline std::int64_t weight(const User& u) { return u.id + static_cast<std::int64_t>(u.name.size()) + text_size(u.hair_color); }
inline std::int64_t weight(const Post& p) {
    return p.id + p.user_id.value + static_cast<std::int64_t>(p.title.size()) + text_size(p.body);
}
inline std::int64_t weight(const Comment& c) { return c.id + c.post_id.value + static_cast<std::int64_t>(c.text.size()); }
template <class X>
std::int64_t weight(const X* x) {
    return x ? weight(*x) : 0;
}
template <class X>
std::int64_t weight(const std::optional<X>& x) {
    return x ? weight(*x) : 0;
}
template <class... X>
std::int64_t weight(const std::tuple<X...>& row) {
    return std::apply([](const auto&... part) { return (weight(part) + ...); }, row);
}
template <class A, class B>
std::int64_t weight(const std::pair<A, B>& row) {
    return weight(row.first) + weight(row.second);
}

// One row per element: users, (user, post) pairs of a join, ...
template <class Rows>
summary summarise(const Rows& rows) {
    summary s;
    for (const auto& row : rows) {
        ++s.rows;
        s.checksum += weight(row);
    }
    return s;
}

template <class Rows>
std::vector<std::int64_t> ids_of(const Rows& rows) {
    std::vector<std::int64_t> ids;
    ids.reserve(rows.size());
    for (const auto& row : rows) ids.push_back(object_of(row).id);
    return ids;
}

// loading_associations_sequentially: the three result sets grouped in memory, each user with
// its posts, each post with its comments (Diesel's grouped_by). U, P, C are values or pointers.
template <class P, class C>
struct post_with_comments {
    P post;
    std::vector<C> comments;
};
template <class U, class P, class C>
struct user_with_posts {
    U user;
    std::vector<post_with_comments<P, C>> posts;
};

template <class U, class P, class C>
std::vector<user_with_posts<U, P, C>> group_associations(std::vector<U> users, std::vector<P> posts,
                                                         std::vector<C> comments) {
    std::vector<user_with_posts<U, P, C>> tree;
    tree.reserve(users.size());
    std::unordered_map<std::int64_t, std::size_t> user_at;
    for (auto& u : users) {
        user_at.emplace(object_of(u).id, tree.size());
        tree.push_back({std::move(u), {}});
    }
    std::unordered_map<std::int64_t, std::pair<std::size_t, std::size_t>> post_at;
    for (auto& p : posts) {
        std::size_t owner = user_at.at(object_of(p).user_id.value);
        post_at.emplace(object_of(p).id, std::pair(owner, tree[owner].posts.size()));
        tree[owner].posts.push_back({std::move(p), {}});
    }
    for (auto& c : comments) {
        auto [owner, post] = post_at.at(object_of(c).post_id.value);
        tree[owner].posts[post].comments.push_back(std::move(c));
    }
    return tree;
}

template <class U, class P, class C>
summary summarise(const std::vector<user_with_posts<U, P, C>>& tree) {
    summary s;
    for (const auto& u : tree) {
        s.rows += 1;
        s.checksum += weight(u.user);
        for (const auto& p : u.posts) {
            s.rows += 1 + static_cast<std::int64_t>(p.comments.size());
            s.checksum += weight(p.post) + summarise(p.comments).checksum;
        }
    }
    return s;
}

// --- the harness ---

// Marks the benchmark failed (the binary then exits with status 1) and stops it.
void fail(benchmark::State& state, const std::string& message);
bool any_failure();

template <class Body>
void guarded(benchmark::State& state, Body&& body) {
    try {
        body();
    } catch (const std::exception& e) {
        fail(state, e.what());
    }
}

void check(benchmark::State& state, std::string_view what, const summary& got, const summary& expected);

// Under `valgrind --tool=callgrind --collect-atstart=no`, instructions are counted in the timed
// parts only (a no-op otherwise): the timer's pauses pause the count too.
void profile_collect(bool on);
inline void pause_timing(benchmark::State& state) {
    profile_collect(false);
    state.PauseTiming();
}
inline void resume_timing(benchmark::State& state) {
    state.ResumeTiming();
    profile_collect(true);
}

// A database with the schema, seeded, and the implementation opened on it.
template <class Impl>
struct fixture {
    scratch_database scratch;
    Impl impl;
    fixture(storage kind, const dataset& data) : scratch(kind), impl(scratch.where()) {
        impl.raw([&](auto* db) {
            create_schema(db);
            seed(db, data);
        });
    }
    summary table_summary(const std::string& select) {
        summary s;
        impl.raw([&](auto* db) {
            s.rows = query_int(db, "SELECT count(*) FROM (" + select + ") AS t");
            s.checksum = query_int(db, "SELECT coalesce(sum(w), 0) FROM (" + select + ") AS t");
        });
        return s;
    }
    summary users_summary() {
        return table_summary("SELECT id + length(name) + coalesce(length(hair_color), 0) AS w FROM users");
    }
};

// A read: one untimed run (statements prepared, caches warm), then the timed runs; the first
// result and the last are checked.
template <class Impl, class Read>
void timed_read(benchmark::State& state, Impl& impl, const summary& expected, Read read) {
    check(state, "first result", read(impl), expected);
    summary last = expected;
    profile_collect(true);
    for (auto _ : state) {
        last = read(impl);
        benchmark::DoNotOptimize(last);
    }
    profile_collect(false);
    check(state, "last timed result", last, expected);
}

template <class Impl>
struct workloads {
    static void insert_one_by_one(benchmark::State& state, storage kind, std::int64_t) {
        insert(state, kind, [](Impl& impl, std::span<const User> users) { impl.insert_one_by_one(users); });
    }
    static void insert_batch(benchmark::State& state, storage kind, std::int64_t size) {
        if (sizes().rows % size != 0) return fail(state, "the batch size must divide the row count");
        insert(state, kind, [size](Impl& impl, std::span<const User> users) {
            impl.insert_batches(users, static_cast<std::size_t>(size));
        });
    }
    // A transaction per batch (a new session each, for the session): the batch-and-commit idiom.
    static void insert_batch_commit(benchmark::State& state, storage kind, std::int64_t size) {
        insert_commits(state, kind, size, [](Impl& impl, std::span<const User> users, std::size_t n) {
            impl.insert_batch_commits(users, n);
        });
    }
    // The same workload through `commits(impl, users, size)` (a_sqlite3_row_loop: (a)'s row loop).
    template <class Commits>
    static void insert_commits(benchmark::State& state, storage kind, std::int64_t size, Commits commits) {
        if (sizes().rows % size != 0) return fail(state, "the batch size must divide the row count");
        insert(state, kind, [size, commits](Impl& impl, std::span<const User> users) {
            commits(impl, users, static_cast<std::size_t>(size));
        });
    }
    static void get_by_pk(benchmark::State& state, storage kind, std::int64_t) {
        dataset data = users_data(sizes().rows);
        fixture<Impl> f(kind, data);
        std::vector<std::int64_t> ids = ids_1_to(sizes().rows);
        timed_read(state, f.impl, summarise(data.users), [&](Impl& impl) { return impl.get_by_pk(ids); });
    }
    static void load_all(benchmark::State& state, storage kind, std::int64_t) {
        dataset data = users_data(sizes().rows);
        fixture<Impl> f(kind, data);
        timed_read(state, f.impl, summarise(data.users), [](Impl& impl) { return impl.load_all(); });
    }
    // N black-haired users among 2N.
    static void trivial_query(benchmark::State& state, storage kind, std::int64_t n) {
        dataset data = users_data(2 * n);
        fixture<Impl> f(kind, data);
        std::vector<User> black;
        for (const User& u : data.users)
            if (u.hair_color == "black") black.push_back(u);
        const std::string color = "black";
        timed_read(state, f.impl, summarise(black), [&](Impl& impl) { return impl.trivial_query(color); });
    }
    // N users LEFT JOIN their posts, filtered on the user's hair colour.
    static void medium_complex_query(benchmark::State& state, storage kind, std::int64_t n) {
        dataset data = medium_data(n);
        fixture<Impl> f(kind, data);
        std::vector<std::pair<User, std::optional<Post>>> expected;
        for (const User& u : data.users) {
            if (u.hair_color != "black") continue;
            bool any = false;
            for (const Post& p : data.posts)
                if (p.user_id == u.id) expected.emplace_back(u, p), any = true;
            if (!any) expected.emplace_back(u, std::nullopt);
        }
        const std::string color = "black";
        timed_read(state, f.impl, summarise(expected), [&](Impl& impl) { return impl.medium_complex_query(color); });
    }
    static void loading_associations_sequentially(benchmark::State& state, storage kind, std::int64_t) {
        dataset data = association_data();
        fixture<Impl> f(kind, data);
        summary expected = summarise(group_associations(data.users, data.posts, data.comments));
        timed_read(state, f.impl, expected, [](Impl& impl) { return impl.loading_associations_sequentially(); });
    }
    // Every user renamed, by primary key, in one transaction; the names change each pass.
    static void update_by_pk(benchmark::State& state, storage kind, std::int64_t) {
        fixture<Impl> f(kind, users_data(sizes().rows));
        std::vector<std::int64_t> ids = ids_1_to(sizes().rows);
        std::vector<std::string> names(ids.size());
        std::int64_t pass = 0;
        for (auto _ : state) {
            pause_timing(state);
            ++pass;
            for (std::size_t i = 0; i < ids.size(); ++i) names[i] = renamed(pass, ids[i]);
            f.impl.prepare_writes();
            resume_timing(state);
            f.impl.update_names(ids, names);
        }
        profile_collect(false);
        summary renamed_rows = f.table_summary("SELECT id AS w FROM users WHERE name = 'r' || " + std::to_string(pass) +
                                               " || '-' || id");
        check(state, "renamed rows", renamed_rows, summarise_ids(ids));
    }
    // Every user loaded and two of its columns changed, in one transaction: the load is timed
    // too (a session's unit of work from the query to the commit).
    static void load_update_commit(benchmark::State& state, storage kind, std::int64_t) {
        fixture<Impl> f(kind, users_data(sizes().rows));
        std::vector<std::int64_t> ids = ids_1_to(sizes().rows);
        std::vector<std::string> names(ids.size());
        std::string hair;
        std::int64_t pass = 0;
        for (auto _ : state) {
            pause_timing(state);
            ++pass;
            for (std::size_t i = 0; i < ids.size(); ++i) names[i] = renamed(pass, ids[i]);
            hair = std::string("h").append(std::to_string(pass));
            resume_timing(state);
            f.impl.load_and_update(names, hair);
        }
        profile_collect(false);
        const std::string p = std::to_string(pass);
        summary changed = f.table_summary("SELECT id AS w FROM users WHERE name = 'r' || " + p +
                                          " || '-' || id AND hair_color = 'h' || " + p);
        check(state, "changed rows", changed, summarise_ids(ids));
    }
    // Every user deleted, by primary key, in one transaction; the table is seeded again
    // (untimed) before each pass.
    static void delete_by_pk(benchmark::State& state, storage kind, std::int64_t) {
        dataset data = users_data(sizes().rows);
        fixture<Impl> f(kind, {});
        std::vector<std::int64_t> ids = ids_1_to(sizes().rows);
        for (auto _ : state) {
            pause_timing(state);
            f.impl.raw([&](auto* db) { seed(db, data); });
            f.impl.prepare_writes();
            resume_timing(state);
            f.impl.delete_users(ids);
        }
        profile_collect(false);
        check(state, "rows left", f.users_summary(), summary{});
    }

private:
    template <class Insert>
    static void insert(benchmark::State& state, storage kind, Insert run) {
        fixture<Impl> f(kind, {});
        std::vector<User> users = new_users(sizes().rows);
        for (auto _ : state) {
            pause_timing(state);
            f.impl.raw([](auto* db) { clear_users(db); });
            resume_timing(state);
            run(f.impl, users);
        }
        profile_collect(false);
        check(state, "inserted rows", f.users_summary(), summarise(users_data(sizes().rows).users));
    }
    static std::string renamed(std::int64_t pass, std::int64_t id) {
        // Not "r" + std::to_string(...): g++ 12 warns falsely about it (-Wrestrict, GCC bug 105329).
        std::string name = "r";
        return name.append(std::to_string(pass)).append("-").append(std::to_string(id));
    }
    static summary summarise_ids(const std::vector<std::int64_t>& ids) {
        summary s;
        for (auto id : ids) ++s.rows, s.checksum += id;
        return s;
    }
};

// --- peak RSS of loading rows (the --rss mode) ---

struct rss_figures {
    std::int64_t baseline_kib = 0;  // VmRSS with the database open, before loading
    std::int64_t peak_kib = 0;      // VmHWM after loading (and freeing) the rows
    summary loaded;
};
std::int64_t proc_status_kib(const char* field);  // VmRSS, VmHWM, ... of this process

template <class Impl>
rss_figures measure_rss(const target& where) {
    Impl impl(where);
    impl.raw([](auto*) {});  // the connection is open before the baseline
    rss_figures r;
    r.baseline_kib = proc_status_kib("VmRSS");
    r.loaded = impl.load_all();
    r.peak_kib = proc_status_kib("VmHWM");
    return r;
}

// --- the implementations, as main() registers them ---

enum workload_id : std::size_t {
    w_insert_one_by_one,
    w_insert_batch,
    w_get_by_pk,
    w_load_all,
    w_trivial_query,
    w_medium_complex_query,
    w_loading_associations_sequentially,
    w_update_by_pk,
    w_delete_by_pk,
    w_insert_batch_commit,
    w_load_update_commit,
    workload_count
};

using benchmark_fn = void (*)(benchmark::State&, storage, std::int64_t);

struct implementation {
    std::string name;  // "a_sqlite3_prepared", ...: the last part of every benchmark name
    std::array<benchmark_fn, workload_count> run;
    rss_figures (*rss)(const target&);
};

template <class Impl>
implementation describe(std::string name) {
    using w = workloads<Impl>;
    return {std::move(name),
            {&w::insert_one_by_one, &w::insert_batch, &w::get_by_pk, &w::load_all, &w::trivial_query,
             &w::medium_complex_query, &w::loading_associations_sequentially, &w::update_by_pk, &w::delete_by_pk,
             &w::insert_batch_commit, &w::load_update_commit},
            &measure_rss<Impl>};
}

// Defined by each implementation's file.
implementation sqlite3_prepared_once();    // (a)
implementation sqlite3_prepared_per_call();  // (b)
// (a)'s row loop for insert_batch_commit: a one-row INSERT per user, a transaction per batch
// (registered as a_sqlite3_row_loop for that workload only, on SQLite).
benchmark_fn sqlite3_row_loop_commits();
implementation sqlitecpp();                  // (c)
implementation structql_values();            // (d)
implementation structql_session();           // (e)
// On PostgreSQL: hand-written libpq as the floor, and StructQL's two paths on postgresql://.
implementation libpq_prepared_once();        // (a)
implementation structql_values_postgresql();   // (d)
implementation structql_session_postgresql();  // (e)

}  // namespace bench

// (a) and (b): hand-written sqlite3 C API. The same code, but (a) prepares each statement
// once and reuses it (the floor every other implementation is measured against) while (b)
// prepares, runs and finalizes a statement for every call.
#include <map>
#include <stdexcept>

#include "harness.hpp"

namespace bench {
namespace {

[[noreturn]] void throw_error(sqlite3* db, std::string_view doing) {
    throw std::runtime_error(std::string(doing) + ": " + sqlite3_errmsg(db));
}

void bind_text(sqlite3_stmt* s, int index, const std::string& v) {
    sqlite3_bind_text(s, index, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void bind_text(sqlite3_stmt* s, int index, const std::optional<std::string>& v) {
    if (v) bind_text(s, index, *v);
    else sqlite3_bind_null(s, index);
}
std::string read_text(sqlite3_stmt* s, int column) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, column)),
                       static_cast<std::size_t>(sqlite3_column_bytes(s, column)));
}
std::optional<std::string> read_optional_text(sqlite3_stmt* s, int column) {
    if (sqlite3_column_type(s, column) == SQLITE_NULL) return std::nullopt;
    return read_text(s, column);
}
User read_user(sqlite3_stmt* s, int first = 0) {
    return User{sqlite3_column_int64(s, first), read_text(s, first + 1), read_optional_text(s, first + 2)};
}
Post read_post(sqlite3_stmt* s, int first = 0) {
    return Post{sqlite3_column_int64(s, first), sqlite3_column_int64(s, first + 1), read_text(s, first + 2),
                read_optional_text(s, first + 3)};
}
Comment read_comment(sqlite3_stmt* s) {
    return Comment{sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1), read_text(s, 2)};
}

constexpr const char* select_users = "SELECT id, name, hair_color FROM users";
constexpr const char* select_user_by_id = "SELECT id, name, hair_color FROM users WHERE id = ?";
constexpr const char* select_users_by_hair = "SELECT id, name, hair_color FROM users WHERE hair_color = ?";
constexpr const char* select_users_with_posts =
    "SELECT u.id, u.name, u.hair_color, p.id, p.user_id, p.title, p.body "
    "FROM users u LEFT JOIN posts p ON p.user_id = u.id WHERE u.hair_color = ?";
constexpr const char* update_user_name = "UPDATE users SET name = ? WHERE id = ?";
constexpr const char* delete_user = "DELETE FROM users WHERE id = ?";
constexpr const char* update_user_name_and_hair = "UPDATE users SET name = ?, hair_color = ? WHERE id = ?";

template <bool PrepareOnce>
class sqlite3_impl {
public:
    explicit sqlite3_impl(const target& where) {
        if (sqlite3_open_v2(where.sqlite_filename().c_str(), &db_,
                            SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
            throw_error(db_, "open");
        for (const std::string& pragma : configuration_pragmas(where.kind)) exec(db_, pragma);
    }
    ~sqlite3_impl() {
        for (sqlite3_stmt* s : prepared_) sqlite3_finalize(s);
        sqlite3_close_v2(db_);
    }
    sqlite3_impl(const sqlite3_impl&) = delete;
    sqlite3_impl& operator=(const sqlite3_impl&) = delete;

    template <class F>
    void raw(F fn) {
        fn(db_);
    }

    void insert_one_by_one(std::span<const User> users) { insert_batches(users, 1); }

    void insert_batches(std::span<const User> users, std::size_t size) {
        begin();
        sqlite3_stmt*& slot = insert_users_[size];
        for (std::size_t first = 0; first < users.size(); first += size) {
            statement s = use(slot, [&] {
                return "INSERT INTO users (name, hair_color) VALUES " + placeholders(size, 2);
            });
            int index = 1;
            for (const User& u : users.subspan(first, size)) {
                bind_text(s, index++, u.name);
                bind_text(s, index++, u.hair_color);
            }
            s.run();
        }
        commit();
    }

    void insert_batch_commits(std::span<const User> users, std::size_t size) {
        for (std::size_t first = 0; first < users.size(); first += size) insert_batches(users.subspan(first, size), size);
    }

    // The row loop that batching is also measured against (a_sqlite3_row_loop): a transaction
    // per `size` users, each user its own one-row INSERT, prepared once and reused.
    void insert_row_loop_commits(std::span<const User> users, std::size_t size) {
        for (std::size_t first = 0; first < users.size(); first += size) insert_batches(users.subspan(first, size), 1);
    }

    summary get_by_pk(std::span<const std::int64_t> ids) {
        begin();
        summary found;
        for (std::int64_t id : ids) {
            statement s = use(get_user_, select_user_by_id);
            sqlite3_bind_int64(s, 1, id);
            if (s.step()) {
                User u = read_user(s);
                found.rows += 1;
                found.checksum += weight(u);
            }
        }
        commit();
        return found;
    }

    summary load_all() {
        begin();
        std::vector<User> users = all_users();
        commit();
        return summarise(users);
    }

    summary trivial_query(const std::string& hair_color) {
        begin();
        std::vector<User> users;
        statement s = use(users_by_hair_, select_users_by_hair);
        bind_text(s, 1, hair_color);
        while (s.step()) users.push_back(read_user(s));
        s.release();
        commit();
        return summarise(users);
    }

    summary medium_complex_query(const std::string& hair_color) {
        begin();
        std::vector<std::pair<User, std::optional<Post>>> rows;
        statement s = use(users_with_posts_, select_users_with_posts);
        bind_text(s, 1, hair_color);
        while (s.step()) {
            std::optional<Post> post;
            if (sqlite3_column_type(s, 3) != SQLITE_NULL) post = read_post(s, 3);
            rows.emplace_back(read_user(s), std::move(post));
        }
        s.release();
        commit();
        return summarise(rows);
    }

    summary loading_associations_sequentially() {
        begin();
        std::vector<User> users = all_users();
        std::vector<Post> posts =
            rows_in<Post>(posts_by_user_, "SELECT id, user_id, title, body FROM posts WHERE user_id IN ", ids_of(users),
                          [](sqlite3_stmt* s) { return read_post(s); });
        std::vector<Comment> comments =
            rows_in<Comment>(comments_by_post_, "SELECT id, post_id, text FROM comments WHERE post_id IN ",
                             ids_of(posts), read_comment);
        commit();
        return summarise(group_associations(std::move(users), std::move(posts), std::move(comments)));
    }

    void prepare_writes() {}

    void update_names(std::span<const std::int64_t> ids, std::span<const std::string> names) {
        begin();
        for (std::size_t i = 0; i < ids.size(); ++i) {
            statement s = use(update_name_, update_user_name);
            bind_text(s, 1, names[i]);
            sqlite3_bind_int64(s, 2, ids[i]);
            s.run();
        }
        commit();
    }

    void delete_users(std::span<const std::int64_t> ids) {
        begin();
        for (std::int64_t id : ids) {
            statement s = use(delete_user_, delete_user);
            sqlite3_bind_int64(s, 1, id);
            s.run();
        }
        commit();
    }

    void load_and_update(std::span<const std::string> names, const std::string& hair_color) {
        begin();
        std::vector<User> users = all_users();
        for (User& u : users) {
            u.name = names[static_cast<std::size_t>(u.id - 1)];
            u.hair_color = hair_color;
            statement s = use(update_name_and_hair_, update_user_name_and_hair);
            bind_text(s, 1, u.name);
            bind_text(s, 2, u.hair_color);
            sqlite3_bind_int64(s, 3, u.id);
            s.run();
        }
        commit();
    }

private:
    // Transactions through statements too: (a) prepares BEGIN and COMMIT once.
    void begin() { use(begin_, "BEGIN").run(); }
    void commit() { use(commit_, "COMMIT").run(); }

    // One use of a statement: reset at the end of the scope (a), or finalized (b).
    class statement {
    public:
        statement(sqlite3* db, sqlite3_stmt* s) : db_(db), s_(s) {}
        statement(const statement&) = delete;
        statement& operator=(const statement&) = delete;
        ~statement() { release(); }
        operator sqlite3_stmt*() const { return s_; }

        bool step() {
            int rc = sqlite3_step(s_);
            if (rc == SQLITE_ROW) return true;
            if (rc != SQLITE_DONE) throw_error(db_, sqlite3_sql(s_));
            return false;
        }
        void run() {
            if (step()) throw std::runtime_error("a write returned rows");
        }
        void release() {
            if (!s_) return;
            if constexpr (PrepareOnce) sqlite3_reset(s_);
            else sqlite3_finalize(s_);
            s_ = nullptr;
        }

    private:
        sqlite3* db_;
        sqlite3_stmt* s_;
    };

    // The statement for `sql` (a string, or a function making it): (a) keeps it in `slot`,
    // prepared on first use; (b) prepares a new one.
    template <class Text>
    statement use(sqlite3_stmt*& slot, const Text& sql) {
        if constexpr (PrepareOnce) {
            if (!slot) prepared_.push_back(slot = prepare(sql));
            return statement(db_, slot);
        } else {
            return statement(db_, prepare(sql));
        }
    }
    template <class Text>
    sqlite3_stmt* prepare(const Text& sql) {
        std::string text;
        if constexpr (std::is_invocable_v<Text>) text = sql();
        else text = sql;
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size()),
                               PrepareOnce ? SQLITE_PREPARE_PERSISTENT : 0, &s, nullptr) != SQLITE_OK)
            throw_error(db_, text);
        return s;
    }

    std::vector<User> all_users() {
        std::vector<User> users;
        statement s = use(all_users_, select_users);
        while (s.step()) users.push_back(read_user(s));
        return users;
    }

    // SELECT ... WHERE column IN (?, ...) with one placeholder per key.
    template <class Row, class Read>
    std::vector<Row> rows_in(std::map<std::size_t, sqlite3_stmt*>& slots, const char* select,
                             const std::vector<std::int64_t>& keys, Read read) {
        std::vector<Row> rows;
        statement s = use(slots[keys.size()], [&] { return select + placeholders(1, keys.size()); });
        for (std::size_t i = 0; i < keys.size(); ++i) sqlite3_bind_int64(s, static_cast<int>(i + 1), keys[i]);
        while (s.step()) rows.push_back(read(s));
        return rows;
    }

    sqlite3* db_ = nullptr;
    std::vector<sqlite3_stmt*> prepared_;  // (a): every statement, finalized at the end
    std::map<std::size_t, sqlite3_stmt*> insert_users_;  // by batch size
    sqlite3_stmt* begin_ = nullptr;
    sqlite3_stmt* commit_ = nullptr;
    sqlite3_stmt* get_user_ = nullptr;
    sqlite3_stmt* all_users_ = nullptr;
    sqlite3_stmt* users_by_hair_ = nullptr;
    sqlite3_stmt* users_with_posts_ = nullptr;
    std::map<std::size_t, sqlite3_stmt*> posts_by_user_;  // by key count
    std::map<std::size_t, sqlite3_stmt*> comments_by_post_;
    sqlite3_stmt* update_name_ = nullptr;
    sqlite3_stmt* delete_user_ = nullptr;
    sqlite3_stmt* update_name_and_hair_ = nullptr;
};

}  // namespace

implementation sqlite3_prepared_once() { return describe<sqlite3_impl<true>>("a_sqlite3_prepared"); }
benchmark_fn sqlite3_row_loop_commits() {
    return [](benchmark::State& state, storage kind, std::int64_t size) {
        workloads<sqlite3_impl<true>>::insert_commits(state, kind, size, [](auto& impl, auto users, std::size_t n) {
            impl.insert_row_loop_commits(users, n);
        });
    };
}
implementation sqlite3_prepared_per_call() { return describe<sqlite3_impl<false>>("b_sqlite3_unprepared"); }

}  // namespace bench

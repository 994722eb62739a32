// (c): SQLiteCpp, written as its documentation shows (bind() copies text, getColumn() reads),
// with each SQLite::Statement prepared once and reset between uses.
#include <map>

#include <SQLiteCpp/SQLiteCpp.h>

#include "harness.hpp"

namespace bench {
namespace {

void bind_text(SQLite::Statement& s, int index, const std::optional<std::string>& v) {
    if (v) s.bind(index, *v);
    else s.bind(index);  // NULL
}
std::optional<std::string> optional_text(const SQLite::Column& c) {
    if (c.isNull()) return std::nullopt;
    return c.getString();
}
User read_user(SQLite::Statement& s, int first = 0) {
    return User{s.getColumn(first).getInt64(), s.getColumn(first + 1).getString(), optional_text(s.getColumn(first + 2))};
}
Post read_post(SQLite::Statement& s, int first = 0) {
    return Post{s.getColumn(first).getInt64(), s.getColumn(first + 1).getInt64(), s.getColumn(first + 2).getString(),
                optional_text(s.getColumn(first + 3))};
}
Comment read_comment(SQLite::Statement& s) {
    return Comment{s.getColumn(0).getInt64(), s.getColumn(1).getInt64(), s.getColumn(2).getString()};
}

class sqlitecpp_impl {
public:
    explicit sqlitecpp_impl(const target& where)
        : db_(where.sqlite_filename(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX) {
        for (const std::string& pragma : configuration_pragmas(where.kind)) db_.exec(pragma);
    }

    template <class F>
    void raw(F fn) {
        fn(db_.getHandle());
    }

    void insert_one_by_one(std::span<const User> users) { insert_batches(users, 1); }

    void insert_batches(std::span<const User> users, std::size_t size) {
        SQLite::Transaction transaction(db_);
        SQLite::Statement& insert =
            statement(insert_users_[size], "INSERT INTO users (name, hair_color) VALUES " + placeholders(size, 2));
        for (std::size_t first = 0; first < users.size(); first += size) {
            int index = 1;
            for (const User& u : users.subspan(first, size)) {
                insert.bind(index++, u.name);
                bind_text(insert, index++, u.hair_color);
            }
            insert.exec();
            insert.reset();
        }
        transaction.commit();
    }

    void insert_batch_commits(std::span<const User> users, std::size_t size) {
        for (std::size_t first = 0; first < users.size(); first += size) insert_batches(users.subspan(first, size), size);
    }

    summary get_by_pk(std::span<const std::int64_t> ids) {
        SQLite::Transaction transaction(db_);
        SQLite::Statement& get = statement(get_user_, "SELECT id, name, hair_color FROM users WHERE id = ?");
        summary found;
        for (std::int64_t id : ids) {
            get.bind(1, id);
            if (get.executeStep()) {
                User u = read_user(get);
                found.rows += 1;
                found.checksum += weight(u);
            }
            get.reset();
        }
        transaction.commit();
        return found;
    }

    summary load_all() {
        SQLite::Transaction transaction(db_);
        std::vector<User> users = all_users();
        transaction.commit();
        return summarise(users);
    }

    summary trivial_query(const std::string& hair_color) {
        SQLite::Transaction transaction(db_);
        SQLite::Statement& query =
            statement(users_by_hair_, "SELECT id, name, hair_color FROM users WHERE hair_color = ?");
        std::vector<User> users;
        query.bind(1, hair_color);
        while (query.executeStep()) users.push_back(read_user(query));
        query.reset();
        transaction.commit();
        return summarise(users);
    }

    summary medium_complex_query(const std::string& hair_color) {
        SQLite::Transaction transaction(db_);
        SQLite::Statement& query = statement(users_with_posts_,
                                             "SELECT u.id, u.name, u.hair_color, p.id, p.user_id, p.title, p.body "
                                             "FROM users u LEFT JOIN posts p ON p.user_id = u.id WHERE u.hair_color = ?");
        std::vector<std::pair<User, std::optional<Post>>> rows;
        query.bind(1, hair_color);
        while (query.executeStep()) {
            std::optional<Post> post;
            if (!query.isColumnNull(3)) post = read_post(query, 3);
            rows.emplace_back(read_user(query), std::move(post));
        }
        query.reset();
        transaction.commit();
        return summarise(rows);
    }

    summary loading_associations_sequentially() {
        SQLite::Transaction transaction(db_);
        std::vector<User> users = all_users();
        std::vector<Post> posts =
            rows_in<Post>(posts_by_user_, "SELECT id, user_id, title, body FROM posts WHERE user_id IN ", ids_of(users),
                          [](SQLite::Statement& s) { return read_post(s); });
        std::vector<Comment> comments = rows_in<Comment>(
            comments_by_post_, "SELECT id, post_id, text FROM comments WHERE post_id IN ", ids_of(posts), read_comment);
        transaction.commit();
        return summarise(group_associations(std::move(users), std::move(posts), std::move(comments)));
    }

    void prepare_writes() {}

    void update_names(std::span<const std::int64_t> ids, std::span<const std::string> names) {
        SQLite::Transaction transaction(db_);
        SQLite::Statement& update = statement(update_name_, "UPDATE users SET name = ? WHERE id = ?");
        for (std::size_t i = 0; i < ids.size(); ++i) {
            update.bind(1, names[i]);
            update.bind(2, ids[i]);
            update.exec();
            update.reset();
        }
        transaction.commit();
    }

    void delete_users(std::span<const std::int64_t> ids) {
        SQLite::Transaction transaction(db_);
        SQLite::Statement& remove = statement(delete_user_, "DELETE FROM users WHERE id = ?");
        for (std::int64_t id : ids) {
            remove.bind(1, id);
            remove.exec();
            remove.reset();
        }
        transaction.commit();
    }

    void load_and_update(std::span<const std::string> names, const std::string& hair_color) {
        SQLite::Transaction transaction(db_);
        std::vector<User> users = all_users();
        SQLite::Statement& update =
            statement(update_name_and_hair_, "UPDATE users SET name = ?, hair_color = ? WHERE id = ?");
        for (User& u : users) {
            u.name = names[static_cast<std::size_t>(u.id - 1)];
            u.hair_color = hair_color;
            update.bind(1, u.name);
            bind_text(update, 2, u.hair_color);
            update.bind(3, u.id);
            update.exec();
            update.reset();
        }
        transaction.commit();
    }

private:
    SQLite::Statement& statement(std::optional<SQLite::Statement>& slot, const std::string& sql) {
        if (!slot) slot.emplace(db_, sql);
        return *slot;
    }

    std::vector<User> all_users() {
        SQLite::Statement& query = statement(all_users_, "SELECT id, name, hair_color FROM users");
        std::vector<User> users;
        while (query.executeStep()) users.push_back(read_user(query));
        query.reset();
        return users;
    }

    template <class Row, class Read>
    std::vector<Row> rows_in(std::map<std::size_t, std::optional<SQLite::Statement>>& slots, const char* select,
                             const std::vector<std::int64_t>& keys, Read read) {
        auto& slot = slots[keys.size()];
        if (!slot) slot.emplace(db_, select + placeholders(1, keys.size()));
        SQLite::Statement& query = *slot;
        for (std::size_t i = 0; i < keys.size(); ++i) query.bind(static_cast<int>(i + 1), keys[i]);
        std::vector<Row> rows;
        while (query.executeStep()) rows.push_back(read(query));
        query.reset();
        return rows;
    }

    SQLite::Database db_;
    std::map<std::size_t, std::optional<SQLite::Statement>> insert_users_;
    std::optional<SQLite::Statement> get_user_, all_users_, users_by_hair_, users_with_posts_, update_name_, delete_user_,
        update_name_and_hair_;
    std::map<std::size_t, std::optional<SQLite::Statement>> posts_by_user_, comments_by_post_;
};

}  // namespace

implementation sqlitecpp() { return describe<sqlitecpp_impl>("c_sqlitecpp"); }

}  // namespace bench

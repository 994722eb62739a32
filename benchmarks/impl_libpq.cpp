// (a) on PostgreSQL: hand-written libpq, the floor of the PostgreSQL table. Every statement
// (BEGIN and COMMIT too) is prepared once (PQprepare) and run with PQexecPrepared, one round
// trip each; parameters and results in text format, as most hand-written libpq code does.
#include <map>
#include <memory>
#include <stdexcept>

#include "harness.hpp"

namespace bench {
namespace {

struct result_clear {
    void operator()(PGresult* r) const noexcept { PQclear(r); }
};
using result = std::unique_ptr<PGresult, result_clear>;

// "($1, $2), ($3, $4)": `rows` groups of `columns` numbered placeholders.
std::string numbered_placeholders(std::size_t rows, std::size_t columns) {
    std::string out;
    for (std::size_t r = 0, n = 1; r < rows; ++r) {
        out += r ? ", (" : "(";
        for (std::size_t c = 0; c < columns; ++c, ++n) out += (c ? ", $" : "$") + std::to_string(n);
        out += ")";
    }
    return out;
}

const char* text_or_null(const std::optional<std::string>& v) { return v ? v->c_str() : nullptr; }

std::string read_text(const PGresult* r, int row, int column) {
    return std::string(PQgetvalue(r, row, column), static_cast<std::size_t>(PQgetlength(r, row, column)));
}
std::optional<std::string> read_optional_text(const PGresult* r, int row, int column) {
    if (PQgetisnull(r, row, column)) return std::nullopt;
    return read_text(r, row, column);
}
std::int64_t read_int(const PGresult* r, int row, int column) { return std::stoll(PQgetvalue(r, row, column)); }

User read_user(const PGresult* r, int row, int first = 0) {
    return User{read_int(r, row, first), read_text(r, row, first + 1), read_optional_text(r, row, first + 2)};
}
Post read_post(const PGresult* r, int row, int first = 0) {
    return Post{read_int(r, row, first), read_int(r, row, first + 1), read_text(r, row, first + 2),
                read_optional_text(r, row, first + 3)};
}
Comment read_comment(const PGresult* r, int row) {
    return Comment{read_int(r, row, 0), read_int(r, row, 1), read_text(r, row, 2)};
}

constexpr const char* select_users = "SELECT id, name, hair_color FROM users";
constexpr const char* select_user_by_id = "SELECT id, name, hair_color FROM users WHERE id = $1";
constexpr const char* select_users_by_hair = "SELECT id, name, hair_color FROM users WHERE hair_color = $1";
constexpr const char* select_users_with_posts =
    "SELECT u.id, u.name, u.hair_color, p.id, p.user_id, p.title, p.body "
    "FROM users u LEFT JOIN posts p ON p.user_id = u.id WHERE u.hair_color = $1";
constexpr const char* update_user_name = "UPDATE users SET name = $1 WHERE id = $2";
constexpr const char* delete_user = "DELETE FROM users WHERE id = $1";
constexpr const char* update_user_name_and_hair = "UPDATE users SET name = $1, hair_color = $2 WHERE id = $3";

class libpq_impl {
public:
    explicit libpq_impl(const target& where) : db_(connect_postgres(where.postgres_url)) {}
    ~libpq_impl() { PQfinish(db_); }
    libpq_impl(const libpq_impl&) = delete;
    libpq_impl& operator=(const libpq_impl&) = delete;

    template <class F>
    void raw(F fn) {
        fn(db_);
    }

    void insert_one_by_one(std::span<const User> users) { insert_batches(users, 1); }

    void insert_batches(std::span<const User> users, std::size_t size) {
        begin();
        const std::string& name = prepared(insert_users_[size], [&] {
            return "INSERT INTO users (name, hair_color) VALUES " + numbered_placeholders(size, 2);
        });
        std::vector<const char*> values(2 * size);
        for (std::size_t first = 0; first < users.size(); first += size) {
            std::size_t i = 0;
            for (const User& u : users.subspan(first, size)) {
                values[i++] = u.name.c_str();
                values[i++] = text_or_null(u.hair_color);
            }
            run(name, values, PGRES_COMMAND_OK);
        }
        commit();
    }

    void insert_batch_commits(std::span<const User> users, std::size_t size) {
        for (std::size_t first = 0; first < users.size(); first += size) insert_batches(users.subspan(first, size), size);
    }

    summary get_by_pk(std::span<const std::int64_t> ids) {
        begin();
        summary found;
        const std::string& name = prepared(get_user_, select_user_by_id);
        for (std::int64_t id : ids) {
            std::string key = std::to_string(id);
            result r = run(name, {key.c_str()});
            if (PQntuples(r.get()) == 1) {
                User u = read_user(r.get(), 0);
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
        result r = run(prepared(users_by_hair_, select_users_by_hair), {hair_color.c_str()});
        std::vector<User> users;
        for (int row = 0; row < PQntuples(r.get()); ++row) users.push_back(read_user(r.get(), row));
        commit();
        return summarise(users);
    }

    summary medium_complex_query(const std::string& hair_color) {
        begin();
        result r = run(prepared(users_with_posts_, select_users_with_posts), {hair_color.c_str()});
        std::vector<std::pair<User, std::optional<Post>>> rows;
        for (int row = 0; row < PQntuples(r.get()); ++row) {
            std::optional<Post> post;
            if (!PQgetisnull(r.get(), row, 3)) post = read_post(r.get(), row, 3);
            rows.emplace_back(read_user(r.get(), row), std::move(post));
        }
        commit();
        return summarise(rows);
    }

    summary loading_associations_sequentially() {
        begin();
        std::vector<User> users = all_users();
        std::vector<Post> posts = rows_in<Post>(posts_by_user_, "SELECT id, user_id, title, body FROM posts WHERE user_id IN ",
                                                ids_of(users), [](const PGresult* r, int row) { return read_post(r, row); });
        std::vector<Comment> comments = rows_in<Comment>(
            comments_by_post_, "SELECT id, post_id, text FROM comments WHERE post_id IN ", ids_of(posts), read_comment);
        commit();
        return summarise(group_associations(std::move(users), std::move(posts), std::move(comments)));
    }

    void prepare_writes() {}

    void update_names(std::span<const std::int64_t> ids, std::span<const std::string> names) {
        begin();
        const std::string& name = prepared(update_name_, update_user_name);
        for (std::size_t i = 0; i < ids.size(); ++i) {
            std::string key = std::to_string(ids[i]);
            run(name, {names[i].c_str(), key.c_str()}, PGRES_COMMAND_OK);
        }
        commit();
    }

    void delete_users(std::span<const std::int64_t> ids) {
        begin();
        const std::string& name = prepared(delete_user_, delete_user);
        for (std::int64_t id : ids) {
            std::string key = std::to_string(id);
            run(name, {key.c_str()}, PGRES_COMMAND_OK);
        }
        commit();
    }

    void load_and_update(std::span<const std::string> names, const std::string& hair_color) {
        begin();
        std::vector<User> users = all_users();
        const std::string& name = prepared(update_name_and_hair_, update_user_name_and_hair);
        for (User& u : users) {
            u.name = names[static_cast<std::size_t>(u.id - 1)];
            u.hair_color = hair_color;
            std::string key = std::to_string(u.id);
            run(name, {u.name.c_str(), text_or_null(u.hair_color), key.c_str()}, PGRES_COMMAND_OK);
        }
        commit();
    }

private:
    void begin() { run(prepared(begin_, "BEGIN"), {}, PGRES_COMMAND_OK); }
    void commit() { run(prepared(commit_, "COMMIT"), {}, PGRES_COMMAND_OK); }

    // The name of the prepared statement for `sql` (a string, or a function making it), kept in
    // `slot` and prepared on first use.
    template <class Text>
    const std::string& prepared(std::string& slot, const Text& sql) {
        if (!slot.empty()) return slot;
        std::string text;
        if constexpr (std::is_invocable_v<Text>) text = sql();
        else text = sql;
        std::string name = "s" + std::to_string(++statements_);
        result r(PQprepare(db_, name.c_str(), text.c_str(), 0, nullptr));
        if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
            throw std::runtime_error(std::string(PQresultErrorMessage(r.get())) + " [SQL: " + text + "]");
        return slot = name;
    }

    result run(const std::string& name, std::span<const char* const> values, ExecStatusType expected = PGRES_TUPLES_OK) {
        result r(PQexecPrepared(db_, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0));
        if (PQresultStatus(r.get()) != expected) throw std::runtime_error(PQresultErrorMessage(r.get()));
        return r;
    }
    result run(const std::string& name, std::initializer_list<const char*> values,
               ExecStatusType expected = PGRES_TUPLES_OK) {
        return run(name, std::span<const char* const>(values.begin(), values.size()), expected);
    }

    std::vector<User> all_users() {
        result r = run(prepared(all_users_, select_users), {});
        std::vector<User> users;
        for (int row = 0; row < PQntuples(r.get()); ++row) users.push_back(read_user(r.get(), row));
        return users;
    }

    // SELECT ... WHERE column IN ($1, ...) with one placeholder per key.
    template <class Row, class Read>
    std::vector<Row> rows_in(std::map<std::size_t, std::string>& slots, const char* select,
                             const std::vector<std::int64_t>& keys, Read read) {
        const std::string& name = prepared(slots[keys.size()], [&] { return select + numbered_placeholders(1, keys.size()); });
        std::vector<std::string> texts;
        texts.reserve(keys.size());
        std::vector<const char*> values;
        for (std::int64_t key : keys) values.push_back(texts.emplace_back(std::to_string(key)).c_str());
        result r = run(name, values);
        std::vector<Row> rows;
        for (int row = 0; row < PQntuples(r.get()); ++row) rows.push_back(read(r.get(), row));
        return rows;
    }

    PGconn* db_;
    std::uint64_t statements_ = 0;
    std::map<std::size_t, std::string> insert_users_;  // by batch size
    std::string begin_, commit_, get_user_, all_users_, users_by_hair_, users_with_posts_, update_name_, delete_user_,
        update_name_and_hair_;
    std::map<std::size_t, std::string> posts_by_user_;  // by key count
    std::map<std::size_t, std::string> comments_by_post_;
};

}  // namespace

implementation libpq_prepared_once() { return describe<libpq_impl>("a_libpq_prepared"); }

}  // namespace bench

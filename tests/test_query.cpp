// The query language against real data in a SQLite file: operators, IN / BETWEEN / LIKE,
// arithmetic, projections and aggregates, joins, bulk statements, untracked values and raw SQL.
// Expected results are worked out from the data inserted below through sqlite3 directly.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <structql/structql.hpp>

#include "support.hpp"

namespace query_test {
namespace sq = structql;

// Diesel's benchmark schema.
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

struct fixture {
    structql_test::temp_dir dir;
    sq::engine engine = sq::create_engine(dir.url("q.db"), {.pool_size = 1});
    structql_test::sqlite_file file = (sq::metadata<User, Post, Comment>::create_all(engine), structql_test::sqlite_file(dir.path() / "q.db"));
    fixture() {
        file.exec(
            "INSERT INTO users (id, name, hair_color) VALUES (1, 'Sean', 'black'), (2, 'Tess', 'brown'), "
            "(3, 'Ann', NULL), (4, 'Bob', 'black'), (5, 'O''Hara', 'red');"
            "INSERT INTO posts (id, user_id, title, body) VALUES (1, 1, 'Hi', 'first'), (2, 1, 'Again', NULL), "
            "(3, 2, 'Tess here', 'x'), (4, 5, 'Irish', 'y');"
            "INSERT INTO comments (id, post_id, text) VALUES (1, 1, 'c1'), (2, 1, 'c2'), (3, 3, 'c3');");
    }
};

template <class Rows>
std::vector<std::string> names(const Rows& users) {
    std::vector<std::string> out;
    for (const auto& u : users) {
        if constexpr (std::is_pointer_v<std::remove_cvref_t<decltype(u)>>) out.push_back(u->name);
        else out.push_back(u.name);
    }
    return out;
}

using strings = std::vector<std::string>;

}  // namespace query_test

using namespace query_test;

TEST_CASE("comparison, logical and NULL operators", "[query]") {
    fixture f;
    sq::session db(f.engine);
    auto by_name = [&](auto condition) {
        return names(db.query<User>().filter(condition).order_by(sq::col<&User::name>).all());
    };
    CHECK(by_name(sq::col<&User::hair_color> == "black") == strings{"Bob", "Sean"});
    CHECK(by_name(sq::col<&User::hair_color> != "black") == strings{"O'Hara", "Tess"});  // NULL is neither
    CHECK(by_name(sq::col<&User::hair_color> == std::nullopt) == strings{"Ann"});
    CHECK(by_name(sq::col<&User::hair_color> != std::nullopt) == strings{"Bob", "O'Hara", "Sean", "Tess"});
    CHECK(by_name(sq::col<&User::id> < 3) == strings{"Sean", "Tess"});
    CHECK(by_name(sq::col<&User::id> <= 3 && sq::col<&User::id> > 1) == strings{"Ann", "Tess"});
    CHECK(by_name(sq::col<&User::id> >= 5 || sq::col<&User::id> == 1) == strings{"O'Hara", "Sean"});
    CHECK(by_name(!(sq::col<&User::id> >= 2)) == strings{"Sean"});
    CHECK(by_name(sq::col<&User::name> == "O'Hara") == strings{"O'Hara"});
    CHECK(by_name(sq::col<&User::name> == "' OR 1=1 --").empty());
    CHECK(by_name(sq::col<&User::name>.like("%a%")) == strings{"Ann", "O'Hara", "Sean"});  // case-insensitive
    CHECK(by_name(sq::col<&User::id>.between(2, 4)) == strings{"Ann", "Bob", "Tess"});
    CHECK(by_name(sq::col<&User::id> * 2 > 7) == strings{"Bob", "O'Hara"});
    CHECK(by_name(sq::col<&User::id> + 10 == 13) == strings{"Ann"});
    CHECK(by_name(10 - sq::col<&User::id> == 8) == strings{"Tess"});
    CHECK(by_name(sq::col<&User::id> == sq::col<&User::id>) == strings{"Ann", "Bob", "O'Hara", "Sean", "Tess"});
}

TEST_CASE("IN over a list (text cached per length) and over a subquery", "[query]") {
    fixture f;
    sq::session db(f.engine);
    auto q = [&](std::vector<std::int64_t> ids) {
        return names(db.query<User>().filter(sq::col<&User::id>.in(ids)).order_by(sq::col<&User::id>).all());
    };
    CHECK(q({2, 4}) == strings{"Tess", "Bob"});
    auto prepared = f.engine.statistics().statements_prepared.load();
    CHECK(q({1, 5}) == strings{"Sean", "O'Hara"});
    CHECK(f.engine.statistics().statements_prepared.load() == prepared);  // same length, same statement
    CHECK(q({1, 2, 3}) == strings{"Sean", "Tess", "Ann"});
    CHECK(q({}).empty());
    CHECK(names(db.query<User>().filter(!sq::col<&User::id>.in(std::vector<std::int64_t>{})).all()).size() == 5);
    CHECK(names(db.query<User>().filter(sq::col<&User::name>.in({"Ann", "Bob", "Nobody"})).order_by(sq::col<&User::name>).all()) ==
          strings{"Ann", "Bob"});

    // Users who wrote a post with a body.
    auto writers = db.query<Post>().filter(sq::col<&Post::body> != std::nullopt).select(sq::col<&Post::user_id>);
    auto with_body = db.query<User>().filter(sq::col<&User::id>.in(writers)).order_by(sq::col<&User::name>);
    static_assert(decltype(with_body)::sql ==
                  R"(SELECT "users"."id", "users"."name", "users"."hair_color" FROM "users" WHERE ("users"."id" IN )"
                  R"((SELECT "posts"."user_id" FROM "posts" WHERE ("posts"."body" IS NOT NULL))) ORDER BY "users"."name")");
    CHECK(names(with_body.all()) == strings{"O'Hara", "Sean", "Tess"});
}

TEST_CASE("ordering, paging, count and exists", "[query]") {
    fixture f;
    sq::session db(f.engine);
    auto q = db.query<User>().order_by(sq::desc(sq::col<&User::hair_color>), sq::col<&User::name>);
    CHECK(names(q.all()) == strings{"O'Hara", "Tess", "Bob", "Sean", "Ann"});  // NULL sorts first ascending, last descending
    CHECK(names(q.limit(2).offset(2).all()) == strings{"Bob", "Sean"});
    CHECK(q.limit(2).count() == 2);
    CHECK(q.count() == 5);
    CHECK(db.query<User>().filter(sq::col<&User::name> == "Bob").exists());
    CHECK_FALSE(db.query<User>().filter(sq::col<&User::name> == "Nobody").exists());
}

TEST_CASE("projections, aggregates, group_by, having, distinct", "[query]") {
    fixture f;
    sq::session db(f.engine);
    auto pairs = db.query<User>().select(sq::col<&User::name>, sq::col<&User::hair_color>).order_by(sq::col<&User::id>).all();
    static_assert(std::is_same_v<decltype(pairs), std::vector<std::tuple<std::string, std::optional<std::string>>>>);
    REQUIRE(pairs.size() == 5);
    CHECK(pairs[0] == std::tuple<std::string, std::optional<std::string>>{"Sean", "black"});
    CHECK(pairs[2] == std::tuple<std::string, std::optional<std::string>>{"Ann", std::nullopt});

    auto per_color = db.query<User>()
                         .select(sq::col<&User::hair_color>, sq::count())
                         .group_by(sq::col<&User::hair_color>)
                         .having(sq::count() >= 1)
                         .order_by(sq::desc(sq::count()), sq::col<&User::hair_color>)
                         .all();
    using row = std::tuple<std::optional<std::string>, std::int64_t>;
    CHECK(per_color == std::vector<row>{{"black", 2}, {std::nullopt, 1}, {"brown", 1}, {"red", 1}});

    auto stats = db.query<User>().select(sq::count(), sq::sum(sq::col<&User::id>), sq::avg(sq::col<&User::id>),
                                         sq::min(sq::col<&User::name>), sq::max(sq::col<&User::id>)).one();
    CHECK(std::get<0>(stats) == 5);
    CHECK(std::get<1>(stats) == 15);
    CHECK(std::get<2>(stats) == Approx(3.0));
    CHECK(std::get<3>(stats) == "Ann");
    CHECK(std::get<4>(stats) == 5);
    auto none = db.query<User>().filter(sq::col<&User::id> > 100).select(sq::sum(sq::col<&User::id>)).one();
    CHECK_FALSE(std::get<0>(none).has_value());  // SUM over no rows is NULL

    CHECK(db.query<User>().select(sq::col<&User::hair_color>).distinct().count() == 4);
    auto colors = db.query<User>().select(sq::col<&User::hair_color>).distinct().filter(sq::col<&User::hair_color> != std::nullopt).all();
    CHECK(colors.size() == 3);
    CHECK(db.query<Post>().select(sq::col<&Post::id> * 10).order_by(sq::col<&Post::id>).first() ==
          std::optional<std::tuple<std::int64_t>>(std::tuple<std::int64_t>{10}));
}

TEST_CASE("joins on the foreign key or an explicit condition; outer joins keep unmatched rows", "[query][join]") {
    fixture f;
    sq::session db(f.engine);

    // Diesel's medium_complex_query: users LEFT JOIN posts WHERE hair_color = 'black'.
    auto medium = db.query<User>().outerjoin<Post>().filter(sq::col<&User::hair_color> == "black").order_by(sq::col<&User::id>, sq::col<&Post::id>);
    static_assert(decltype(medium)::sql ==
                  R"(SELECT "users"."id", "users"."name", "users"."hair_color", "posts"."id", "posts"."user_id", )"
                  R"("posts"."title", "posts"."body" FROM "users" LEFT OUTER JOIN "posts" ON ("posts"."user_id" = )"
                  R"("users"."id") WHERE ("users"."hair_color" = ?) ORDER BY "users"."id", "posts"."id")");
    auto rows = medium.all();
    REQUIRE(rows.size() == 3);  // Sean x 2 posts, Bob with none
    CHECK(std::get<0>(rows[0])->name == "Sean");
    CHECK(std::get<1>(rows[0])->title == "Hi");
    CHECK(std::get<0>(rows[1]) == std::get<0>(rows[0]));  // one row, one object
    CHECK(std::get<1>(rows[1])->title == "Again");
    CHECK(std::get<0>(rows[2])->name == "Bob");
    CHECK(std::get<1>(rows[2]) == nullptr);
    CHECK(db.get<User>(1) == std::get<0>(rows[0]));

    auto values = medium.values();
    REQUIRE(values.size() == 3);
    CHECK_FALSE(std::get<1>(values[2]).has_value());
    CHECK(std::get<1>(values[0])->title == "Hi");

    auto inner = db.query<Post>().join<User>().filter(sq::col<&User::name> == "Tess").all();
    REQUIRE(inner.size() == 1);
    CHECK(std::get<0>(inner[0])->title == "Tess here");

    auto three = db.query<User>().join<Post>().join<Comment>().select(sq::col<&User::name>, sq::col<&Comment::text>).order_by(sq::col<&Comment::id>).all();
    CHECK(three == std::vector<std::tuple<std::string, std::string>>{{"Sean", "c1"}, {"Sean", "c2"}, {"Tess", "c3"}});

    auto explicit_on = db.query<User>().join<Post>(sq::col<&Post::user_id> == sq::col<&User::id> && sq::col<&Post::title> == "Irish").all();
    REQUIRE(explicit_on.size() == 1);
    CHECK(std::get<0>(explicit_on[0])->name == "O'Hara");
    CHECK(db.query<User>().outerjoin<Post>().count() == 6);  // 4 posts + Ann and Bob without
}

TEST_CASE("bulk update and delete keep the identity map consistent", "[query][bulk]") {
    fixture f;
    sq::session db(f.engine);
    User* sean = db.get<User>(1);
    User* tess = db.get<User>(2);
    std::size_t changed = db.query<User>().filter(sq::col<&User::hair_color> == "black").update(sq::set<&User::hair_color>("grey"));
    CHECK(changed == 2);
    CHECK(sean->hair_color == "grey");  // reloaded
    CHECK(tess->hair_color == "brown");
    CHECK(db.query<User>().filter(sq::col<&User::id> * 2 == 4).update(sq::set<&User::name>("Tess!")) == 1);
    CHECK(tess->name == "Tess!");

    std::size_t deleted = db.query<Comment>().remove();
    CHECK(deleted == 3);
    CHECK(db.query<Post>().filter(sq::col<&Post::title>.in({"Hi", "Again"})).remove() == 2);
    db.rollback();
    CHECK(sean->id == 1);
    CHECK(sean->hair_color == "black");
    CHECK(f.file.count("SELECT count(*) FROM posts") == 4);
    CHECK(f.file.count("SELECT count(*) FROM users WHERE hair_color = 'black'") == 2);

    CHECK(db.query<User>().filter(sq::col<&User::id> == 3).remove() == 1);
    db.commit();
    CHECK(f.file.count("SELECT count(*) FROM users") == 4);

    // A bulk update of primary keys moves rows away from the keys the session knows them by:
    // their tracked objects are expunged, and the rows load as new objects.
    f.file.exec("DELETE FROM comments; DELETE FROM posts");
    CHECK(db.query<User>().update(sq::set<&User::id>(sq::col<&User::id> + 100)) == 4);
    CHECK(db.get<User>(101) != sean);
    CHECK(db.get<User>(101)->name == "Sean");
    CHECK(db.get<User>(1) == nullptr);
    CHECK_THROWS_AS(db.remove(*sean), sq::invalid_request_error);
    db.commit();
}

TEST_CASE("values() and connection queries return plain values, untracked", "[query][values]") {
    fixture f;
    {
        sq::session db(f.engine);
        auto users = db.query<User>().order_by(sq::col<&User::id>).values();
        static_assert(std::is_same_v<decltype(users), std::vector<User>>);
        REQUIRE(users.size() == 5);
        CHECK(users[4].name == "O'Hara");
        CHECK_FALSE(users[2].hair_color.has_value());
        users[0].name = "changed";
        db.commit();
    }
    CHECK(f.file.query("SELECT name FROM users WHERE id = 1")[0][0] == "Sean");

    auto c = f.engine.connect();
    auto black = c.query<User>().filter(sq::col<&User::hair_color> == "black").order_by(sq::col<&User::id>).all();
    static_assert(std::is_same_v<decltype(black), std::vector<User>>);
    CHECK(names(black) == strings{"Sean", "Bob"});
    std::optional<User> first = c.query<User>().order_by(sq::desc(sq::col<&User::id>)).first();
    REQUIRE(first);
    CHECK(first->name == "O'Hara");
    CHECK(c.query<User>().filter(sq::col<&User::id> == 2).one().name == "Tess");
    CHECK(c.query<Post>().filter(sq::col<&Post::user_id> == 1).remove() == 2);
    CHECK(f.file.count("SELECT count(*) FROM posts") == 2);
}

struct NameAndPosts {
    std::string name;
    std::int64_t posts;
};

TEST_CASE("raw SQL with bound parameters, rows by position", "[query][raw]") {
    fixture f;
    auto c = f.engine.connect();
    auto rows = c.fetch<std::tuple<std::string, std::optional<std::string>>>(
        "SELECT name, hair_color FROM users WHERE id IN (?, ?) ORDER BY id", 2, 3);
    CHECK(rows == std::vector<std::tuple<std::string, std::optional<std::string>>>{{"Tess", "brown"}, {"Ann", std::nullopt}});
    auto counted = c.fetch<NameAndPosts>(
        "SELECT u.name, count(p.id) FROM users u LEFT JOIN posts p ON p.user_id = u.id WHERE u.name <> ? GROUP BY u.id "
        "ORDER BY u.id",
        "' OR 1=1 --");
    REQUIRE(counted.size() == 5);
    CHECK(counted[0].name == "Sean");
    CHECK(counted[0].posts == 2);
    CHECK(c.execute("UPDATE users SET hair_color = ? WHERE hair_color IS ?", "none", std::nullopt) == 1);
    CHECK(f.file.count("SELECT count(*) FROM users WHERE hair_color = 'none'") == 1);
    CHECK_THROWS_AS(c.fetch<std::tuple<std::string>>("SELECT name, id FROM users"), sq::data_error);
    CHECK_THROWS_AS(c.fetch<std::tuple<std::int32_t>>("SELECT name FROM users"), sq::data_error);

    sq::session db(f.engine);
    db.add(User{.id = 10, .name = "New"});
    auto through_session = db.fetch<std::tuple<std::int64_t>>("SELECT count(*) FROM users");  // autoflush first
    CHECK(std::get<0>(through_session[0]) == 6);
}

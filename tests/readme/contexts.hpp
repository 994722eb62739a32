// What the README's code fragments assume (tools/readme_blocks.py puts each in a function of
// one of these namespaces): the models its text uses and the variables it names. Declared, never
// defined: the fragments are compiled, not run (the README's whole programs are run).
#pragma once
#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <structql/structql.hpp>

namespace sq = structql;

struct Money {
    std::int64_t cents;
};

// The seed's models (design.md's contract).
namespace readme_seed {
struct Pessoa {
    sq::primary_key<std::int64_t> id;
    sq::indexed<std::string> nome;
    std::optional<int> idade;
    static constexpr std::string_view table_name = "pessoas";
};
struct Post {
    std::int64_t id;
    sq::foreign_key<&Pessoa::id> author_id;
    sq::unique<std::string> slug;
    std::vector<std::byte> cover;
};
extern sq::engine engine;
extern Pessoa pessoa;
extern std::string body;
}  // namespace readme_seed

// Diesel's benchmark schema, as the README's session and query sections use it.
namespace readme_diesel {
struct User {
    std::int64_t id;
    std::string name;
    std::optional<std::string> hair_color;
    sq::unique<std::string> email;
    static constexpr std::string_view table_name = "users";
};
struct Post {
    std::int64_t id;
    sq::foreign_key<&User::id> user_id;
    std::string title;
    std::int64_t likes;
    static constexpr std::string_view table_name = "posts";
};
struct Comment {
    std::int64_t id;
    sq::foreign_key<&Post::id> post_id;
    std::string text;
    static constexpr std::string_view table_name = "comments";
};
struct Stock {
    sq::primary_key<std::int64_t> shop;
    sq::primary_key<std::int64_t> item;
    std::int64_t quantity;
};
extern sq::engine engine;
extern sq::session db;
extern sq::connection c;
extern sq::sessionmaker_type SessionLocal;
extern std::vector<std::int64_t> ids;
extern std::vector<User> users;
extern std::vector<Stock> stock;
extern std::int64_t id;
inline void use(const auto&...) {}
}  // namespace readme_diesel

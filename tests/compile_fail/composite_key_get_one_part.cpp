// get<T>() with one argument for a two-part (composite) primary key.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Tagging {
    sq::primary_key<std::int64_t> post_id;
    sq::primary_key<std::string> tag;
};

void use(sq::session& db) { db.get<Tagging>(1); }

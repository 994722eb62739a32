// A primary key that may be NULL.
#include <cstdint>
#include <optional>

#include <structql/structql.hpp>

namespace sq = structql;

struct Model {
    sq::primary_key<std::optional<std::int64_t>> key;
    int count;
};

void use(sq::session& db) { db.add(Model{}); }

// Two primary_key<> members.
#include <cstdint>

#include <structql/structql.hpp>

namespace sq = structql;

struct Model {
    sq::primary_key<std::int64_t> first;
    sq::primary_key<std::int64_t> second;
};

void use(sq::session& db) { db.add(Model{}); }

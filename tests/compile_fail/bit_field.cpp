// A bit-field member. As for C arrays, the error comes from Boost.PFR (a reference cannot bind
// to a bit-field), not from a StructQL static_assert.
#include <cstdint>

#include <structql/structql.hpp>

namespace sq = structql;

struct Model {
    std::int64_t id;
    unsigned flags : 3;
};

void use(sq::session& db) { db.add(Model{}); }

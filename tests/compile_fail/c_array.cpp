// A C array member. The design promises a StructQL static_assert naming the problem; the error
// comes from Boost.PFR instead (a structured binding with the wrong number of names), before
// StructQL sees the member. The case checks that the build fails there.
#include <cstdint>

#include <structql/structql.hpp>

namespace sq = structql;

struct Model {
    std::int64_t id;
    int values[3];
};

void use(sq::session& db) { db.add(Model{}); }

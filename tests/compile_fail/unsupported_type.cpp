// A member whose type has no structql::value_traits specialisation. table<T> checks its members
// (a static_assert on members_checked) before it computes `columns` from their value_traits, so
// clang 14 prints StructQL's message first too, where it used to stop at `columns`.
#include <cstdint>

#include <structql/structql.hpp>

namespace sq = structql;

struct Opaque {
    int x;
};
struct Model {
    std::int64_t id;
    Opaque payload;
};

void use(sq::session& db) { db.add(Model{}); }

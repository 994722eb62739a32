// A member whose type has no structql::value_traits specialisation. Known bug (clang 14): the
// StructQL message never appears; table<T> computes `columns` (value_traits<Opaque>::storage_type)
// while it is instantiated, fails there, and the member check that holds the message is not
// reached. g++ prints it among the other errors.
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

// metadata<Child> while Child has a foreign_key to Parent, which is not in the list. Two tests
// build it: one wants the "not in the list" message; the other wants no "form a cycle" message
// beside it (g++ evaluated the cycle check too, which cannot place Child either, and told of a
// cycle that does not exist; the cycle check now holds only when every parent is listed).
#include <cstdint>

#include <structql/structql.hpp>

namespace sq = structql;

struct Parent {
    std::int64_t id;
};
struct Child {
    std::int64_t id;
    sq::foreign_key<&Parent::id> parent_id;
};

void use(sq::engine& e) { sq::metadata<Child>::create_all(e); }

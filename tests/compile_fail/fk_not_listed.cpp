// metadata<Child> while Child has a foreign_key to Parent, which is not in the list. Two tests
// build it: one wants the "not in the list" message; the other (a known bug with g++) wants no
// "form a cycle" message beside it: g++ also evaluates the cycle check, which cannot place
// Child either, and tells the user of a cycle that does not exist.
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

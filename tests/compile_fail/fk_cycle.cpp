// A -> B -> A. Two complete structs cannot name each other's members directly, so A is a
// template whose foreign key is only resolved once B, declaring its own key first, uses A<B>.
#include <cstdint>

#include <structql/structql.hpp>

namespace sq = structql;

template <class Other>
struct A {
    std::int64_t id;
    sq::foreign_key<&Other::id> b_id;
};
struct B {
    std::int64_t id;
    sq::foreign_key<&A<B>::id> a_id;
};

void use(sq::engine& e) { sq::metadata<A<B>, B>::create_all(e); }

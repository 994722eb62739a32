// Control: a well-formed model and every use the failing cases make of theirs. It must compile,
// which proves the harness can pass (a broken include path would fail every case).
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Parent {
    std::int64_t id;
    std::string name;
};
struct Child {
    sq::primary_key<std::int64_t> key;
    sq::foreign_key<&Parent::id> parent_id;
    int count;
};

void use(sq::session& db) {
    db.add(Child{});
    sq::metadata<Child, Parent>::create_all(db.bind());
    (void)db.query<Child>().filter(sq::col<&Child::count> == 3).all();
}

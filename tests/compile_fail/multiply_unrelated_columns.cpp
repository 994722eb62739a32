// Two columns of unrelated types multiplied. One StructQL message, and no other error.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Model {
    std::int64_t id;
    int count;
    std::string name;
};

void use(sq::session& db) { (void)db.query<Model>().filter(sq::col<&Model::name> * sq::col<&Model::count> == std::string("a")).all(); }

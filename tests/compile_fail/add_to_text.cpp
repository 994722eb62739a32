// Arithmetic on a text column. One StructQL message, and no other error.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Model {
    std::int64_t id;
    int count;
    std::string name;
};

void use(sq::session& db) { (void)db.query<Model>().filter(sq::col<&Model::name> + 1 == std::string("a1")).all(); }

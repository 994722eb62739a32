// An integer column compared with a std::string.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Model {
    std::int64_t id;
    int count;
};

void use(sq::session& db) { (void)db.query<Model>().filter(sq::col<&Model::count> == std::string("x")).all(); }

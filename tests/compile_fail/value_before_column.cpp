// A std::string value compared with an integer column, the value first. One StructQL message, and no other error.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Model {
    std::int64_t id;
    int count;
    std::string name;
};

void use(sq::session& db) { (void)db.query<Model>().filter(std::string("x") >= sq::col<&Model::count>).all(); }

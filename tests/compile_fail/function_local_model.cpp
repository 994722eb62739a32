// A model declared inside a function. Known bug: g++ gives StructQL's message; clang 14 stops
// at "fake_object<Model> is used but not defined ... its type does not have linkage" from
// reflect/names.hpp, without it (table.hpp's is_function_local looks for ")::" in a type name
// clang does not print that way).
#include <cstdint>

#include <structql/structql.hpp>

namespace sq = structql;

void use(sq::session& db) {
    struct Model {
        std::int64_t id;
        int count;
    };
    db.add(Model{});
}

// A NOT NULL column compared with std::nullopt: always false, so a mistake.
#include <cstdint>
#include <optional>

#include <structql/structql.hpp>

namespace sq = structql;

struct Model {
    std::int64_t id;
    int count;
};

void use(sq::session& db) { (void)db.query<Model>().filter(sq::col<&Model::count> == std::nullopt).all(); }

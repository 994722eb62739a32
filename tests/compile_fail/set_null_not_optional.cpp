// on_delete::set_null on a foreign key that is NOT NULL (not std::optional).
#include <cstdint>

#include <structql/structql.hpp>

namespace sq = structql;

struct Owner {
    std::int64_t id;
};
struct Pet {
    std::int64_t id;
    sq::foreign_key<&Owner::id, sq::on_delete::set_null> owner_id;
};

void use(sq::session& db) { db.add(Pet{}); }

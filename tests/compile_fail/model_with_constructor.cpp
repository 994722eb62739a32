// A model with a user-declared constructor is not an aggregate: Boost.PFR cannot reflect it.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Invoice {
    Invoice() = default;
    explicit Invoice(std::string n) : name(std::move(n)) {}
    std::int64_t id = 0;
    std::string name;
};

void use(sq::session& db) { db.add(Invoice("x")); }

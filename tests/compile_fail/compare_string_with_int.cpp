// A text column compared with an integer.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Customer {
    std::int64_t id;
    std::string surname;
};

void use(sq::session& db) { (void)db.query<Customer>().filter(sq::col<&Customer::surname> == 5 && sq::col<&Customer::id> > 1).all(); }

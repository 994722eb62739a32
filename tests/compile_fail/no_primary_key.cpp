// No primary_key<> member and no member named `id`.
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Ledger {
    std::string name;
    int count;
};

void use(sq::session& db) { db.add(Ledger{}); }

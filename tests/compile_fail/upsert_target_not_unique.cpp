// ON CONFLICT over a column without a unique index: both databases refuse the statement when it
// runs ("no unique or exclusion constraint matching the ON CONFLICT specification"), so
// StructQL refuses it when it compiles.
#include <cstdint>
#include <string>
#include <vector>

#include <structql/structql.hpp>

namespace sq = structql;

struct Visitor {
    std::int64_t id;
    std::string nickname;
};

void use(sq::connection& c) { c.insert(std::vector<Visitor>{}, sq::on_conflict<&Visitor::nickname>::do_nothing); }

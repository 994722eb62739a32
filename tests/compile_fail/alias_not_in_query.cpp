// A filter on an alias's column when the query does not join the alias: refused when the query
// is built (the database would answer "no such column: manager.name" only at run time).
#include <cstdint>
#include <optional>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Employee {
    std::int64_t id;
    std::string name;
    std::optional<sq::foreign_key<&Employee::id>> manager_id;
};
using manager = sq::alias<Employee, "manager">;

void use(sq::session& db) { db.query<Employee>().filter(manager::col<&Employee::name> == "Ann").all(); }

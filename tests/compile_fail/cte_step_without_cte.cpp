// A recursive CTE whose step does not join the CTE: it could never recur, and its text would
// name no "tree" in the step. Refused when union_all() is called.
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

void use(sq::session& db) {
    auto top = db.query<Employee>().filter(sq::col<&Employee::manager_id> == std::nullopt).cte<"tree">(sq::recursive);
    auto tree = top.union_all(db.query<Employee>().filter(sq::col<&Employee::id> > 1));
    db.query(tree).all();
}

// after(object) when the order_by() keys are an alias's columns: the object holds the query
// model's values, not the alias's, so reading them from it would page by the wrong values.
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

void use(sq::session& db, const Employee& last) {
    db.query<Employee>()
        .join<manager>(sq::col<&Employee::manager_id> == manager::col<&Employee::id>)
        .order_by(manager::col<&Employee::id>)
        .after(last)
        .all();
}

// A reference member: a column must hold its value. Known bug: the message "a model member is a
// reference" never appears. Boost.PFR reports the member's type without the reference
// (const std::string), so the check in table.hpp cannot see it; g++ says the type cannot be
// mapped, clang 14 says nothing of StructQL's.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Model {
    std::int64_t id;
    const std::string& name;
};

void use(sq::session& db) { (void)db.query<Model>().all(); }

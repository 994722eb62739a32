// A reference member: a column must hold its value. Boost.PFR reports the member's type
// without the reference (const std::string), so table<T> checks first that the model is
// default-constructible, which a reference member prevents, and says why.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Model {
    std::int64_t id;
    const std::string& name;
};

void use(sq::session& db) { (void)db.query<Model>().all(); }

// A bulk update setting a NOT NULL column from a std::optional: an empty one would be NULL.
#include <cstdint>
#include <optional>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Model {
    std::int64_t id;
    std::string name;
};

std::size_t use(sq::session& db, std::optional<std::string> name) {
    return db.query<Model>().update(sq::set<&Model::name>(name));
}

// A migration's fill value for a NOT NULL column must convert to the member's type: text for an
// integer column is refused at compile time, not at migration time.
#include <cstdint>
#include <string>

#include <structql/migrate.hpp>

namespace sq = structql;

struct Book {
    std::int64_t id;
    std::int64_t rating;
};

sq::migration_options options{.fills = {sq::fill_with<&Book::rating>("three")}};

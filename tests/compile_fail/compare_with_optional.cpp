// A column compared with a std::optional: bound as NULL it would match no row, so it is refused
// with a message of its own that names the two ways to say what is meant.
#include <cstdint>
#include <optional>

#include <structql/structql.hpp>

namespace sq = structql;

struct Book {
    std::int64_t id;
    std::optional<int> year;
};

void use(sq::session& db, std::optional<int> year) { db.query<Book>().filter(sq::col<&Book::year> == year).all(); }

// Must compile: a `char` member maps to INTEGER like signed and unsigned char. (It did not:
// value_traits<char>::from_storage called std::in_range<char>, which libstdc++ refuses for
// character types; detail::fits takes any arithmetic type.)
#include <cstdint>

#include <structql/structql.hpp>

namespace sq = structql;

struct Model {
    std::int64_t id;
    char letter;
};

void use(sq::session& db) {
    db.add(Model{.letter = 'a'});
    db.commit();
    (void)db.get<Model>(1);
}

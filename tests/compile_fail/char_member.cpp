// Must compile: a `char` member. `char` is an integer type (std::integral), which
// value_traits<T> accepts, but value_traits<char>::from_storage calls std::in_range<char>,
// which libstdc++ rejects for character types with a static_assert of its own. Known bug:
// either char should map to INTEGER like signed/unsigned char, or the model should be refused
// with a StructQL message.
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

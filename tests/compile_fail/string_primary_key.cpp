// Must compile: a model whose primary key is a std::string, written and read by a session.
// Before 7cab2a8 it did not with clang 14: detail::bind_columns compared every primary key with
// 0 inside a generic lambda's `if constexpr`; with T known, `std::string == 0` was no longer
// dependent, and clang rejected it although the branch is discarded.
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Country {
    sq::primary_key<std::string> code;
    int population;
};

void use(sq::session& db) {
    db.add(Country{.code = "NZ", .population = 5});
    db.commit();
    (void)db.get<Country>(std::string("NZ"));
    db.merge(Country{.code = "AU", .population = 26});
}

// Two models of one metadata<...> with an index of the same name: an index's name is the
// schema's, so create_all's second CREATE INDEX IF NOT EXISTS would create nothing.
#include <cstdint>
#include <string>

#include <structql/structql.hpp>

namespace sq = structql;

struct Shop {
    std::int64_t id;
    std::string city;
    static constexpr auto table_args = sq::table_args(sq::index<&Shop::city>("ix_city"));
};
struct Warehouse {
    std::int64_t id;
    std::string city;
    static constexpr auto table_args = sq::table_args(sq::index<&Warehouse::city>("ix_city"));
};

void use(sq::engine& engine) { sq::metadata<Shop, Warehouse>::create_all(engine); }

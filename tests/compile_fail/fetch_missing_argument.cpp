// Raw SQL with two placeholders and one argument: its text is checked at compile time.
#include <cstdint>
#include <string>
#include <tuple>

#include <structql/structql.hpp>

namespace sq = structql;

void use(sq::connection& c) { (void)c.fetch<std::tuple<std::int64_t>>("SELECT id FROM t WHERE a = ? AND b = ?", 1); }

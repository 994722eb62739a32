// Raw SQL built at run time, given with arguments without structql::runtime_sql.
#include <cstdint>
#include <string>
#include <tuple>

#include <structql/structql.hpp>

namespace sq = structql;

void use(sq::connection& c, const std::string& sql) { (void)c.execute(sql, std::int64_t{1}); }

#pragma once
// Schema evolution, opt-in (not part of <structql/structql.hpp>): read a live database's schema
// (inspect), compare it with metadata<Models...> (diff), plan the statements that close the gap
// without losing data (plan_migration, plan.sql()), apply them in one transaction (plan.apply,
// migrate); and numbered migrations run exactly once each (run_migrations).
#include "structql/structql.hpp"
#include "structql/migrate/inspect.hpp"
#include "structql/migrate/diff.hpp"
#include "structql/migrate/plan.hpp"
#include "structql/migrate/versions.hpp"

namespace structql {

using migration = basic_migration<sqlite_backend>;

}  // namespace structql

#pragma once
// query<T>() and raw SQL: the builder and everything it rests on.
#include "structql/query/alias.hpp"
#include "structql/query/builder.hpp"
#include "structql/query/cte.hpp"
#include "structql/query/compound.hpp"
#include "structql/query/functions.hpp"
#include "structql/query/given.hpp"
#include "structql/query/parts.hpp"
#include "structql/query/raw_sql.hpp"
#include "structql/query/rows.hpp"
#include "structql/query/subqueries.hpp"

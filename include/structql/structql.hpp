#pragma once
// StructQL: plain structs in, SQL out. The one include: everything, SQLite backend included.
#include "structql/version.hpp"
#include "structql/errors.hpp"
#include "structql/schema/columns.hpp"
#include "structql/schema/value_traits.hpp"
#include "structql/schema/table.hpp"
#include "structql/sql/statements.hpp"
#include "structql/query/expressions.hpp"
#include "structql/query/query.hpp"
#include "structql/url.hpp"
#include "structql/engine.hpp"
#include "structql/metadata.hpp"
#include "structql/session.hpp"

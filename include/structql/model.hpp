#pragma once
// What a header that only declares models needs: the column wrappers (primary_key, indexed,
// unique, foreign_key) and value_traits for user types. No SQL, no database.
#include "structql/schema/columns.hpp"
#include "structql/schema/value_traits.hpp"

#pragma once
// The PostgreSQL backend (libpq): include it through <structql/postgresql.hpp>; link with -lpq.
#include "structql/backend/postgresql/connection.hpp"
#include "structql/backend/postgresql/statement.hpp"
#include "structql/backend/postgresql/wire.hpp"

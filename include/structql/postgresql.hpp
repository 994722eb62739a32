#pragma once
// StructQL with the PostgreSQL backend: everything <structql/structql.hpp> has, plus libpq.
// Link with -lpq (CMake: find_package(PostgreSQL) and PostgreSQL::PostgreSQL).
//
//     auto engine = sq::create_engine<sq::postgresql_backend>(
//         "postgresql://user:password@host:5432/dbname?sslmode=require&application_name=app");
//     sq::metadata<Pessoa>::create_all(engine);
//     sq::postgresql_session db(engine);
//
// The URL's parts become libpq's user, password, host, port and dbname; every query parameter
// is passed to libpq as the keyword it names (sslmode, connect_timeout, application_name,
// options, ...; ?host=/run/postgresql for a unix socket directory). An unknown keyword is a
// url_error from create_engine. Unless the URL says otherwise, client_encoding is UTF8 and the
// application name is "structql".
#include <string>
#include <string_view>

#include "structql/structql.hpp"
#include "structql/backend/postgresql.hpp"

namespace structql {

using postgresql_engine = basic_engine<postgresql_backend>;
using postgresql_connection = basic_connection<postgresql_backend>;
using postgresql_transaction = basic_transaction<postgresql_backend>;
using postgresql_session = basic_session<postgresql_backend>;
using postgresql_sessionmaker = basic_sessionmaker<postgresql_backend>;

}  // namespace structql

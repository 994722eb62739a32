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

namespace detail {

template <>
struct connect_args_from_url<postgresql_backend> {
    static postgresql_connect_args make(const url& u, engine_options&) {
        if (u.dialect != "postgresql")
            throw url_error("create_engine<postgresql_backend>: '" + u.render() + "' is a " + u.dialect +
                            " URL; this engine type speaks PostgreSQL (postgresql://user:password@host:port/dbname)");
        postgresql_connect_args args;
        args.display = u.render();
        auto& p = args.parameters;
        p.emplace_back("client_encoding", "UTF8");
        p.emplace_back("fallback_application_name", "structql");
        if (u.username) p.emplace_back("user", *u.username);
        if (u.password) p.emplace_back("password", *u.password);
        if (u.host) p.emplace_back("host", *u.host);
        if (u.port) p.emplace_back("port", std::to_string(*u.port));
        if (!u.database.empty()) p.emplace_back("dbname", u.database);
        for (const auto& [key, value] : u.query) {
            if (!is_libpq_keyword(key))
                throw url_error("create_engine: '" + key + "' in '" + u.render() +
                                "' is not a libpq connection keyword (see the libpq manual's \"Parameter Key "
                                "Words\": sslmode, connect_timeout, application_name, host, options, ...)");
            p.emplace_back(key, value);
        }
        return args;
    }

    static bool is_libpq_keyword(std::string_view key) {
        PQconninfoOption* options = PQconndefaults();
        bool found = false;
        for (PQconninfoOption* o = options; o && o->keyword; ++o) found = found || key == o->keyword;
        PQconninfoFree(options);
        return found;
    }
};

}  // namespace detail

using postgresql_engine = basic_engine<postgresql_backend>;
using postgresql_connection = basic_connection<postgresql_backend>;
using postgresql_session = basic_session<postgresql_backend>;
using postgresql_sessionmaker = basic_sessionmaker<postgresql_backend>;

}  // namespace structql

#pragma once
// SQLite, the embedded default: the backend and the short names for its engine, connection,
// transaction, session and sessionmaker (structql::engine, structql::session, ...).
#include <string_view>
#include <utility>

#include "structql/backend/sqlite.hpp"
#include "structql/engine/basic_engine.hpp"
#include "structql/session/savepoint.hpp"
#include "structql/session/session.hpp"
#include "structql/session/sessionmaker.hpp"

namespace structql {

using engine = basic_engine<sqlite_backend>;
using connection = basic_connection<sqlite_backend>;
using transaction = basic_transaction<sqlite_backend>;
using session = basic_session<sqlite_backend>;
using sessionmaker_type = basic_sessionmaker<sqlite_backend>;

// create_engine("sqlite:///./sql_app.db", {.check_same_thread = false})
inline engine create_engine(std::string_view url, engine_options options = {}) {
    return engine(url, std::move(options));
}

}  // namespace structql

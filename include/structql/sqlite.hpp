#pragma once
// SQLite, the embedded default: the backend and the short names for its engine, connection,
// transaction, session and sessionmaker (structql::engine, structql::session, ...).
#include <string_view>
#include <utility>

#include "structql/backend/sqlite.hpp"
#include "structql/detail/linkage.hpp"
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

// With separate compilation, the SQLite engine, pool, connection and session are compiled in
// the implementation TU only (detail/linkage.hpp).
STRUCTQL_INSTANTIATE(class basic_connection<sqlite_backend>)
STRUCTQL_INSTANTIATE(struct detail::pool_state<sqlite_backend>)
STRUCTQL_INSTANTIATE(class basic_engine<sqlite_backend>)
STRUCTQL_INSTANTIATE(class basic_session<sqlite_backend>)
STRUCTQL_INSTANTIATE(struct detail::model_store<sqlite_backend, std::int64_t>)
STRUCTQL_INSTANTIATE(struct detail::model_store<sqlite_backend, std::string>)
STRUCTQL_INSTANTIATE(void* basic_session<sqlite_backend>::find_or_load(
    detail::model_store<sqlite_backend, std::int64_t>&, const std::int64_t&, std::string_view,
    detail::function_ref<void(sqlite_statement&)>))
STRUCTQL_INSTANTIATE(void* basic_session<sqlite_backend>::find_or_load(
    detail::model_store<sqlite_backend, std::string>&, const std::string&, std::string_view,
    detail::function_ref<void(sqlite_statement&)>))

}  // namespace structql

#pragma once
// Sessions: the session, its savepoints and the sessionmaker, with the SQLite backend's names.
#include "structql/session/model_store.hpp"
#include "structql/session/savepoint.hpp"
#include "structql/session/session.hpp"
#include "structql/session/sessionmaker.hpp"
#include "structql/sqlite.hpp"

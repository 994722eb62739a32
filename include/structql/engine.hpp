#pragma once
// Engines: basic_engine<Backend> and its connections, with the SQLite backend's names
// (structql::engine, structql::connection, structql::create_engine(url)).
#include "structql/engine/basic_engine.hpp"
#include "structql/sqlite.hpp"

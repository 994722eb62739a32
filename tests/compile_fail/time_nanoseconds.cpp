// A TIME column finer than microseconds: PostgreSQL's TIME would round it, so StructQL refuses
// the member's type instead of storing a different time than the one written.
#include <chrono>
#include <cstdint>

#include <structql/chrono.hpp>
#include <structql/structql.hpp>

namespace sq = structql;

struct Alarm {
    std::int64_t id;
    std::chrono::hh_mm_ss<std::chrono::nanoseconds> rings;
};

void use(sq::session& db) { db.add(Alarm{}); }

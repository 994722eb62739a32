// The query builder fuzz target, replayed over fuzz/corpus/query/ and fuzz/regressions/query/.
// A translation unit of its own: its ~50 query shapes are the slowest code here to compile.
#include "fuzz_replay.hpp"
#include "query_target.hpp"

TEST_CASE("fuzz replay: query builder corpus and regressions", "[reliability][fuzz]") {
    CHECK(structql_fuzz_replay::replay("query", structql_fuzz::query_target) >= 5);
}

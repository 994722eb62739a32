// The URL and value round-trip fuzz targets, replayed over fuzz/corpus/<target>/ and every saved
// crash in fuzz/regressions/<target>/ (see docs/reliability.md).
#include "fuzz_replay.hpp"
#include "url_target.hpp"
#include "values_target.hpp"

TEST_CASE("fuzz replay: URL parser corpus and regressions", "[reliability][fuzz]") {
    CHECK(structql_fuzz_replay::replay("url", structql_fuzz::url_target) >= 5);
}

TEST_CASE("fuzz replay: value round-trip corpus and regressions", "[reliability][fuzz]") {
    CHECK(structql_fuzz_replay::replay("values", structql_fuzz::values_target) >= 5);
}

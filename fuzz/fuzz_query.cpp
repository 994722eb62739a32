// libFuzzer entry point for the query target (fuzz/query_target.hpp); see docs/reliability.md.
#include "query_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return structql_fuzz::run_for_libfuzzer<structql_fuzz::query_target>(data, size);
}

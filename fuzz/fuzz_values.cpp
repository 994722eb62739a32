// libFuzzer entry point for the values target (fuzz/values_target.hpp); see docs/reliability.md.
#include "values_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return structql_fuzz::run_for_libfuzzer<structql_fuzz::values_target>(data, size);
}

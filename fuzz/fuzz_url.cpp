// libFuzzer entry point for the url target (fuzz/url_target.hpp); see docs/reliability.md.
#include "url_target.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return structql_fuzz::run_for_libfuzzer<structql_fuzz::url_target>(data, size);
}

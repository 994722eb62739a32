#pragma once
// Runs a fuzz target (fuzz/*_target.hpp) over every file of its seed corpus and of its saved
// crashes, as a regression test: a failure names the file.
#include <catch2/catch.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace structql_fuzz_replay {

inline int replay(const std::string& target, void (*run)(const std::uint8_t*, std::size_t)) {
    int files = 0;
    for (const char* kind : {"corpus", "regressions"}) {
        std::filesystem::path dir = std::filesystem::path(STRUCTQL_FUZZ_DIR) / kind / target;
        if (!std::filesystem::exists(dir)) continue;
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            if (!entry.is_regular_file()) continue;
            std::ifstream in(entry.path(), std::ios::binary);
            std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            INFO("fuzz input " << entry.path().string());
            try {
                run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
            } catch (const structql_fuzz::failure& f) {
                FAIL_CHECK(f.what());
            } catch (const std::exception& e) {
                FAIL_CHECK("escaped: " << e.what());
            }
            ++files;
        }
    }
    return files;
}

}  // namespace structql_fuzz_replay

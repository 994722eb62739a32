#pragma once
// Test support: temporary directories, and an independent look at a database file through
// the sqlite3 C API (never through StructQL).
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

// Under AddressSanitizer (CI's clang build) the longest loops run fewer rounds: the same code
// paths, each several times slower there, and CI has 15 minutes. The g++ build runs them in full.
#if defined(__SANITIZE_ADDRESS__)
#define STRUCTQL_TEST_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STRUCTQL_TEST_ADDRESS_SANITIZER 1
#endif
#endif

namespace structql_test {

#ifdef STRUCTQL_TEST_ADDRESS_SANITIZER
inline constexpr bool address_sanitizer = true;
#else
inline constexpr bool address_sanitizer = false;
#endif

class temp_dir {
public:
    temp_dir() {
        auto base = std::filesystem::temp_directory_path();
        std::random_device rd;
        for (int attempt = 0; attempt < 100; ++attempt) {
            auto candidate = base / ("structql-test-" + std::to_string(rd()) + std::to_string(rd()));
            if (std::filesystem::create_directory(candidate)) {
                path_ = candidate;
                return;
            }
        }
        throw std::runtime_error("cannot create a temporary directory");
    }
    temp_dir(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }
    // "sqlite:////tmp/structql-test-.../name"
    std::string url(const std::string& name) const { return "sqlite:///" + (path_ / name).string(); }

private:
    std::filesystem::path path_;
};

class chdir_guard {
public:
    explicit chdir_guard(const std::filesystem::path& to) : old_(std::filesystem::current_path()) {
        std::filesystem::current_path(to);
    }
    ~chdir_guard() { std::filesystem::current_path(old_); }

private:
    std::filesystem::path old_;
};

// A second, independent connection to a database file.
class sqlite_file {
public:
    explicit sqlite_file(const std::filesystem::path& path) {
        if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
            throw std::runtime_error("cannot open " + path.string());
    }
    sqlite_file(const sqlite_file&) = delete;
    ~sqlite_file() { sqlite3_close(db_); }
    sqlite3* handle() const { return db_; }

    void exec(const std::string& sql) {
        char* message = nullptr;
        if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
            std::string text = message ? message : "?";
            sqlite3_free(message);
            throw std::runtime_error(text + " in " + sql);
        }
    }

    // The first column of the first row as an integer.
    std::int64_t count(const std::string& sql) {
        auto rows = query(sql);
        if (rows.empty() || rows[0].empty() || !rows[0][0]) throw std::runtime_error("no value from " + sql);
        return std::stoll(*rows[0][0]);
    }

    // Every row as text (std::nullopt for NULL), columns in order.
    std::vector<std::vector<std::optional<std::string>>> query(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " in " + sql);
        std::vector<std::vector<std::optional<std::string>>> rows;
        int rc;
        while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            auto& row = rows.emplace_back();
            for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
                if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
                    row.emplace_back();
                } else {
                    auto* p = reinterpret_cast<const char*>(sqlite3_column_blob(stmt, i));
                    row.emplace_back(std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, i))));
                }
            }
        }
        sqlite3_finalize(stmt);
        if (rc != SQLITE_DONE) throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " in " + sql);
        return rows;
    }

    // The type sqlite3 reports for the first column of the first row (SQLITE_INTEGER, ...).
    int column_type(const std::string& sql) {
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string(sqlite3_errmsg(db_)) + " in " + sql);
        int type = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_type(stmt, 0) : -1;
        sqlite3_finalize(stmt);
        return type;
    }

private:
    sqlite3* db_ = nullptr;
};

}  // namespace structql_test

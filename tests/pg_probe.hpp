#pragma once
// A second, independent connection to a PostgreSQL database through raw libpq (never through
// StructQL), for tests that look at what reached the server.
#include <libpq-fe.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace structql_test {

using text_rows = std::vector<std::vector<std::optional<std::string>>>;

class pg_probe {
public:
    explicit pg_probe(const std::string& conninfo) : conn_(PQconnectdb(conninfo.c_str())) {
        if (PQstatus(conn_) != CONNECTION_OK) {
            std::string message = PQerrorMessage(conn_);
            PQfinish(conn_);
            throw std::runtime_error("cannot connect to " + conninfo + ": " + message);
        }
        PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
    }
    pg_probe(pg_probe&& other) noexcept : conn_(std::exchange(other.conn_, nullptr)) {}
    pg_probe& operator=(pg_probe&&) = delete;
    ~pg_probe() {
        if (conn_) PQfinish(conn_);
    }
    PGconn* handle() const { return conn_; }

    void exec(const std::string& sql) {
        PGresult* result = PQexec(conn_, sql.c_str());
        auto status = PQresultStatus(result);
        std::string message = PQresultErrorMessage(result);
        PQclear(result);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) throw std::runtime_error(message + " in " + sql);
    }

    // The first column of the first row as an integer.
    std::int64_t count(const std::string& sql) {
        auto rows = query(sql);
        if (rows.empty() || rows[0].empty() || !rows[0][0]) throw std::runtime_error("no value from " + sql);
        return std::stoll(*rows[0][0]);
    }

    // Every row in PostgreSQL's text format (std::nullopt for NULL), columns in order.
    text_rows query(const std::string& sql) {
        PGresult* result = PQexec(conn_, sql.c_str());
        if (PQresultStatus(result) != PGRES_TUPLES_OK) {
            std::string message = PQresultErrorMessage(result);
            PQclear(result);
            throw std::runtime_error(message + " in " + sql);
        }
        text_rows rows;
        for (int r = 0; r < PQntuples(result); ++r) {
            auto& row = rows.emplace_back();
            for (int c = 0; c < PQnfields(result); ++c) {
                if (PQgetisnull(result, r, c)) row.emplace_back();
                else row.emplace_back(std::string(PQgetvalue(result, r, c), static_cast<std::size_t>(PQgetlength(result, r, c))));
            }
        }
        PQclear(result);
        return rows;
    }

private:
    PGconn* conn_;
};

}  // namespace structql_test

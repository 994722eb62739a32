// Compile-time benchmark, light hand-written TU: light_structql.cpp by hand against sqlite3
// (checked return codes, RAII handles, prepared statements, bound values).
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <sqlite3.h>

struct Pessoa {
    std::int64_t id = 0;
    std::string nome;
    std::optional<int> idade;
};

struct closer {
    void operator()(sqlite3* db) const noexcept { sqlite3_close(db); }
    void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using db_ptr = std::unique_ptr<sqlite3, closer>;
using stmt_ptr = std::unique_ptr<sqlite3_stmt, closer>;

static void check(sqlite3* db, int rc, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE)
        throw std::runtime_error(std::string(what) + ": " + sqlite3_errmsg(db));
}
static void exec(sqlite3* db, const char* sql) { check(db, sqlite3_exec(db, sql, nullptr, nullptr, nullptr), sql); }
static stmt_ptr prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* s = nullptr;
    check(db, sqlite3_prepare_v2(db, sql, -1, &s, nullptr), sql);
    return stmt_ptr(s);
}
static Pessoa read(sqlite3_stmt* s) {
    Pessoa p;
    p.id = sqlite3_column_int64(s, 0);
    p.nome = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
    if (sqlite3_column_type(s, 2) != SQLITE_NULL) p.idade = sqlite3_column_int(s, 2);
    return p;
}

int main() {
    try {
        sqlite3* raw = nullptr;
        int rc = sqlite3_open(":memory:", &raw);
        db_ptr db(raw);
        check(raw, rc, "open");
        exec(raw, R"(CREATE TABLE IF NOT EXISTS "pessoas" ("id" INTEGER PRIMARY KEY, "nome" TEXT NOT NULL, )"
                  R"("idade" INTEGER); CREATE INDEX IF NOT EXISTS "ix_pessoas_nome" ON "pessoas" ("nome"))");
        stmt_ptr insert = prepare(raw, R"(INSERT INTO "pessoas" ("nome", "idade") VALUES (?, ?))");
        stmt_ptr by_id = prepare(raw, R"(SELECT "id", "nome", "idade" FROM "pessoas" WHERE "id" = ?)");
        stmt_ptr adults_q = prepare(raw, R"(SELECT "id", "nome", "idade" FROM "pessoas" WHERE "idade" >= ?)");

        Pessoa ana{.id = 0, .nome = "Ana", .idade = 30};
        exec(raw, "BEGIN");
        check(raw, sqlite3_bind_text(insert.get(), 1, ana.nome.c_str(), -1, SQLITE_TRANSIENT), "bind");
        check(raw, ana.idade ? sqlite3_bind_int(insert.get(), 2, *ana.idade) : sqlite3_bind_null(insert.get(), 2), "bind");
        check(raw, sqlite3_step(insert.get()), "insert");
        exec(raw, "COMMIT");
        ana.id = sqlite3_last_insert_rowid(raw);

        std::optional<Pessoa> p;
        check(raw, sqlite3_bind_int64(by_id.get(), 1, ana.id), "bind");
        if ((rc = sqlite3_step(by_id.get())) == SQLITE_ROW) p = read(by_id.get());
        check(raw, rc, "select");
        std::vector<Pessoa> adults;
        check(raw, sqlite3_bind_int(adults_q.get(), 1, 1), "bind");
        while ((rc = sqlite3_step(adults_q.get())) == SQLITE_ROW) adults.push_back(read(adults_q.get()));
        check(raw, rc, "select");
        std::printf("raw sqlite3: %s %zu\n", p ? p->nome.c_str() : "-", adults.size());
        return p && adults.size() == 1 && adults[0].id == p->id ? 0 : 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}

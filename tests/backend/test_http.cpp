// examples/backend's service, started as its own process on a loopback port and driven over
// real HTTP (the Beast client of examples/backend/http.hpp), on SQLite and on PostgreSQL. What
// reached the database is read through the sqlite3 C API or libpq, never through StructQL.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http.hpp"
#include "pg_probe.hpp"
#include "support.hpp"

namespace http_test {

using pessoas::http::client;
using pessoas::http::response;
using structql_test::text_rows;

// The concurrent load: 8 clients, each this many requests. Under AddressSanitizer (a build by
// hand: CI builds this test with g++ only, tools/run-tests.sh) a tenth of it, the same paths.
#if defined(__SANITIZE_ADDRESS__)
constexpr int requests_per_client = 50;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr int requests_per_client = 50;
#else
constexpr int requests_per_client = 500;
#endif
#else
constexpr int requests_per_client = 500;
#endif

// pessoas_backend on a free loopback port, stopped (SIGTERM) by stop() or the destructor.
class service {
public:
    explicit service(const std::string& database_url) {
        int out[2];
        if (pipe(out) != 0) throw std::runtime_error("pipe failed");
        pid_ = fork();
        if (pid_ == 0) {
            dup2(out[1], STDOUT_FILENO);
            close(out[0]);
            close(out[1]);
            execl(PESSOAS_BACKEND, PESSOAS_BACKEND, "--port", "0", "--threads", "4", database_url.c_str(),
                  static_cast<char*>(nullptr));
            _exit(127);
        }
        close(out[1]);
        output_ = out[0];
        // "pessoas_backend: listening on http://127.0.0.1:PORT (...)"
        std::string line;
        char c;
        while (line.find('\n') == std::string::npos && read(output_, &c, 1) == 1) line += c;
        const auto at = line.find("127.0.0.1:");
        if (at == std::string::npos) {
            stop();
            throw std::runtime_error("pessoas_backend did not start: '" + line + "'");
        }
        port_ = static_cast<unsigned short>(std::stoul(line.substr(at + 10)));
    }
    service(const service&) = delete;
    ~service() { stop(); }

    unsigned short port() const { return port_; }
    client connect() const { return client("127.0.0.1", port_); }

    // The exit status after SIGTERM: 0 when it shut down cleanly (no sanitizer report either).
    int stop() {
        if (pid_ <= 0) return status_;
        kill(pid_, SIGTERM);
        int status = 0;
        waitpid(pid_, &status, 0);
        pid_ = -1;
        close(output_);
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return status_;
    }

private:
    pid_t pid_ = -1;
    int output_ = -1;
    unsigned short port_ = 0;
    int status_ = -1;
};

// The databases: the service's URL, and a probe with count(sql) / query(sql) of its own.
struct sqlite {
    static bool available() { return true; }
    structql_test::temp_dir dir;
    std::string url() const { return dir.url("service.db"); }
    structql_test::sqlite_file probe() const { return structql_test::sqlite_file(dir.path() / "service.db"); }
};

struct postgresql {
    static const char* server() {
        const char* url = std::getenv("STRUCTQL_TEST_POSTGRES_URL");
        return url && *url ? url : nullptr;
    }
    static bool available() {
        if (server()) return true;
        std::cout << "STRUCTQL_SKIP: no PostgreSQL server: STRUCTQL_TEST_POSTGRES_URL is not set" << std::endl;
        return false;
    }
    // A schema of its own, dropped afterwards: the service's tables are its alone.
    std::string schema = "pessoas_http_" + std::to_string(getpid()) + "_" + std::to_string(std::random_device()() % 1000000);
    structql_test::pg_probe admin{server()};
    postgresql() { admin.exec("CREATE SCHEMA " + schema); }
    postgresql(const postgresql&) = delete;
    ~postgresql() {
        try {
            admin.exec("DROP SCHEMA " + schema + " CASCADE");
        } catch (...) {
        }
    }
    std::string url() const {
        const std::string base = server();
        return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-c%20search_path%3D" + schema;
    }
    structql_test::pg_probe probe() const { return structql_test::pg_probe(url()); }
};

std::string text(const text_rows& rows) {
    std::string out;
    for (const auto& row : rows) {
        for (const auto& cell : row) out += (cell ? *cell : "NULL") + "|";
        out += "\n";
    }
    return out;
}

std::int64_t id_in(const response& r) {  // {"id":N,...}
    REQUIRE(r.body.starts_with("{\"id\":"));
    return std::stoll(r.body.substr(6));
}

}  // namespace http_test

using namespace http_test;

TEMPLATE_TEST_CASE("HTTP service create read update delete", "[http]", http_test::sqlite, http_test::postgresql) {
    if (!TestType::available()) return;
    TestType db;
    service server(db.url());
    auto http = server.connect();
    auto probe = db.probe();

    const response created = http.send("POST", "/pessoas", R"({"nome":"Ana","idade":30})");
    REQUIRE(created.status == 201);
    const std::int64_t id = id_in(created);
    const std::string path = "/pessoas/" + std::to_string(id);
    CHECK(created.body == R"({"id":)" + std::to_string(id) + R"(,"nome":"Ana","idade":30})");
    CHECK(created.header("Location") == path);
    CHECK(created.content_type == "application/json");
    CHECK(text(probe.query("SELECT id, nome, idade FROM pessoas")) == std::to_string(id) + "|Ana|30|\n");

    CHECK(http.send("GET", path).body == created.body);

    const response replaced = http.send("PUT", path, R"({"nome":"Ana Maria","idade":31})");
    CHECK(replaced.status == 200);
    CHECK(text(probe.query("SELECT nome, idade FROM pessoas")) == "Ana Maria|31|\n");

    // PATCH: only the keys given; null empties an optional field.
    const response patched = http.send("PATCH", path, R"({"idade":null})");
    CHECK(patched.status == 200);
    CHECK(patched.body == R"({"id":)" + std::to_string(id) + R"(,"nome":"Ana Maria","idade":null})");
    CHECK(text(probe.query("SELECT nome, idade FROM pessoas")) == "Ana Maria|NULL|\n");

    // The related model: a person's documents, through the foreign key.
    const response doc = http.send("POST", path + "/documentos", R"({"tipo":"CPF","numero":"123.456.789-00"})");
    REQUIRE(doc.status == 201);
    const std::int64_t doc_id = id_in(doc);
    CHECK(text(probe.query("SELECT pessoa_id, tipo, numero FROM documentos")) == std::to_string(id) + "|CPF|123.456.789-00|\n");
    CHECK(http.send("GET", path + "/documentos").body ==
          "[{\"id\":" + std::to_string(doc_id) + ",\"pessoa_id\":" + std::to_string(id) + R"(,"tipo":"CPF","numero":"123.456.789-00"}])");
    CHECK(http.send("DELETE", "/documentos/" + std::to_string(doc_id)).status == 204);
    CHECK(http.send("GET", path + "/documentos").body == "[]");

    const response deleted = http.send("DELETE", path);
    CHECK(deleted.status == 204);
    CHECK(deleted.body.empty());
    CHECK(probe.count("SELECT count(*) FROM pessoas") == 0);
    CHECK(http.send("GET", path).status == 404);
    CHECK(server.stop() == 0);
}

TEMPLATE_TEST_CASE("HTTP service answers 404 405 409 and 422", "[http]", http_test::sqlite, http_test::postgresql) {
    if (!TestType::available()) return;
    TestType db;
    service server(db.url());
    auto http = server.connect();
    auto probe = db.probe();

    // 404: a row, a route.
    const response missing = http.send("GET", "/pessoas/999");
    CHECK(missing.status == 404);
    CHECK(missing.body == R"({"detail":"pessoas 999 not found"})");
    CHECK(http.send("PATCH", "/pessoas/999", R"({"idade":1})").status == 404);
    CHECK(http.send("DELETE", "/pessoas/999").status == 404);
    CHECK(http.send("POST", "/pessoas/999/documentos", R"({"tipo":"RG","numero":"1"})").status == 404);
    CHECK(http.send("GET", "/nada").status == 404);

    // 405, with the methods the route has.
    const response wrong = http.send("DELETE", "/pessoas");
    CHECK(wrong.status == 405);
    CHECK(wrong.header("Allow") == "GET, POST");
    CHECK(http.send("POST", "/pessoas/1").header("Allow") == "GET, PUT, PATCH, DELETE");

    // 422: every problem of the body at once, each naming its field; nothing written.
    const response bad = http.send("POST", "/pessoas", R"({"idade":"trinta","cpf":"1"})");
    CHECK(bad.status == 422);
    CHECK(bad.body == R"({"detail":[{"field":"nome","problem":"missing"},)"
                      R"({"field":"idade","problem":"expected an integer, found a string"},)"
                      R"({"field":"cpf","problem":"not a field of this struct"}]})");
    CHECK(http.send("POST", "/pessoas", R"({"nome":"Ana","idade":4000000000})").body ==
          R"({"detail":[{"field":"idade","problem":"value 4000000000 is out of range for a signed 32-bit integer"}]})");
    CHECK(http.send("POST", "/pessoas", R"({"nome":"Ana","idade":200})").body ==
          R"({"detail":[{"field":"idade","problem":"must be between 0 and 150"}]})");
    CHECK(http.send("POST", "/pessoas", R"({"nome":)").body ==
          R"({"detail":[{"field":"","problem":"not valid JSON: incomplete JSON"}]})");
    CHECK(http.send("POST", "/pessoas", "[1]").status == 422);
    CHECK(http.send("GET", "/pessoas/abc").body == R"({"detail":[{"field":"id","problem":"expected an integer, found 'abc'"}]})");
    CHECK(http.send("GET", "/pessoas?limit=0&offset=x").body ==
          R"({"detail":[{"field":"limit","problem":"must be between 1 and 100"},)"
          R"({"field":"offset","problem":"expected an integer, found 'x'"}]})");
    CHECK(probe.count("SELECT count(*) FROM pessoas") == 0);

    const std::int64_t id = id_in(http.send("POST", "/pessoas", R"({"nome":"Bia","idade":20})"));
    const std::string path = "/pessoas/" + std::to_string(id);
    // A PATCH that does not fit changes nothing: not the key, not a field once one is bad.
    CHECK(http.send("PATCH", path, R"({"id":12345})").body ==
          R"({"detail":[{"field":"id","problem":"a primary key cannot be changed by a patch"}]})");
    CHECK(http.send("PATCH", path, R"({"nome":"Bea","idade":-1})").status == 422);
    CHECK(http.send("PUT", path, R"({"idade":21})").status == 422);
    CHECK(text(probe.query("SELECT id, nome, idade FROM pessoas")) == std::to_string(id) + "|Bia|20|\n");

    // 409: a document number taken, a person who still has documents.
    REQUIRE(http.send("POST", path + "/documentos", R"({"tipo":"RG","numero":"42"})").status == 201);
    const std::int64_t other = id_in(http.send("POST", "/pessoas", R"({"nome":"Caio"})"));
    const response taken = http.send("POST", "/pessoas/" + std::to_string(other) + "/documentos", R"({"tipo":"RG","numero":"42"})");
    CHECK(taken.status == 409);
    CHECK_THAT(taken.body, Catch::Contains("numero"));  // the constraint, in the database's words
    CHECK_THAT(taken.body, !Catch::Contains("[SQL:") && !Catch::Contains("INSERT"));  // not the statement
    const response still_has = http.send("DELETE", path);
    CHECK(still_has.status == 409);
    CHECK(probe.count("SELECT count(*) FROM pessoas WHERE id = " + std::to_string(id)) == 1);
    CHECK(text(probe.query("SELECT pessoa_id, numero FROM documentos")) == std::to_string(id) + "|42|\n");

    // The service goes on after each of them, on the same keep-alive connection.
    CHECK(http.send("GET", path).status == 200);
    CHECK(server.stop() == 0);
}

TEMPLATE_TEST_CASE("HTTP service pages and filters the list", "[http]", http_test::sqlite, http_test::postgresql) {
    if (!TestType::available()) return;
    TestType db;
    service server(db.url());
    auto http = server.connect();

    std::vector<std::int64_t> ids;
    for (int i = 0; i < 25; ++i) {
        const std::string body = R"({"nome":"p)" + std::to_string(100 + i) + R"(","idade":)" + std::to_string(i) + "}";
        ids.push_back(id_in(http.send("POST", "/pessoas", body)));
    }
    REQUIRE(http.send("POST", "/pessoas", R"({"nome":"sem idade"})").status == 201);
    auto ids_of = [&](const std::string& target) {
        const response r = http.send("GET", target);
        REQUIRE(r.status == 200);
        std::vector<std::int64_t> out;
        for (std::size_t at = 0; (at = r.body.find("{\"id\":", at)) != std::string::npos; at += 6)
            out.push_back(std::stoll(r.body.substr(at + 6)));
        return out;
    };
    auto slice = [&](std::size_t from, std::size_t to) { return std::vector<std::int64_t>(ids.begin() + from, ids.begin() + to); };

    CHECK(ids_of("/pessoas").size() == 20);  // the default limit
    CHECK(ids_of("/pessoas?limit=10") == slice(0, 10));
    CHECK(ids_of("/pessoas?limit=10&offset=20") == std::vector<std::int64_t>{ids[20], ids[21], ids[22], ids[23], ids[24], ids.back() + 1});
    CHECK(ids_of("/pessoas?offset=100").empty());
    CHECK(ids_of("/pessoas?nome=p111") == slice(11, 12));
    CHECK(ids_of("/pessoas?nome=p10&limit=100") == slice(0, 10));  // p100 .. p109
    CHECK(ids_of("/pessoas?idade_min=5&idade_max=7") == slice(5, 8));
    CHECK(ids_of("/pessoas?idade_min=20&nome=p12") == slice(20, 25));  // and: both filters
    CHECK(ids_of("/pessoas?nome=sem%20idade").size() == 1);           // percent-decoded
    CHECK(ids_of("/pessoas?nome=p1%25").empty());                       // '%' is a character, not a wildcard
    CHECK(server.stop() == 0);
}

// 8 clients at once, each on its own connection: creates, reads, changes and deletes of its own
// rows. Afterwards the database holds exactly the rows whose create was acknowledged and whose
// delete was not, each as last acknowledged.
TEMPLATE_TEST_CASE("HTTP service under concurrent load keeps every acknowledged write", "[http]", http_test::sqlite,
                   http_test::postgresql) {
    if (!TestType::available()) return;
    TestType db;
    service server(db.url());
    constexpr int clients = 8;
    std::vector<std::map<std::int64_t, std::string>> expected(clients);  // id -> "nome|idade|"
    std::atomic<int> unexpected{0};
    std::vector<std::string> failures(clients);
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            try {
                auto http = server.connect();
                auto& mine = expected[static_cast<std::size_t>(c)];
                std::vector<std::int64_t> live;
                auto fail = [&](const std::string& what, const response& r) {
                    ++unexpected;
                    failures[static_cast<std::size_t>(c)] += what + " -> " + std::to_string(r.status) + " " + r.body + "\n";
                };
                for (int i = 0; i < requests_per_client; ++i) {
                    const std::string nome = "c" + std::to_string(c) + "-" + std::to_string(i);
                    const int step = i % 8;
                    if (step < 4 || live.empty()) {  // half creates
                        const response r = http.send("POST", "/pessoas", R"({"nome":")" + nome + R"(","idade":)" + std::to_string(c) + "}");
                        if (r.status != 201) { fail("POST " + nome, r); continue; }
                        const std::int64_t id = std::stoll(r.body.substr(6));
                        mine[id] = nome + "|" + std::to_string(c) + "|";
                        live.push_back(id);
                    } else if (step < 6) {  // reads
                        const std::int64_t id = live[static_cast<std::size_t>(i) % live.size()];
                        const response r = http.send("GET", "/pessoas/" + std::to_string(id));
                        if (r.status != 200 || id_in(r) != id) fail("GET", r);
                    } else if (step == 6) {  // a change
                        const std::int64_t id = live.back();
                        const response r = http.send("PATCH", "/pessoas/" + std::to_string(id), R"({"idade":99})");
                        if (r.status != 200) { fail("PATCH", r); continue; }
                        mine[id] = mine[id].substr(0, mine[id].find('|')) + "|99|";
                    } else {  // a delete
                        const std::int64_t id = live.front();
                        const response r = http.send("DELETE", "/pessoas/" + std::to_string(id));
                        if (r.status != 204) { fail("DELETE", r); continue; }
                        mine.erase(id);
                        live.erase(live.begin());
                    }
                }
            } catch (const std::exception& e) {
                ++unexpected;
                failures[static_cast<std::size_t>(c)] += std::string("exception: ") + e.what() + "\n";
            }
        });
    }
    for (auto& t : threads) t.join();
    std::string all_failures;
    for (const auto& f : failures) all_failures += f;
    INFO(all_failures);
    CHECK(unexpected == 0);

    std::string wanted;
    std::map<std::int64_t, std::string> all;
    for (const auto& mine : expected) all.insert(mine.begin(), mine.end());
    for (const auto& [id, row] : all) wanted += std::to_string(id) + "|" + row + "\n";
    auto probe = db.probe();
    CHECK(text(probe.query("SELECT id, nome, idade FROM pessoas ORDER BY id")) == wanted);
    // Each client's schedule: a create at steps 0-3 of every 8, a delete at step 7.
    int rows_per_client = 0;
    for (int i = 0; i < requests_per_client; ++i) rows_per_client += i % 8 < 4 ? 1 : i % 8 == 7 ? -1 : 0;
    CHECK(all.size() == static_cast<std::size_t>(clients * rows_per_client));
    CHECK(server.stop() == 0);
}

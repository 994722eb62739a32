// Requests per second through examples/backend's HTTP service, against the same routes with
// their handlers written by hand on the sqlite3 C API (docs/benchmarks.md, "HTTP service").
//
//   http_rps [--clients 8] [--requests 2000] [--runs 5] [--threads 4] [--dir /dev/shm]
//
// Both servers are the same http::server (Beast, the same thread count), read and write JSON
// with the same <structql/json.hpp> calls on the same schema structs, and answer the same
// load: `clients` keep-alive connections, each sending `requests` requests of the load test's
// mix (per 8: 3 creates, 2 reads by id, 1 page of 10, 1 PATCH, 1 DELETE) on a new SQLite file in
// WAL mode. Only the database code differs: StructQL's session per request (api.cpp), or
// prepared statements on a connection per server thread, writes in BEGIN IMMEDIATE ... COMMIT
// and reads in autocommit. The two alternate, `runs` times each;
// the medians and their ratio are printed.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <structql/json.hpp>

#include "api.hpp"
#include "http.hpp"
#include "models.hpp"

namespace {

namespace json = boost::json;
namespace sq = structql;
using pessoas::Pessoa;
using pessoas::PessoaIn;
using pessoas::http::request;
using pessoas::http::response;

const sq::json_options strict{.extra_fields = sq::json_options::extra::forbid};

response json_response(int status, const json::value& body) { return {status, json::serialize(body), "application/json", {}}; }

// --- the hand-written side ---

struct statement {
    sqlite3_stmt* s = nullptr;
    ~statement() { sqlite3_finalize(s); }
};

// One connection per server thread, its statements prepared once.
struct connection {
    explicit connection(const std::string& path) : path(path) {
        if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
            throw std::runtime_error("cannot open " + path);
        sqlite3_busy_timeout(db, 5000);
        sqlite3_exec(db, "PRAGMA foreign_keys=ON", nullptr, nullptr, nullptr);
        prepare(begin, "BEGIN IMMEDIATE");
        prepare(commit, "COMMIT");
        prepare(rollback, "ROLLBACK");
        prepare(insert, "INSERT INTO pessoas (nome, idade) VALUES (?, ?)");
        prepare(select_one, "SELECT id, nome, idade FROM pessoas WHERE id = ?");
        prepare(select_page, "SELECT id, nome, idade FROM pessoas WHERE nome LIKE ? ESCAPE '\\' ORDER BY id LIMIT ? OFFSET ?");
        prepare(update, "UPDATE pessoas SET nome = ?, idade = ? WHERE id = ?");
        prepare(remove, "DELETE FROM pessoas WHERE id = ?");
    }
    ~connection() {
        for (statement* s : {&begin, &commit, &rollback, &insert, &select_one, &select_page, &update, &remove}) {
            sqlite3_finalize(s->s);
            s->s = nullptr;
        }
        sqlite3_close(db);
    }
    void prepare(statement& s, const char* sql) {
        if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s.s, nullptr) != SQLITE_OK)
            throw std::runtime_error(std::string(sqlite3_errmsg(db)) + " in " + sql);
    }
    // Runs a statement that returns no rows; throws on an error.
    void run(statement& s) {
        const int rc = sqlite3_step(s.s);
        sqlite3_reset(s.s);
        if (rc != SQLITE_DONE) throw std::runtime_error(sqlite3_errmsg(db));
    }
    static Pessoa row(sqlite3_stmt* s) {
        Pessoa p;
        p.id = sqlite3_column_int64(s, 0);
        p.nome = std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 1)), static_cast<std::size_t>(sqlite3_column_bytes(s, 1)));
        if (sqlite3_column_type(s, 2) != SQLITE_NULL) p.idade = sqlite3_column_int(s, 2);
        return p;
    }
    std::optional<Pessoa> find(std::int64_t id) {
        sqlite3_bind_int64(select_one.s, 1, id);
        std::optional<Pessoa> out;
        if (sqlite3_step(select_one.s) == SQLITE_ROW) out = row(select_one.s);
        sqlite3_reset(select_one.s);
        return out;
    }
    void bind_person(sqlite3_stmt* s, const std::string& nome, const std::optional<int>& idade) {
        sqlite3_bind_text(s, 1, nome.data(), static_cast<int>(nome.size()), SQLITE_TRANSIENT);
        if (idade) sqlite3_bind_int(s, 2, *idade);
        else sqlite3_bind_null(s, 2);
    }
    // fn in BEGIN IMMEDIATE ... COMMIT, rolled back when it throws. The server's writers take
    // turns on a mutex first, as StructQL's engine queues its writers: SQLite's own busy wait
    // polls with sleeps, and would measure those instead.
    template <class F>
    auto transaction(F&& fn) {
        static std::mutex writers;
        std::lock_guard turn(writers);
        run(begin);
        try {
            auto result = fn();
            run(commit);
            return result;
        } catch (...) {
            sqlite3_step(rollback.s);
            sqlite3_reset(rollback.s);
            throw;
        }
    }

    std::string path;
    sqlite3* db = nullptr;
    statement begin, commit, rollback, insert, select_one, select_page, update, remove;
};

struct not_found {};

class handwritten_api {
public:
    explicit handwritten_api(std::string path) : path_(std::move(path)) {}

    response operator()(const request& r) const {
        try {
            return route(r);
        } catch (const not_found&) {
            return json_response(404, json::object{{"detail", "not found"}});
        } catch (const sq::json_error& e) {
            json::array items;
            for (const auto& p : e.problems()) items.push_back(json::object{{"field", p.field}, {"problem", p.problem}});
            return json_response(422, json::object{{"detail", std::move(items)}});
        }
    }

private:
    connection& db() const {
        thread_local std::unique_ptr<connection> mine;
        if (!mine || mine->path != path_) mine = std::make_unique<connection>(path_);
        return *mine;
    }

    static std::int64_t number(std::string_view text) {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec != std::errc() || end != text.data() + text.size()) throw sq::json_error("query", {{"", "not a number"}});
        return n;
    }

    static void validate(const std::string& nome, const std::optional<int>& idade) {
        std::vector<sq::json_problem> problems;
        if (nome.empty()) problems.push_back({"nome", "must not be empty"});
        if (idade && (*idade < 0 || *idade > 150)) problems.push_back({"idade", "must be between 0 and 150"});
        if (!problems.empty()) throw sq::json_error("Pessoa", std::move(problems));
    }

    response route(const request& r) const {
        if (r.path == "/pessoas") {
            if (r.method == "GET") return list(r);
            if (r.method == "POST") return create(r);
        } else if (r.path.starts_with("/pessoas/")) {
            const std::int64_t id = number(std::string_view(r.path).substr(9));
            if (r.method == "GET") return get(id);
            if (r.method == "PATCH") return patch(id, r);
            if (r.method == "DELETE") return remove(id);
        }
        throw not_found{};
    }

    response list(const request& r) const {
        const std::int64_t limit = r.param("limit") ? number(*r.param("limit")) : 20;
        const std::int64_t offset = r.param("offset") ? number(*r.param("offset")) : 0;
        connection& c = db();
        sqlite3_stmt* s = c.select_page.s;
        sqlite3_bind_text(s, 1, "%%", 2, SQLITE_STATIC);  // the same (empty) name filter as api.cpp's
        sqlite3_bind_int64(s, 2, limit);
        sqlite3_bind_int64(s, 3, offset);
        json::array items;
        while (sqlite3_step(s) == SQLITE_ROW) items.push_back(sq::to_json(connection::row(s)));
        sqlite3_reset(s);
        return json_response(200, items);
    }

    response get(std::int64_t id) const {
        auto p = db().find(id);
        if (!p) throw not_found{};
        return json_response(200, sq::to_json(*p));
    }

    response create(const request& r) const {
        const auto in = sq::from_json<PessoaIn>(json::parse(r.body), strict);
        validate(in.nome, in.idade);
        connection& c = db();
        const Pessoa created = c.transaction([&] {
            c.bind_person(c.insert.s, in.nome, in.idade);
            c.run(c.insert);
            return Pessoa{.id = sqlite3_last_insert_rowid(c.db), .nome = in.nome, .idade = in.idade};
        });
        return json_response(201, sq::to_json(created));
    }

    response patch(std::int64_t id, const request& r) const {
        const json::value fields = json::parse(r.body);
        connection& c = db();
        const Pessoa patched = c.transaction([&] {
            auto p = c.find(id);
            if (!p) throw not_found{};
            sq::patch_json(*p, fields, strict);
            validate(p->nome, p->idade);
            c.bind_person(c.update.s, p->nome, p->idade);
            sqlite3_bind_int64(c.update.s, 3, id);
            c.run(c.update);
            return *p;
        });
        return json_response(200, sq::to_json(patched));
    }

    response remove(std::int64_t id) const {
        connection& c = db();
        c.transaction([&] {
            sqlite3_bind_int64(c.remove.s, 1, id);
            c.run(c.remove);
            if (sqlite3_changes(c.db) == 0) throw not_found{};
            return 0;
        });
        return {204, {}, {}, {}};
    }

    std::string path_;
};

// --- the load ---

struct options {
    int clients = 8;
    int requests = 2000;
    int runs = 5;
    std::size_t threads = 4;
    std::filesystem::path dir = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
};

// The load test's mix, on `clients` connections; requests per second. Any answer but the
// expected one aborts the run.
double drive(unsigned short port, const options& o) {
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    const auto start = std::chrono::steady_clock::now();
    for (int c = 0; c < o.clients; ++c) {
        threads.emplace_back([&, c] {
            pessoas::http::client http("127.0.0.1", port);
            std::vector<std::int64_t> live;
            auto expect = [&](const response& r, int status) {
                if (r.status != status && wrong++ == 0) std::fprintf(stderr, "unexpected %d: %s\n", r.status, r.body.c_str());
                return r.status == status;
            };
            for (int i = 0; i < o.requests; ++i) {
                const int step = i % 8;
                if (step < 3 || live.empty()) {
                    const auto r = http.send("POST", "/pessoas", R"({"nome":"c)" + std::to_string(c) + "-" + std::to_string(i) + R"(","idade":30})");
                    if (expect(r, 201)) live.push_back(std::stoll(r.body.substr(6)));
                } else if (step < 5) {
                    expect(http.send("GET", "/pessoas/" + std::to_string(live[static_cast<std::size_t>(i) % live.size()])), 200);
                } else if (step == 5) {
                    expect(http.send("GET", "/pessoas?limit=10&offset=" + std::to_string(i)), 200);
                } else if (step == 6) {
                    expect(http.send("PATCH", "/pessoas/" + std::to_string(live.back()), R"({"idade":31})"), 200);
                } else {
                    if (expect(http.send("DELETE", "/pessoas/" + std::to_string(live.front())), 204)) live.erase(live.begin());
                }
            }
        });
    }
    for (auto& t : threads) t.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (wrong) throw std::runtime_error(std::to_string(wrong.load()) + " unexpected answers");
    return o.clients * o.requests / seconds;
}

// One run: a fresh database file, a server with `handle` on it, the load.
template <class MakeHandler>
double run(const options& o, const std::string& name, MakeHandler make_handler) {
    const auto file = o.dir / ("structql-http-rps-" + std::to_string(::getpid()) + "-" + name + ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
    // The schema, as StructQL creates it, for both sides (and WAL, which stays on the file).
    pessoas::make_api("sqlite:///" + file.string(), 1);
    pessoas::http::server server("127.0.0.1", 0, o.threads, make_handler(file.string()));
    std::thread serving([&] { server.run(); });
    double rps = 0;
    try {
        rps = drive(server.port(), o);
    } catch (...) {
        server.stop();
        serving.join();
        throw;
    }
    server.stop();
    serving.join();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
    return rps;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view arg = argv[i];
        if (arg == "--clients") o.clients = std::atoi(argv[i + 1]);
        else if (arg == "--requests") o.requests = std::atoi(argv[i + 1]);
        else if (arg == "--runs") o.runs = std::atoi(argv[i + 1]);
        else if (arg == "--threads") o.threads = static_cast<std::size_t>(std::atoi(argv[i + 1]));
        else if (arg == "--dir") o.dir = argv[i + 1];
        else {
            std::fprintf(stderr, "usage: %s [--clients N] [--requests N] [--runs N] [--threads N] [--dir PATH]\n", argv[0]);
            return 2;
        }
    }
    try {
        std::vector<double> structql, handwritten;
        for (int r = 0; r < o.runs; ++r) {
            structql.push_back(run(o, "structql", [&](const std::string& path) { return pessoas::make_api("sqlite:///" + path, o.threads); }));
            handwritten.push_back(run(o, "sqlite3", [](const std::string& path) { return pessoas::http::handler(handwritten_api(path)); }));
            std::printf("run %d: structql %.0f req/s, hand-written sqlite3 %.0f req/s\n", r + 1, structql.back(), handwritten.back());
            std::fflush(stdout);
        }
        const double s = median(structql), h = median(handwritten);
        std::printf("median of %d runs (%d clients x %d requests, %zu server threads, %s):\n", o.runs, o.clients, o.requests,
                    o.threads, o.dir.c_str());
        std::printf("  structql     %8.0f req/s\n  sqlite3      %8.0f req/s\n  ratio        %8.2f (StructQL / hand-written)\n", s, h, s / h);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "http_rps: %s\n", e.what());
        return 1;
    }
}

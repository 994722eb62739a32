// The handlers: HTTP in, a session per request, JSON out (<structql/json.hpp>).
#include "api.hpp"

#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <structql/json.hpp>
#include <structql/postgresql.hpp>

#include "models.hpp"

namespace pessoas {

namespace {

namespace json = boost::json;
using http::request;
using http::response;

// A row or a route that does not exist: 404.
struct not_found {
    std::string what;
};

const sq::json_options strict{.extra_fields = sq::json_options::extra::forbid};

response json_response(int status, const json::value& body) { return {status, json::serialize(body), "application/json", {}}; }

response detail(int status, std::string_view text) { return json_response(status, json::object{{"detail", text}}); }

// 422's body, in FastAPI's shape: {"detail": [{"field": "idade", "problem": "missing"}, ...]}.
response unprocessable(const std::vector<sq::json_problem>& problems) {
    json::array items;
    for (const auto& p : problems) items.push_back(json::object{{"field", p.field}, {"problem", p.problem}});
    return json_response(422, json::object{{"detail", std::move(items)}});
}

response not_allowed(std::string allowed) {
    response out = detail(405, "method not allowed; allowed: " + allowed);
    out.headers.emplace_back("Allow", std::move(allowed));
    return out;
}

// An integer from the path or the query, in [low, high]; a problem naming `field` otherwise.
std::optional<std::int64_t> read_integer(std::vector<sq::json_problem>& problems, std::string_view field, std::string_view text,
                                         std::int64_t low, std::int64_t high) {
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size()) {
        problems.push_back({std::string(field), "expected an integer, found '" + std::string(text) + "'"});
        return std::nullopt;
    }
    if (value < low || value > high) {
        problems.push_back({std::string(field), "must be between " + std::to_string(low) + " and " + std::to_string(high)});
        return std::nullopt;
    }
    return value;
}

void throw_if_any(std::vector<sq::json_problem> problems, std::string what) {
    if (!problems.empty()) throw sq::json_error(std::move(what), std::move(problems));
}

std::int64_t path_id(std::string_view text) {
    std::vector<sq::json_problem> problems;
    auto id = read_integer(problems, "id", text, 1, std::numeric_limits<std::int64_t>::max());
    throw_if_any(std::move(problems), "path");
    return *id;
}

// The body as T (from_json: every problem named; a key T does not have is one).
template <class T>
T read_body(const request& r) {
    json::error_code ec;
    json::value document = json::parse(r.body, ec);
    if (ec) throw sq::json_error("request body", {{"", "not valid JSON: " + ec.message()}});
    return sq::from_json<T>(document, strict);
}

// What the types do not say: a name, an age a person can have.
void validate(const std::string& nome, const std::optional<int>& idade) {
    std::vector<sq::json_problem> problems;
    if (nome.empty()) problems.push_back({"nome", "must not be empty"});
    if (idade && (*idade < 0 || *idade > 150)) problems.push_back({"idade", "must be between 0 and 150"});
    throw_if_any(std::move(problems), "Pessoa");
}

// The path's segments: "/pessoas/7/documentos" -> pessoas, 7, documentos.
std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    while (!path.empty()) {
        const auto slash = path.find('/');
        if (slash != 0) out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

template <class Backend>
class api {
public:
    using session = sq::basic_session<Backend>;

    explicit api(const sq::basic_engine<Backend>& engine)
        : SessionLocal_(sq::sessionmaker(engine, {.autocommit = false, .autoflush = false})) {}

    response operator()(const request& r) const {
        try {
            return route(r);
        } catch (const not_found& e) {
            return detail(404, e.what);
        } catch (const sq::json_error& e) {
            return unprocessable(e.problems());
        } catch (const sq::integrity_error& e) {
            // The database's words name the constraint; the statement behind them is the
            // service's own business, not the client's.
            std::string_view message = e.what();
            return detail(409, message.substr(0, message.find(" [SQL: ")));
        } catch (const sq::retryable_error& e) {  // still busy after retry_transaction's attempts
            response out = detail(503, e.what());
            out.headers.emplace_back("Retry-After", "1");
            return out;
        }  // anything else is the server's failure: a 500 (http.cpp)
    }

private:
    response route(const request& r) const {
        const auto parts = segments(r.path);
        const auto& method = r.method;
        if (parts.size() == 1 && parts[0] == "pessoas") {
            if (method == "GET") return list(r);
            if (method == "POST") return create(r);
            return not_allowed("GET, POST");
        }
        if (parts.size() == 2 && parts[0] == "pessoas") {
            if (method == "GET") return get<Pessoa>(path_id(parts[1]));
            if (method == "PUT") return replace(path_id(parts[1]), r);
            if (method == "PATCH") return patch(path_id(parts[1]), r);
            if (method == "DELETE") return remove<Pessoa>(path_id(parts[1]));
            return not_allowed("GET, PUT, PATCH, DELETE");
        }
        if (parts.size() == 3 && parts[0] == "pessoas" && parts[2] == "documentos") {
            if (method == "GET") return documents(path_id(parts[1]));
            if (method == "POST") return add_document(path_id(parts[1]), r);
            return not_allowed("GET, POST");
        }
        if (parts.size() == 2 && parts[0] == "documentos") {
            if (method == "GET") return get<Documento>(path_id(parts[1]));
            if (method == "DELETE") return remove<Documento>(path_id(parts[1]));
            return not_allowed("GET, DELETE");
        }
        throw not_found{"no route for " + r.path};
    }

    // get_db: a session for this request, closed however the request ends (its destructor
    // closes it when f throws).
    template <class F>
    auto with_db(F&& f) const {
        session db = SessionLocal_();
        auto result = f(db);
        db.close();
        return result;
    }

    // A write: f in a session of its own, committed when f returns, rolled back and closed when
    // it throws, and run again from the start when it lost a race for the database.
    template <class F>
    auto in_transaction(F&& f) const {
        return sq::retry_transaction(SessionLocal_, std::forward<F>(f));
    }

    template <class T>
    static T& existing(session& db, std::int64_t id) {
        T* row = db.template get<T>(id);
        if (!row) throw not_found{std::string(sq::table<T>::name) + " " + std::to_string(id) + " not found"};
        return *row;
    }

    response list(const request& r) const {
        std::vector<sq::json_problem> problems;
        auto integer = [&](std::string_view name, std::int64_t low, std::int64_t high) -> std::optional<std::int64_t> {
            const auto text = r.param(name);
            return text ? read_integer(problems, name, *text, low, high) : std::nullopt;
        };
        const std::int64_t limit = integer("limit", 1, 100).value_or(20);
        const std::int64_t offset = integer("offset", 0, std::numeric_limits<std::int64_t>::max()).value_or(0);
        const auto idade_min = integer("idade_min", 0, 150);
        const auto idade_max = integer("idade_max", 0, 150);
        throw_if_any(std::move(problems), "query");
        const std::string nome(r.param("nome").value_or(""));

        return with_db([&](session& db) {
            using sq::col;
            // The name literally (% and _ escaped), any case; the age range only when one is given.
            const bool ages = idade_min.has_value() || idade_max.has_value();
            std::vector<Pessoa*> rows =
                db.template query<Pessoa>()
                    .filter(col<&Pessoa::nome>.icontains(nome) &&
                            sq::if_given(ages, col<&Pessoa::idade>.between(static_cast<int>(idade_min.value_or(0)),
                                                                           static_cast<int>(idade_max.value_or(150)))))
                    .order_by(col<&Pessoa::id>)
                    .limit(limit)
                    .offset(offset)
                    .all();
            json::array items;
            for (const Pessoa* p : rows) items.push_back(sq::to_json(*p));
            return json_response(200, items);
        });
    }

    template <class T>
    response get(std::int64_t id) const {
        return with_db([&](session& db) { return json_response(200, sq::to_json(existing<T>(db, id))); });
    }

    response create(const request& r) const {
        const auto in = read_body<PessoaIn>(r);
        validate(in.nome, in.idade);
        const Pessoa created = in_transaction([&](session& db) -> Pessoa {
            Pessoa& p = db.add(Pessoa{.nome = in.nome, .idade = in.idade});
            db.flush();  // the generated id
            return p;
        });
        response out = json_response(201, sq::to_json(created));
        out.headers.emplace_back("Location", "/pessoas/" + std::to_string(created.id.value));
        return out;
    }

    response replace(std::int64_t id, const request& r) const {
        const auto in = read_body<PessoaIn>(r);
        validate(in.nome, in.idade);
        return json_response(200, sq::to_json(in_transaction([&](session& db) -> Pessoa {
                                 Pessoa& p = existing<Pessoa>(db, id);
                                 p.nome = in.nome;
                                 p.idade = in.idade;
                                 return p;
                             })));
    }

    response patch(std::int64_t id, const request& r) const {
        json::error_code ec;
        const json::value fields = json::parse(r.body, ec);
        if (ec) throw sq::json_error("request body", {{"", "not valid JSON: " + ec.message()}});
        return json_response(200, sq::to_json(in_transaction([&](session& db) -> Pessoa {
                                 Pessoa& p = existing<Pessoa>(db, id);
                                 sq::patch_json(p, fields, strict);  // only the keys given; an id only as it is
                                 validate(p.nome, p.idade);
                                 return p;
                             })));
    }

    template <class T>
    response remove(std::int64_t id) const {
        in_transaction([&](session& db) {
            db.remove(existing<T>(db, id));
            return 0;
        });  // a person with documents: the commit's integrity_error, a 409
        return {204, {}, {}, {}};
    }

    response documents(std::int64_t pessoa_id) const {
        return with_db([&](session& db) {
            json::array items;
            for (const Documento* d : db.template children<&Documento::pessoa_id>(existing<Pessoa>(db, pessoa_id)))
                items.push_back(sq::to_json(*d));
            return json_response(200, items);
        });
    }

    response add_document(std::int64_t pessoa_id, const request& r) const {
        const auto in = read_body<DocumentoIn>(r);
        if (in.numero.empty()) throw sq::json_error("Documento", {{"numero", "must not be empty"}});
        const Documento created = in_transaction([&](session& db) -> Documento {
            existing<Pessoa>(db, pessoa_id);
            Documento& d = db.add(Documento{.pessoa_id = pessoa_id, .tipo = in.tipo, .numero = in.numero});
            db.flush();  // a number already taken: integrity_error, a 409
            return d;
        });
        response out = json_response(201, sq::to_json(created));
        out.headers.emplace_back("Location", "/documentos/" + std::to_string(created.id.value));
        return out;
    }

    sq::basic_sessionmaker<Backend> SessionLocal_;
};

}  // namespace

http::handler make_api(std::string_view database_url, std::size_t connections) {
    if (database_url.starts_with("postgresql")) {
        auto engine = sq::create_engine<sq::postgresql_backend>(database_url, {.pool_size = connections});
        sq::metadata<Pessoa, Documento>::create_all(engine);
        return api<sq::postgresql_backend>(engine);
    }
    // Write-ahead logging: readers do not wait for a writer's commit.
    auto engine = sq::create_engine(database_url, {.check_same_thread = false, .pool_size = connections, .wal = true});
    engine.on_connect([](sq::connection& c) { c.execute("PRAGMA foreign_keys=ON"); });
    sq::metadata<Pessoa, Documento>::create_all(engine);
    return api<sq::sqlite_backend>(engine);
}

}  // namespace pessoas

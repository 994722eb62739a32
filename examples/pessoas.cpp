// The seed's program (a SQLAlchemy + FastAPI tutorial's database module) in C++:
// an engine from a URL with check_same_thread off, PRAGMA foreign_keys=ON on every
// connection, sessionmaker(autocommit=false, autoflush=false), the Pessoa model,
// create_all, and one session per request that is always closed, as get_db does.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <structql/structql.hpp>

namespace sq = structql;

// class Pessoa(Base): __tablename__ = 'pessoas'; id, nome (indexed), idade
struct Pessoa {
    sq::primary_key<std::int64_t> id;
    sq::indexed<std::string> nome;
    std::optional<int> idade;
    static constexpr std::string_view table_name = "pessoas";
};

// SQLALCHEMY_DATABASE_URL = "sqlite:///./sql_app.db"
constexpr std::string_view database_url = "sqlite:///./sql_app.db";

// get_db(): a session per request, closed whatever happens (the destructor closes it too).
template <class Request>
auto with_db(const sq::basic_sessionmaker<sq::sqlite_backend>& SessionLocal, Request&& request) {
    sq::session db = SessionLocal();
    try {
        auto result = request(db);
        db.close();
        return result;
    } catch (...) {
        db.close();
        throw;
    }
}

static void print(const Pessoa& p) {
    std::printf("  Pessoa{id=%lld, nome=\"%s\", idade=%s}\n", static_cast<long long>(p.id.value), p.nome->c_str(),
                p.idade ? std::to_string(*p.idade).c_str() : "NULL");
}

int main() {
    // engine = create_engine(URL, connect_args={"check_same_thread": False})
    auto engine = sq::create_engine(database_url, {.check_same_thread = false});
    // event.listen(engine, 'connect', _fk_pragma_on_connect)
    engine.on_connect([](sq::connection& c) { c.execute("PRAGMA foreign_keys=ON"); });
    // SessionLocal = sessionmaker(autocommit=False, autoflush=False, bind=engine)
    auto SessionLocal = sq::sessionmaker(engine, {.autocommit = false, .autoflush = false});
    // Base.metadata.create_all(bind=engine)
    sq::metadata<Pessoa>::create_all(engine);
    std::printf("create_all: %.*s\n", static_cast<int>(sq::sql::create_table<Pessoa>.size()),
                sq::sql::create_table<Pessoa>.data());

    // Request 1: create two people and commit.
    auto ids = with_db(SessionLocal, [](sq::session& db) {
        Pessoa& ana = db.add(Pessoa{.nome = "Ana", .idade = 30});
        Pessoa& bia = db.add(Pessoa{.nome = "Bia", .idade = std::nullopt});
        db.commit();
        std::printf("request 1: added Ana (id %lld) and Bia (id %lld), committed\n", static_cast<long long>(ana.id.value),
                    static_cast<long long>(bia.id.value));
        return std::pair{ana.id.value, bia.id.value};
    });

    // Request 2: read them back, change one, commit.
    with_db(SessionLocal, [&](sq::session& db) {
        Pessoa* ana = db.get<Pessoa>(ids.first);
        std::printf("request 2: get(%lld) ->\n", static_cast<long long>(ids.first));
        print(*ana);
        ana->idade = 31;
        db.commit();
        std::printf("request 2: Ana is now 31, committed\n");
        return 0;
    });

    // Request 3: a change that is never committed is rolled back when the session closes.
    with_db(SessionLocal, [&](sq::session& db) {
        Pessoa* bia = db.get<Pessoa>(ids.second);
        bia->idade = 99;
        db.flush();
        std::printf("request 3: Bia's age flushed as 99 but not committed; closing the session\n");
        return 0;
    });

    // Request 4: query everyone with a known age, oldest name first.
    with_db(SessionLocal, [](sq::session& db) {
        auto people = db.query<Pessoa>()
                          .filter(sq::col<&Pessoa::idade>.is_not_null())
                          .order_by(sq::desc(sq::col<&Pessoa::nome>))
                          .all();
        std::printf("request 4: %zu people with an age (of %zu in all):\n", people.size(),
                    db.query<Pessoa>().count());
        for (Pessoa* p : people) print(*p);
        // Clean up so the example can run again with the same output.
        for (Pessoa* p : db.query<Pessoa>().all()) db.remove(*p);
        db.commit();
        return 0;
    });
    std::printf("done: ./sql_app.db\n");
}

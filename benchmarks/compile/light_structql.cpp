// Compile-time benchmark, light StructQL TU: one model, one insert, one get, one filtered
// query (the README's example, reduced). light_raw_sqlite3.cpp is the same by hand.
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include <structql/structql.hpp>

namespace sq = structql;

struct Pessoa {
    sq::primary_key<std::int64_t> id;
    sq::indexed<std::string> nome;
    std::optional<int> idade;
    static constexpr std::string_view table_name = "pessoas";
};

int main() {
    auto engine = sq::create_engine("sqlite:///:memory:");
    sq::metadata<Pessoa>::create_all(engine);
    auto Session = sq::sessionmaker(engine);
    std::int64_t id = 0;
    {
        auto db = Session();
        Pessoa& ana = db.add(Pessoa{.id = {}, .nome = "Ana", .idade = 30});
        db.commit();
        id = ana.id;
    }
    auto db = Session();
    Pessoa* p = db.get<Pessoa>(id);
    auto adults = db.query<Pessoa>().filter(sq::col<&Pessoa::idade> >= 1).all();
    std::printf("structql: %s %zu\n", p ? p->nome->c_str() : "-", adults.size());
    return p && adults.size() == 1 && adults[0] == p ? 0 : 1;
}

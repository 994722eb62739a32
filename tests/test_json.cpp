// <structql/json.hpp>: models and schemas to and from JSON. Expected JSON is written out by
// hand (RFC 4648's base64 vectors, ISO 8601 text, a time point built with std::chrono), and a
// model read from JSON is committed and looked at through the sqlite3 C API.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/pfr/ops.hpp>
#include <structql/json.hpp>
#include <structql/structql.hpp>

#include "support.hpp"

namespace json_test {

namespace sq = structql;
using namespace std::chrono;

enum class Cor { azul, verde };
enum class Nivel : std::int8_t { baixo = 1, alto = 2 };

}  // namespace json_test

template <>
struct structql::enum_values<json_test::Cor> {
    static constexpr std::pair<json_test::Cor, std::string_view> names[] = {{json_test::Cor::azul, "azul"},
                                                                             {json_test::Cor::verde, "verde"}};
};
template <>
struct structql::enum_values<json_test::Nivel> {
    static constexpr json_test::Nivel values[] = {json_test::Nivel::baixo, json_test::Nivel::alto};
};

namespace json_test {

struct Pessoa {
    sq::primary_key<std::int64_t> id;
    sq::unique<std::string> email;
    std::string nome;
    std::optional<std::int8_t> idade;
    double altura = 0;
    bool ativo = false;
    Cor cor = Cor::azul;
    Nivel nivel = Nivel::baixo;
    sq::timestamp criado{};
    sq::blob foto;
    static constexpr std::string_view table_name = "pessoas";
};

struct Endereco {
    std::string cidade;
    std::optional<std::string> cep;
};
// A response schema, not a model: nesting and lists.
struct Ficha {
    std::string nome;
    Endereco endereco;
    std::vector<std::string> tags;
    std::vector<Endereco> outros;
};

const sq::timestamp when = sys_days{year{2026} / December / 2} + hours{16} + minutes{7} + seconds{26} + milliseconds{500};

Pessoa ana() {
    return {.id = 7,
            .email = "ana@example.com",
            .nome = "Ana",
            .idade = 31,
            .altura = 1.62,
            .ativo = true,
            .cor = Cor::verde,
            .nivel = Nivel::alto,
            .criado = when,
            .foto = {std::byte{'f'}, std::byte{'o'}, std::byte{'o'}, std::byte{'b'}}};
}

std::vector<std::string> fields_of(const sq::json_error& e) {
    std::vector<std::string> fields;
    for (const auto& p : e.problems()) fields.push_back(p.field);
    return fields;
}

TEST_CASE("to_json writes each member under its name, in its JSON form", "[json]") {
    boost::json::value v = sq::to_json(ana());
    const auto& o = v.as_object();
    CHECK(o.size() == 10);
    CHECK(o.at("id").as_int64() == 7);
    CHECK(o.at("email").as_string() == "ana@example.com");
    CHECK(o.at("nome").as_string() == "Ana");
    CHECK(o.at("idade").as_int64() == 31);
    CHECK(o.at("altura").as_double() == 1.62);
    CHECK(o.at("ativo").as_bool());
    CHECK(o.at("cor").as_string() == "verde");
    CHECK(o.at("nivel").as_int64() == 2);
    CHECK(o.at("criado").as_string() == "2026-12-02T16:07:26.500000000Z");
    CHECK(o.at("foto").as_string() == "Zm9vYg==");  // RFC 4648: BASE64("foob")

    Pessoa unknown = ana();
    unknown.idade.reset();
    CHECK(sq::to_json(unknown).as_object().at("idade").is_null());
    unknown.altura = std::numeric_limits<double>::quiet_NaN();
    CHECK_THROWS_AS(sq::to_json(unknown), sq::data_error);
    unknown.altura = 1;
    unknown.cor = static_cast<Cor>(7);  // no name in enum_values<Cor>::names
    CHECK_THROWS_WITH(sq::to_json(unknown), Catch::StartsWith("to_json: Pessoa.cor: value 7 has no name"));

    Ficha ficha{.nome = "Ana", .endereco = {"Lisboa", std::nullopt}, .tags = {"a", "b"}, .outros = {{"Porto", "4000"}}};
    CHECK(boost::json::serialize(sq::to_json(ficha)) ==
          R"({"nome":"Ana","endereco":{"cidade":"Lisboa","cep":null},"tags":["a","b"],"outros":[{"cidade":"Porto","cep":"4000"}]})");
}

TEST_CASE("from_json reads what to_json wrote, and ISO 8601 and base64 written by others", "[json]") {
    Pessoa back = sq::from_json<Pessoa>(sq::to_json(ana()));
    CHECK(boost::pfr::eq(back, ana()));

    auto p = sq::from_json<Pessoa>(boost::json::parse(R"({
        "email": "bia@example.com", "nome": "Bia", "altura": 2, "ativo": false, "cor": "azul", "nivel": 1,
        "criado": "2026-12-02T16:07:26.5Z", "foto": "Zm9vYmFy"})"));
    CHECK(p.id == 0);  // the generated key may be left out
    CHECK(!p.idade);   // an optional may be left out
    CHECK(p.altura == 2.0);
    CHECK(p.criado == when);
    CHECK(p.foto == sq::blob{std::byte{'f'}, std::byte{'o'}, std::byte{'o'}, std::byte{'b'}, std::byte{'a'}, std::byte{'r'}});

    auto f = sq::from_json<Ficha>(boost::json::parse(R"({"nome":"x","endereco":{"cidade":"c"},"tags":[],"outros":[]})"));
    CHECK(f.endereco.cidade == "c");
    CHECK(!f.endereco.cep);
}

TEST_CASE("from_json reports every problem with its field, and unknown keys only when told to", "[json]") {
    auto body = boost::json::parse(R"({
        "email": 5, "altura": "alto", "idade": 300, "cor": "roxo", "nivel": 3, "ativo": null,
        "criado": "ontem", "foto": "%%%%", "apelido": "Aninha"})");
    try {
        (void)sq::from_json<Pessoa>(body);
        FAIL("no json_error");
    } catch (const sq::json_error& e) {
        CHECK(fields_of(e) ==
              std::vector<std::string>{"email", "nome", "idade", "altura", "ativo", "cor", "nivel", "criado", "foto"});
        const auto& problems = e.problems();
        CHECK(problems[0].problem == "expected a string, found an integer");
        CHECK(problems[1].problem == "missing");
        CHECK(problems[2].problem == "value 300 is out of range for a signed 8-bit integer");
        CHECK(problems[5].problem == "'roxo' is not one of: azul, verde");
        CHECK(problems[6].problem.find("not one of the enum's values") != std::string::npos);
        CHECK(std::string(e.what()).starts_with("invalid JSON for Pessoa: email: expected a string"));
    }
    sq::json_options strict{.extra_fields = sq::json_options::extra::forbid};
    try {
        (void)sq::from_json<Ficha>(
            boost::json::parse(R"({"nome":"x","endereco":{"cidade":1,"pais":"PT"},"tags":["a",2],"outros":{}})"), strict);
        FAIL("no json_error");
    } catch (const sq::json_error& e) {
        CHECK(fields_of(e) == std::vector<std::string>{"endereco.cidade", "endereco.pais", "tags[1]", "outros"});
    }
    CHECK_NOTHROW(sq::from_json<Ficha>(boost::json::parse(R"({"nome":"x","endereco":{"cidade":"c"},"tags":[],"outros":[],"mais":1})")));
    CHECK_THROWS_AS(sq::from_json<Ficha>(boost::json::parse("[1,2]")), sq::json_error);
}

TEST_CASE("patch_json sets only the fields given, and nothing when one is wrong", "[json]") {
    Pessoa p = ana();
    sq::patch_json(p, boost::json::parse(R"({"nome":"Ana Maria","idade":null})"));
    CHECK(p.nome == "Ana Maria");
    CHECK(!p.idade);
    CHECK(p.email == "ana@example.com");
    CHECK(p.criado == when);

    Pessoa before = p;
    CHECK_THROWS_AS(sq::patch_json(p, boost::json::parse(R"({"nome":"X","altura":"muito"})")), sq::json_error);
    CHECK(boost::pfr::eq(p, before));
    try {
        sq::patch_json(p, boost::json::parse(R"({"id":8})"));
        FAIL("no json_error");
    } catch (const sq::json_error& e) {
        CHECK(fields_of(e) == std::vector<std::string>{"id"});
    }
    CHECK_NOTHROW(sq::patch_json(p, boost::json::parse(R"({"id":7})")));

    // A key by convention (a member named `id`, no primary_key<>) is a key too.
    Endereco e{"Lisboa", std::nullopt};
    CHECK_NOTHROW(sq::patch_json(e, boost::json::parse(R"({"cidade":"Porto"})")));
    CHECK(e.cidade == "Porto");
    struct Nota {
        std::int64_t id = 0;
        std::string texto;
    };
    Nota n{.id = 3, .texto = "a"};
    CHECK_THROWS_AS(sq::patch_json(n, boost::json::parse(R"({"id":4})")), sq::json_error);
    CHECK(sq::from_json<Nota>(boost::json::parse(R"({"texto":"b"})")).id == 0);  // may be absent: generated
}

TEST_CASE("a model read from JSON is stored as given", "[json]") {
    structql_test::temp_dir dir;
    auto engine = sq::create_engine(dir.url("json.db"));
    sq::metadata<Pessoa>::create_all(engine);
    sq::session db(engine);
    auto& p = db.add(sq::from_json<Pessoa>(boost::json::parse(R"({
        "email": "c@example.com", "nome": "Caio", "idade": -5, "altura": 1.8, "ativo": true, "cor": "verde",
        "nivel": 2, "criado": "2000-01-01T00:00:00Z", "foto": ""})")));
    db.commit();
    CHECK(p.id > 0);
    structql_test::sqlite_file file(dir.path() / "json.db");
    auto rows = file.query("SELECT nome, idade, cor, nivel, criado, length(foto) FROM pessoas WHERE id = " +
                           std::to_string(p.id.value));
    REQUIRE(rows.size() == 1);
    CHECK(*rows[0][0] == "Caio");
    CHECK(*rows[0][1] == "-5");
    CHECK(*rows[0][2] == "verde");
    CHECK(*rows[0][3] == "2");
    CHECK(*rows[0][4] == "2000-01-01 00:00:00.000000000");
    CHECK(*rows[0][5] == "0");
    CHECK(boost::json::serialize(sq::to_json(*db.get<Pessoa>(p.id.value)).as_object().at("foto")) == R"("")");
}

}  // namespace json_test

#pragma once
// The service's models (the seed's "Models": SQLAlchemy classes) and schemas (its "Schemas":
// Pydantic classes, the request bodies; a model is its own response body).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <structql/structql.hpp>

namespace pessoas {

namespace sq = structql;

// class Pessoa(Base): __tablename__ = 'pessoas'; id, nome (indexed), idade
struct Pessoa {
    sq::primary_key<std::int64_t> id;
    sq::indexed<std::string> nome;
    std::optional<int> idade;
    static constexpr std::string_view table_name = "pessoas";
};

// The related model: a person's documents, each number once. A person who still has documents
// cannot be deleted (the foreign key's default action): 409.
struct Documento {
    sq::primary_key<std::int64_t> id;
    sq::foreign_key<&Pessoa::id> pessoa_id;
    std::string tipo;
    sq::unique<std::string> numero;
    static constexpr std::string_view table_name = "documentos";
};

// POST and PUT /pessoas: no id (the database gives it), nothing else.
struct PessoaIn {
    std::string nome;
    std::optional<int> idade;
};

// POST /pessoas/{id}/documentos: the person comes from the path.
struct DocumentoIn {
    std::string tipo;
    std::string numero;
};

}  // namespace pessoas

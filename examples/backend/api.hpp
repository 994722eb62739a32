#pragma once
// The REST API (README, "The backend service"), over SQLite or PostgreSQL:
//
//   GET    /pessoas?limit=&offset=&nome=&idade_min=&idade_max=   a page of people, by id
//   POST   /pessoas                       201 and the new person (body: PessoaIn)
//   GET    /pessoas/{id}                  also PUT (body: PessoaIn), PATCH (the fields given), DELETE
//   GET    /pessoas/{id}/documentos       also POST (body: DocumentoIn)
//   GET    /documentos/{id}               also DELETE
//
// One session per request, always closed (the seed's get_db). 404 for a row or a route that
// does not exist, 405 for a method a route does not have, 409 for an integrity error, 422 for
// bad input naming each field and its problem, 503 when the database stayed busy; 500 only for
// the server's own failures. StructQL stays behind this header: the server and its tests do
// not compile it.
#include <cstddef>
#include <string_view>

#include "http.hpp"

namespace pessoas {

// The API's handler over the database at `database_url`, a sqlite:// or postgresql:// URL:
// opens its engine (`connections` pooled connections), creates the tables that are missing.
http::handler make_api(std::string_view database_url, std::size_t connections);

}  // namespace pessoas

#pragma once
// The backend contract: what a database must provide for basic_engine<Backend>, its sessions and
// queries, written as concepts and checked where an engine type is made. A new database is new
// files only: a dialect (sql/), a statement and a connection type, and a trait naming them
// (docs/backends.md walks through it).
#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "structql/detail/statement_cache.hpp"
#include "structql/detail/static_text.hpp"
#include "structql/detail/std_parts.hpp"
#include "structql/engine_options.hpp"
#include "structql/schema/value_traits.hpp"
#include "structql/sql/dialect.hpp"
#include "structql/url.hpp"

namespace structql {

// How SQL is spelled: quoting, placeholders (written through the text writers of
// detail/static_text.hpp, at compile time), type names, generated keys, paging, savepoints.
template <class D>
concept sql_dialect = requires(detail::runtime_text& out) {
    { D::name } -> std::convertible_to<std::string_view>;
    { D::identifier_quote } -> std::convertible_to<char>;
    D::write_placeholder(out);
    D::write_typed_placeholder(out, column_type::integer);
    { D::type_name(column_type::integer) } -> std::convertible_to<std::string_view>;
    { D::generated_primary_key } -> std::convertible_to<std::string_view>;  // the key column's declaration
    { D::limit_all } -> std::convertible_to<std::string_view>;              // before an OFFSET without LIMIT
    { D::subquery_alias } -> std::convertible_to<std::string_view>;         // after a subquery in FROM
    { D::returns_generated_keys } -> std::convertible_to<bool>;             // INSERT ... RETURNING, else last_insert_id()
    { D::locks_rows } -> std::convertible_to<bool>;                         // SELECT ... FOR UPDATE / FOR SHARE
    { D::savepoint } -> std::convertible_to<std::string_view>;
    { D::release_savepoint } -> std::convertible_to<std::string_view>;
    { D::rollback_to_savepoint } -> std::convertible_to<std::string_view>;
    { D::count_parameters(std::string_view()) } -> std::convertible_to<std::size_t>;  // constexpr: raw SQL checked at compile time
    { D::case_insensitive_like } -> std::convertible_to<std::string_view>;     // " ILIKE ": ilike(), icontains(), ...
    D::write_extract_open(out, sql::date_part::year, column_type::timestamp);    // extract<part>(x): before x
    D::write_extract_close(out, sql::date_part::year, column_type::timestamp);   // and after it
};

// One prepared statement: bind (1-based) the six storage types, step, read (0-based), reset.
// Every error is a structql::error naming the statement. It derives from
// detail::cached_statement, where the statement cache marks it in use.
// Optional: stream(batch) before the first step() and finish() after the last, for a database
// whose client would otherwise receive the whole result at once (PostgreSQL's cursor;
// detail::stream_statement).
template <class S>
concept backend_statement = std::derived_from<S, detail::cached_statement> &&
                            requires(S& s, const S& cs, int i, std::string text, const std::string& lvalue) {
    s.bind_null(i);
    s.bind(i, true);
    s.bind(i, std::int64_t{});
    s.bind(i, double{});
    s.bind(i, lvalue);            // may keep a pointer to it until reset()
    s.bind(i, std::move(text));   // must copy
    s.bind(i, blob{});
    s.bind(i, timestamp{});
    { s.step() } -> std::same_as<bool>;  // true: a row is there to read
    s.reset();                            // ready to bind and run again (noexcept)
    { cs.sql() } -> std::convertible_to<std::string_view>;
    { cs.column_count() } -> std::convertible_to<int>;
    { cs.column_name(i) } -> std::convertible_to<std::string_view>;  // as the database names it
    { cs.parameter_count() } -> std::convertible_to<int>;
    { cs.is_null(i) } -> std::same_as<bool>;
    { cs.template read<bool>(i) } -> std::same_as<bool>;
    { cs.template read<std::int64_t>(i) } -> std::same_as<std::int64_t>;
    { cs.template read<double>(i) } -> std::same_as<double>;
    { cs.template read<std::string>(i) } -> std::same_as<std::string>;
    { cs.template read<blob>(i) } -> std::same_as<blob>;
    { cs.template read<timestamp>(i) } -> std::same_as<timestamp>;
};

// One physical connection with its cache of prepared statements. Statements are prepared once
// per connection: compile-time text is keyed by its address, run-time text by its contents,
// generated shapes by (tag, variant); run-time ones are kept up to the engine's
// statement_cache_size. Prepared text is one statement.
template <class C, class Statement, class ConnectArgs>
concept backend_connection =
    std::constructible_from<C, const ConnectArgs&, detail::engine_context*> &&
    requires(C& c, const C& cc, std::string_view sql, const void* tag, std::string (*build)()) {
        typename C::native_handle_type;
        { c.native_handle() } -> std::same_as<typename C::native_handle_type>;
        { c.prepare_static(sql) } -> std::same_as<Statement&>;
        { c.prepare_text(std::string(sql)) } -> std::same_as<Statement&>;
        { c.prepare_generated(tag, std::uint64_t{}, build) } -> std::same_as<Statement&>;
        c.execute(sql);  // raw SQL, no parameters, several statements allowed
        c.begin();        // as the engine's options say
        c.begin_write();  // a transaction whose first statement writes (SQLite: BEGIN IMMEDIATE)
        c.commit();
        c.rollback();
        { cc.in_transaction() } -> std::same_as<bool>;
        { c.last_insert_id() } -> std::convertible_to<std::int64_t>;  // when the dialect has no RETURNING
        { cc.changes() } -> std::convertible_to<std::int64_t>;         // rows the last write changed
        { cc.enforces_foreign_keys() } -> std::same_as<bool>;          // ON DELETE actions happen
        { cc.broken() } -> std::same_as<bool>;                         // never to be lent again
        c.reset_for_pool();                                             // no transaction, no statement running
        { c.ping() } -> std::same_as<bool>;                             // the pool's pre-ping
        { cc.opened_at() } -> std::same_as<std::chrono::steady_clock::time_point>;
    };

// The trait an engine is templated on: it names the dialect, the connection and statement
// types and the connect arguments, and turns a URL into those arguments.
template <class B>
concept backend = requires(const url& u, engine_options& options, const typename B::connect_args& args,
                           std::string_view message) {
    requires sql_dialect<typename B::dialect>;
    requires backend_statement<typename B::statement_type>;
    requires backend_connection<typename B::connection_type, typename B::statement_type, typename B::connect_args>;
    { B::connect_args_from(u, options) } -> std::same_as<typename B::connect_args>;  // url_error when not its URL
    { B::keeps_one_open(args) } -> std::same_as<bool>;  // the engine holds one connection for the database's life
    { B::is_foreign_key_violation(message) } -> std::same_as<bool>;
};

}  // namespace structql

#pragma once
// The library's own way into the members of connections and sessions that users do not see:
// the backend connection a lent connection wraps, and the interface a query runs on (a source:
// a session, whose rows are tracked objects, or a connection, whose rows are values).
#include <cstddef>
#include <utility>

namespace structql::detail {

struct access {
    // The backend connection behind a lent basic_connection (checked: still lent, right thread).
    template <class Connection>
    static auto& backend_connection(Connection& c) {
        return c.backend();
    }
    // Throws operational_error when check_same_thread forbids this thread to use the connection.
    template <class Connection>
    static void check_thread(const Connection& c) {
        c.check_thread();
    }

    // Runs a SELECT, binding through binder(statement) and handing each row to on_row(statement)
    // until it returns false. Reads: the models it reads (a session's autoflush writes their
    // changes first), void when unknown.
    template <class Reads, class Source, class... A>
    static void select_rows(Source& source, A&&... arguments) {
        source.template select_rows<Reads>(std::forward<A>(arguments)...);
    }
    // select_rows whose rows come `batch` at a time (detail::stream_statement): for_each, yield_per.
    template <class Reads, class Source, class... A>
    static void stream_rows(Source& source, A&&... arguments) {
        source.template stream_rows<Reads>(std::forward<A>(arguments)...);
    }
    // yield_per(n, fn, expunge_batches) on a session: the count of T objects tracked where a
    // batch begins, and after fn(batch) the flush and untracking of the objects the batch loaded.
    template <class T, class Source>
    static std::size_t batch_mark(Source& source) {
        return source.template batch_mark<T>();
    }
    template <class T, class Source>
    static void release_batch(Source& source, std::size_t mark, std::size_t end) {
        source.template release_batch<T>(mark, end);
    }
    // One result row as the source returns it (tracked objects or values), or as values.
    template <class Parts, class Source, class Statement>
    static auto read_row(Source& source, const Statement& statement) {
        return source.template read_row<Parts>(statement);
    }
    template <class Parts, class Source, class Statement>
    static auto read_value_row(Source& source, const Statement& statement) {
        return source.template read_value_row<Parts>(statement);
    }
    // The source a query runs on, for what combines queries (UNION).
    template <class Query>
    static auto& source_of(const Query& query) {
        return query.source();
    }
    // A query's parts (query_parts), for what writes it into another statement (a CTE).
    template <class Query>
    static constexpr const auto& parts_of(const Query& query) {
        return query.parts_;
    }
    // A bulk UPDATE or DELETE of T's rows: the number changed.
    template <class T, class Source, class... A>
    static std::size_t bulk_write(Source& source, A&&... arguments) {
        return source.template bulk_write<T>(std::forward<A>(arguments)...);
    }
};

}  // namespace structql::detail

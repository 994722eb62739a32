#pragma once
// Numbered migrations: steps (SQL text or a C++ function of the connection), each run exactly
// once per database, in version order, recorded in the table structql_migrations. Each step runs
// in a transaction of its own with its record: a step that fails is rolled back entirely, and
// the steps before it stay applied. Two processes starting at once take turns (SQLite: BEGIN
// IMMEDIATE; PostgreSQL: pg_advisory_xact_lock), and the second finds the steps done.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "structql/detail/access.hpp"
#include "structql/errors.hpp"
#include "structql/migrate/plan.hpp"

namespace structql {

template <class Backend>
struct basic_migration {
    using step_function = std::function<void(basic_connection<Backend>&)>;

    basic_migration(std::int64_t number, std::string what, step_function step)
        : version(number), description(std::move(what)), run(std::move(step)) {}
    // Raw SQL, one or more statements.
    basic_migration(std::int64_t number, std::string what, std::string sql)
        : version(number), description(std::move(what)), run([sql = std::move(sql)](basic_connection<Backend>& c) { c.execute(sql); }) {}
    basic_migration(std::int64_t number, std::string what, const char* sql)
        : basic_migration(number, std::move(what), std::string(sql)) {}

    std::int64_t version;  // > 0, increasing along the list
    std::string description;
    step_function run;
};

namespace detail {

template <class Backend>
std::string create_migrations_table() {
    using D = typename Backend::dialect;
    runtime_text out;
    out.append("CREATE TABLE IF NOT EXISTS ");
    sql::write_identifier<D>(out, migrations_table);
    out.append(" (\"version\" ");
    out.append(D::type_name(column_type::integer));
    out.append(" PRIMARY KEY, \"description\" TEXT NOT NULL, \"applied_at\" ");
    out.append(D::type_name(column_type::timestamp));
    out.append(" NOT NULL DEFAULT CURRENT_TIMESTAMP)");
    return std::move(out.text);
}

template <class Backend>
std::string migration_statement_text(std::string_view verb_and_table, std::string_view rest, std::size_t parameters) {
    using D = typename Backend::dialect;
    runtime_text out;
    out.append(verb_and_table);
    sql::write_identifier<D>(out, migrations_table);
    out.append(rest);
    for (std::size_t i = 0; i < parameters; ++i) {
        out.append(i == 0 ? "" : ", ");
        D::write_placeholder(out);
    }
    out.append(parameters > 1 ? ")" : "");
    return std::move(out.text);
}

}  // namespace detail

// Runs the steps the database has not run yet, in order; returns how many this call ran. A step
// that throws is rolled back and reported as a migration_error naming it (a retryable_error,
// a lock that was not free in time, passes through as it is).
template <class Backend>
std::size_t run_migrations(const basic_engine<Backend>& bound, const std::vector<basic_migration<Backend>>& steps) {
    for (std::size_t i = 0; i < steps.size(); ++i)
        if (steps[i].version <= 0 || (i > 0 && steps[i].version <= steps[i - 1].version))
            throw migration_error("migration versions must be positive and increase along the list: " +
                                  std::to_string(steps[i].version) + " (\"" + steps[i].description + "\") comes after " +
                                  (i > 0 ? std::to_string(steps[i - 1].version) : std::string("the start")));
    const std::string create = detail::create_migrations_table<Backend>();
    const std::string find = detail::migration_statement_text<Backend>("SELECT count(*) FROM ", " WHERE \"version\" = ", 1);
    const std::string record = detail::migration_statement_text<Backend>(
        "INSERT INTO ", " (\"version\", \"description\") VALUES (", 2);
    auto c = bound.connect();
    auto& raw = detail::access::backend_connection(c);
    std::size_t applied = 0;
    for (const auto& step : steps) {
        try {
            raw.begin_write();
            detail::take_migration_lock(c);
            c.execute(create);
            auto done = c.template fetch<std::tuple<std::int64_t>>(runtime_sql(find), step.version);
            if (std::get<0>(done.at(0)) == 0) {
                step.run(c);
                c.execute(runtime_sql(record), step.version, step.description);
                ++applied;
            }
            raw.commit();
        } catch (const retryable_error&) {
            if (raw.in_transaction()) raw.rollback();
            throw;
        } catch (const std::exception& e) {
            if (raw.in_transaction()) raw.rollback();
            throw migration_error("migration " + std::to_string(step.version) + " (\"" + step.description +
                                  "\") failed and was rolled back; the steps before it stay applied: " + e.what());
        }
    }
    return applied;
}

// The highest version recorded in structql_migrations; 0 when none (or no table yet).
template <class Backend>
std::int64_t migration_version(const basic_engine<Backend>& bound) {
    auto c = bound.connect();
    live_schema live = inspect(c);
    if (!live.table(migrations_table)) return 0;
    auto rows = c.template fetch<std::tuple<std::optional<std::int64_t>>>(runtime_sql(
        detail::migration_statement_text<Backend>("SELECT max(\"version\") FROM ", "", 0)));
    return std::get<0>(rows.at(0)).value_or(0);
}

}  // namespace structql

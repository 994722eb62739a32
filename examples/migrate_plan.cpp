// migrate_plan: prints what it would take to bring a database to the models compiled in below
// -- the changes, then the SQL, in one transaction -- and with --apply runs it.
//
//     migrate_plan [--apply] [--drop] <database URL>
//
// Nothing is dropped without --drop; a change that would lose data (narrowing, NOT NULL over
// NULLs) is refused with a message naming the table, the column and the rows. Exit status: 0
// when the database matches the models (or now does), 1 when changes are pending, 2 on error.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <structql/migrate.hpp>
#if STRUCTQL_EXAMPLE_POSTGRESQL
#include <structql/postgresql.hpp>
#endif

namespace sq = structql;

struct Pessoa {
    sq::primary_key<std::int64_t> id;
    sq::indexed<std::string> nome;
    std::optional<int> idade;
    static constexpr std::string_view table_name = "pessoas";
};
struct Post {
    std::int64_t id;
    sq::foreign_key<&Pessoa::id> author_id;
    sq::unique<std::string> slug;
    std::vector<std::byte> cover;
};
using models = sq::metadata<Pessoa, Post>;

template <class Backend>
int run(std::string_view url, bool apply, bool drop) {
    sq::basic_engine<Backend> engine(url);
    sq::migration_options options{.drop = drop};
    sq::migration_plan plan = sq::plan_migration<models>(engine, options);
    std::fputs(plan.sql().c_str(), stdout);
    if (plan.empty()) return 0;
    if (!apply) return 1;
    plan.apply(engine);
    std::puts("-- applied");
    return 0;
}

int main(int argc, char** argv) {
    bool apply = false, drop = false;
    std::string_view url;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--apply") apply = true;
        else if (arg == "--drop") drop = true;
        else url = arg;
    }
    if (url.empty()) {
        std::fputs("usage: migrate_plan [--apply] [--drop] <database URL>\n", stderr);
        return 2;
    }
    try {
#if STRUCTQL_EXAMPLE_POSTGRESQL
        if (url.starts_with("postgresql")) return run<sq::postgresql_backend>(url, apply, drop);
#endif
        return run<sq::sqlite_backend>(url, apply, drop);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "migrate_plan: %s\n", e.what());
        return 2;
    }
}

// StructQL's benchmark suite: every workload of Diesel's benchmarks, implemented five ways,
// on an in-memory database and on a WAL file, and on PostgreSQL (implementations(storage::postgresql))
// when $STRUCTQL_BENCH_POSTGRES_URL names a server. Benchmarks are named
// <storage>/<workload>[/<size>]/<implementation>; tools/bench-report.py turns a run into tables.
// PostgreSQL benchmarks measure wall time (UseRealTime): the work is in the server.
//
// Own options (the rest are Google Benchmark's):
//   --smoke                 a few hundred rows per workload instead of 10,000 (the CI run)
//   --list-implementations  the implementation names, one per line
//   --rss=<implementation>  load --rss-rows users (default 100,000) from a WAL file through one
//                           implementation and print the process's peak RSS as one JSON line
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace {

using namespace bench;

std::vector<implementation> implementations(storage kind = storage::memory) {
    if (kind == storage::postgresql)
        return {libpq_prepared_once(), structql_values_postgresql(), structql_session_postgresql()};
    return {sqlite3_prepared_once(), sqlite3_prepared_per_call(), sqlitecpp(), structql_values(), structql_session()};
}

// The storages to run on: PostgreSQL too when its server answers.
std::vector<storage> storages() {
    std::vector<storage> kinds{storage::memory, storage::wal_file};
    if (std::optional<std::string> url = postgres_server_url()) {
        try {
            PQfinish(connect_postgres(*url));
            kinds.push_back(storage::postgresql);
        } catch (const std::exception& e) {
            std::cerr << "PostgreSQL benchmarks skipped: " << e.what() << std::endl;
        }
    }
    return kinds;
}

struct workload_info {
    workload_id id;
    const char* name;
    std::vector<std::int64_t> sizes;  // empty: no size argument
};

std::vector<workload_info> workload_list() {
    const sizes_t& s = sizes();
    return {{w_insert_one_by_one, "insert_one_by_one", {}},
            {w_insert_batch, "insert_batch", s.batches},
            {w_get_by_pk, "get_by_pk", {}},
            {w_load_all, "load_all", {}},
            {w_trivial_query, "trivial_query", s.trivial},
            {w_medium_complex_query, "medium_complex_query", s.medium},
            {w_loading_associations_sequentially, "loading_associations_sequentially", {}},
            {w_update_by_pk, "update_by_pk", {}},
            {w_delete_by_pk, "delete_by_pk", {}},
            {w_insert_batch_commit, "insert_batch_commit", s.batch_commits},
            {w_load_update_commit, "load_update_commit", {}}};
}

void register_benchmarks(const std::vector<storage>& kinds) {
    for (storage kind : kinds) {
        std::vector<implementation> impls = implementations(kind);
        for (const workload_info& w : workload_list()) {
            std::vector<std::int64_t> args = w.sizes.empty() ? std::vector<std::int64_t>{0} : w.sizes;
            for (std::int64_t arg : args) {
                auto add = [&](const std::string& impl_name, benchmark_fn run) {
                    std::string name(storage_name(kind));
                    for (std::string part : {std::string(w.name), w.sizes.empty() ? "" : std::to_string(arg), impl_name})
                        if (!part.empty()) name.append("/").append(part);
                    auto* b = benchmark::RegisterBenchmark(name.c_str(), [run, kind, arg](benchmark::State& state) {
                        guarded(state, [&] { run(state, kind, arg); });
                    });
                    b->Unit(benchmark::kMicrosecond);
                    if (kind == storage::postgresql) b->UseRealTime();
                };
                for (const implementation& impl : impls) add(impl.name, impl.run[w.id]);
                // Batches of rows against the row loop too (issue #14: "batching beats the row loop").
                if (w.id == w_insert_batch_commit && kind != storage::postgresql)
                    add("a_sqlite3_row_loop", sqlite3_row_loop_commits());
            }
        }
    }
}

const implementation* find_implementation(const std::vector<implementation>& impls, const std::string& name) {
    for (const implementation& impl : impls)
        if (impl.name == name || (name.size() == 1 && impl.name[0] == name[0])) return &impl;
    return nullptr;
}

// Seeds the file in a child process, so that seeding does not count in this process's peak.
bool seed_in_child(const target& where, std::int64_t rows) {
    pid_t child = ::fork();
    if (child == 0) {
        int status = 0;
        try {
            sqlite3* db = nullptr;
            sqlite3_open(where.sqlite_filename().c_str(), &db);
            for (const std::string& pragma : configuration_pragmas(where.kind)) exec(db, pragma);
            create_schema(db);
            seed(db, users_data(rows));
            sqlite3_close(db);
        } catch (const std::exception& e) {
            std::cerr << "seeding failed: " << e.what() << std::endl;
            status = 1;
        }
        ::_exit(status);
    }
    int status = 0;
    return child > 0 && ::waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int measure_peak_rss(const std::string& name, std::int64_t rows) {
    std::vector<implementation> impls = implementations();
    const implementation* impl = find_implementation(impls, name);
    if (!impl) {
        std::cerr << "--rss: no implementation '" << name << "'; see --list-implementations\n";
        return 2;
    }
    scratch_database scratch(storage::wal_file);
    if (!seed_in_child(scratch.where(), rows)) return 1;
    rss_figures r = impl->rss(scratch.where());
    std::cout << "{\"implementation\": \"" << impl->name << "\", \"rows\": " << rows
              << ", \"loaded_rows\": " << r.loaded.rows << ", \"baseline_kib\": " << r.baseline_kib
              << ", \"peak_kib\": " << r.peak_kib << "}" << std::endl;
    return r.loaded.rows == rows ? 0 : 1;
}

// Takes our own options out of argv, leaving Google Benchmark's.
struct options {
    bool list = false;
    std::string rss;
    std::int64_t rss_rows = 100'000;
};
options take_own_options(int& argc, char** argv) {
    options o;
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--smoke") {
            sizes() = sizes_t{.rows = 100,
                              .batches = {1, 10, 25, 50, 100},
                              .trivial = {1, 100},
                              .medium = {1, 100},
                              .association_users = 10,
                              .posts_per_user = 3,
                              .comments_per_post = 3};
        } else if (a == "--list-implementations") {
            o.list = true;
        } else if (a.starts_with("--rss=")) {
            o.rss = std::string(a.substr(6));
        } else if (a.starts_with("--rss-rows=")) {
            o.rss_rows = std::stoll(std::string(a.substr(11)));
        } else {
            argv[kept++] = argv[i];
        }
    }
    argc = kept;
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    options o = take_own_options(argc, argv);
    if (o.list) {
        for (const implementation& impl : implementations()) std::cout << impl.name << "\n";
        return 0;
    }
    if (!o.rss.empty()) return measure_peak_rss(o.rss, o.rss_rows);

    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
    benchmark::AddCustomContext("sqlite_version", sqlite3_libversion());
    benchmark::AddCustomContext("structql_version", STRUCTQL_VERSION_STRING);
    benchmark::AddCustomContext("wal_directory", scratch_directory().string());
    benchmark::AddCustomContext("rows", std::to_string(sizes().rows));
    std::vector<storage> kinds = storages();
    if (kinds.back() == storage::postgresql) {
        PGconn* server = connect_postgres(*postgres_server_url());
        benchmark::AddCustomContext("postgresql_version", std::to_string(PQserverVersion(server)));
        PQfinish(server);
    }
    register_benchmarks(kinds);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return any_failure() ? 1 : 0;
}

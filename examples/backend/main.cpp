// pessoas_backend: the seed's FastAPI backend in C++ (api.hpp lists its routes).
//
//   pessoas_backend [--host ADDRESS] [--port N] [--threads N] [DATABASE_URL]
//
// The database: the URL given, else the environment's DATABASE_URL, else the seed's
// sqlite:///./sql_app.db. --port 0 takes any free port; the line "listening on
// http://ADDRESS:PORT" on standard output says which. SIGINT or SIGTERM stops it.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <thread>

#include "api.hpp"
#include "http.hpp"

int main(int argc, char** argv) {
    std::string host = "127.0.0.1";
    unsigned long port = 8000;
    std::size_t threads = std::max(2u, std::thread::hardware_concurrency());
    std::string url;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const bool has_value = i + 1 < argc;
        if (arg == "--host" && has_value) host = argv[++i];
        else if (arg == "--port" && has_value) port = std::stoul(argv[++i]);
        else if (arg == "--threads" && has_value) threads = std::stoul(argv[++i]);
        else if (!arg.starts_with("--") && url.empty()) url = arg;
        else {
            std::fprintf(stderr, "usage: %s [--host ADDRESS] [--port N] [--threads N] [DATABASE_URL]\n", argv[0]);
            return 2;
        }
    }
    if (url.empty()) url = std::getenv("DATABASE_URL") ? std::getenv("DATABASE_URL") : "sqlite:///./sql_app.db";
    try {
        pessoas::http::server server(host, static_cast<unsigned short>(port), threads, pessoas::make_api(url, threads));
        server.stop_on_signals();
        // The URL only for SQLite: a PostgreSQL one may hold a password.
        std::printf("pessoas_backend: listening on http://%s:%u (%s)\n", host.c_str(), server.port(),
                    url.starts_with("sqlite") ? url.c_str() : "postgresql");
        std::fflush(stdout);
        server.run();
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pessoas_backend: %s\n", e.what());
        return 1;
    }
}

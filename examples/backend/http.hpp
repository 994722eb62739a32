#pragma once
// A small HTTP/1.1 server and client on Boost.Beast and Boost.Asio, behind plain types: the
// service's handlers, its tests and its benchmark see requests and responses, never Beast
// (which is compiled once, in http.cpp).
//
//     pessoas::http::server server("127.0.0.1", 8000, 4, [](const request& r) { return response{...}; });
//     server.run();   // until stop() or, after stop_on_signals(), SIGINT / SIGTERM
//
// The server: a pool of threads running one io_context; each connection is read and answered
// in turn (keep-alive), the handler called on a pool thread. The client: one keep-alive
// connection, blocking.
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pessoas::http {

using fields = std::vector<std::pair<std::string, std::string>>;

struct request {
    std::string method;  // "GET", "POST", ...
    std::string path;    // percent-decoded, without the query
    fields query;        // the query's parameters, percent-decoded, in order
    std::string body;

    // The query parameter `name`, when given.
    std::optional<std::string_view> param(std::string_view name) const;
};

struct response {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
    fields headers;  // more of them (Allow, Location, ...)

    std::optional<std::string_view> header(std::string_view name) const;
};

using handler = std::function<response(const request&)>;

class server {
public:
    // Listens at once on address:port (port 0: any free port, see port()); threads >= 1.
    server(const std::string& address, unsigned short port, std::size_t threads, handler handle);
    ~server();
    server(const server&) = delete;
    server& operator=(const server&) = delete;

    unsigned short port() const;
    // SIGINT and SIGTERM stop the server (a program's main, not a library's).
    void stop_on_signals();
    // Serves on the pool's threads, this one included, until stop().
    void run();
    // From any thread: run() returns; open connections are dropped.
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

class client {
public:
    client(const std::string& address, unsigned short port);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // One request on the connection (a JSON body when not empty); throws on a network error.
    response send(std::string_view method, std::string_view target, std::string_view body = {});

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace pessoas::http

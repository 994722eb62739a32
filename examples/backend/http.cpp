// The Beast side of http.hpp: an asynchronous server (Beast's "advanced server" shape: one
// io_context, a pool of threads running it, a strand per connection) and a blocking client.
#include "http.hpp"

#include <chrono>
#include <csignal>
#include <exception>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>

namespace pessoas::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

std::optional<std::string_view> find(const fields& all, std::string_view name) {
    for (const auto& [key, value] : all)
        if (beast::iequals(key, name)) return std::string_view(value);
    return std::nullopt;
}

// The server's own answers (a target it cannot parse, a handler's failure) are plain text: the
// handlers' JSON is theirs.
response error_response(int status, std::string_view detail) { return {status, std::string(detail), "text/plain", {}}; }

// The handler's answer to a parsed request; an exception it lets through is a 500.
response answer(const handler& handle, const bhttp::request<bhttp::string_body>& in) {
    auto target = boost::urls::parse_origin_form(in.target());
    if (!target) return error_response(400, "malformed request target");
    request r;
    r.method = std::string(in.method_string());
    r.path = target->path();
    for (auto param : target->params()) r.query.emplace_back(param.key, param.value);
    r.body = in.body();
    try {
        return handle(r);
    } catch (const std::exception& e) {
        return error_response(500, e.what());
    }
}

class connection : public std::enable_shared_from_this<connection> {
public:
    connection(tcp::socket socket, const handler& handle) : stream_(std::move(socket)), handle_(handle) {}

    void start() {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
    }

private:
    void read() {
        request_ = {};
        stream_.expires_after(std::chrono::seconds(60));  // an idle keep-alive connection
        bhttp::async_read(stream_, buffer_, request_,
                          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
    }

    void on_read(beast::error_code ec) {
        if (ec == bhttp::error::end_of_stream) return close();
        if (ec) return;  // a reset, a timeout, a request Beast cannot parse: the connection ends
        response out = answer(handle_, request_);
        response_ = {};
        response_.result(static_cast<unsigned>(out.status));
        response_.version(request_.version());
        response_.set(bhttp::field::server, "pessoas_backend");
        if (!out.body.empty()) response_.set(bhttp::field::content_type, out.content_type);
        for (const auto& [name, value] : out.headers) response_.set(name, value);
        response_.body() = std::move(out.body);
        response_.keep_alive(request_.keep_alive());
        response_.prepare_payload();
        bhttp::async_write(stream_, response_, [self = shared_from_this()](beast::error_code written, std::size_t) {
            if (written) return;
            if (self->response_.keep_alive()) self->read();
            else self->close();
        });
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    bhttp::request<bhttp::string_body> request_;
    bhttp::response<bhttp::string_body> response_;
    const handler& handle_;
};

}  // namespace

std::optional<std::string_view> request::param(std::string_view name) const {
    for (const auto& [key, value] : query)
        if (key == name) return std::string_view(value);
    return std::nullopt;
}

std::optional<std::string_view> response::header(std::string_view name) const { return find(headers, name); }

struct server::impl {
    impl(const std::string& address, unsigned short port, std::size_t threads, handler h)
        : threads(threads < 1 ? 1 : threads),
          context(static_cast<int>(this->threads)),
          acceptor(context, tcp::endpoint(asio::ip::make_address(address), port)),
          handle(std::move(h)) {}

    void accept() {
        acceptor.async_accept(asio::make_strand(context), [this](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted) return;
            if (!ec) std::make_shared<connection>(std::move(socket), handle)->start();
            accept();
        });
    }

    std::size_t threads;
    asio::io_context context;
    tcp::acceptor acceptor;
    handler handle;
    std::optional<asio::signal_set> signals;
};

server::server(const std::string& address, unsigned short port, std::size_t threads, handler handle)
    : impl_(std::make_unique<impl>(address, port, threads, std::move(handle))) {
    impl_->accept();
}

server::~server() = default;

unsigned short server::port() const { return impl_->acceptor.local_endpoint().port(); }

void server::stop_on_signals() {
    impl_->signals.emplace(impl_->context, SIGINT, SIGTERM);
    impl_->signals->async_wait([this](beast::error_code ec, int) {
        if (!ec) stop();
    });
}

void server::run() {
    std::vector<std::thread> pool;
    for (std::size_t i = 1; i < impl_->threads; ++i) pool.emplace_back([this] { impl_->context.run(); });
    impl_->context.run();
    for (auto& t : pool) t.join();
}

void server::stop() { impl_->context.stop(); }

struct client::impl {
    asio::io_context context;
    beast::tcp_stream stream{context};
    beast::flat_buffer buffer;
    std::string host;
};

client::client(const std::string& address, unsigned short port) : impl_(std::make_unique<impl>()) {
    impl_->stream.connect(tcp::endpoint(asio::ip::make_address(address), port));
    impl_->stream.socket().set_option(tcp::no_delay(true));
    impl_->host = address + ":" + std::to_string(port);
}

client::~client() {
    beast::error_code ignored;
    impl_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

response client::send(std::string_view method, std::string_view target, std::string_view body) {
    bhttp::request<bhttp::string_body> out;
    out.method_string(method);
    out.target(target);
    out.version(11);
    out.set(bhttp::field::host, impl_->host);
    if (!body.empty()) {
        out.set(bhttp::field::content_type, "application/json");
        out.body() = std::string(body);
    }
    out.keep_alive(true);
    out.prepare_payload();
    bhttp::write(impl_->stream, out);

    bhttp::response<bhttp::string_body> in;
    bhttp::read(impl_->stream, impl_->buffer, in);
    response r;
    r.status = static_cast<int>(in.result_int());
    r.content_type = std::string(in[bhttp::field::content_type]);
    for (const auto& field : in) r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    r.body = std::move(in.body());
    return r;
}

}  // namespace pessoas::http

#pragma once
// Fuzz target: the URL parser. Any text must either parse or throw structql::url_error (never
// another exception, never a crash); a parsed URL rendered back to text must parse again into
// the same parts; an error message must not show a password; the SQLite engine's reading of a
// URL's query (?timeout=, ?mode=, ?uri=, ?check_same_thread=) must return or throw url_error.
#include <charconv>
#include <cmath>
#include <cstddef>
#include <system_error>
#include <cstdint>
#include <string>
#include <string_view>

#include <structql/structql.hpp>

#include "fuzz_support.hpp"

namespace structql_fuzz {

inline std::string describe(const structql::url& u) {
    std::string out = "dialect=" + hex(u.dialect) + " driver=" + hex(u.driver);
    out += " user=" + (u.username ? hex(*u.username) : std::string("-"));
    out += " password=" + (u.password ? hex(*u.password) : std::string("-"));
    out += " host=" + (u.host ? hex(*u.host) : std::string("-"));
    out += " port=" + (u.port ? std::to_string(*u.port) : std::string("-"));
    out += " database=" + hex(u.database) + " query=";
    for (const auto& [k, v] : u.query) out += hex(k) + "=" + hex(v) + "&";
    return out;
}

// The authority of URL text: from after "://" to the first '/' or '?'.
inline std::string_view authority_of(std::string_view text) {
    std::size_t start = text.find("://");
    if (start == std::string_view::npos) return {};
    text.remove_prefix(start + 3);
    return text.substr(0, text.find_first_of("/?"));
}

inline bool same_parts(const structql::url& a, const structql::url& b) {
    return a.dialect == b.dialect && a.driver == b.driver && a.username == b.username && a.password == b.password &&
           a.host == b.host && a.port == b.port && a.database == b.database && a.query == b.query;
}

inline void url_target(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    structql::url parsed;
    try {
        parsed = structql::make_url(text);
    } catch (const structql::url_error& e) {
        STRUCTQL_FUZZ_CHECK(std::string_view(e.what()).find(" in URL '") != std::string_view::npos,
                            std::string("a url_error message should quote the URL: ") + e.what());
        return;
    }

    STRUCTQL_FUZZ_CHECK(text.find('\0') == std::string_view::npos, "a URL with a NUL byte was accepted");

    // render() gives text that make_url reads into the same parts.
    std::string rendered = parsed.render(/*hide_password=*/false);
    structql::url again;
    try {
        again = structql::make_url(rendered);
    } catch (const structql::url_error& e) {
        STRUCTQL_FUZZ_CHECK(false, "render() gave text that does not parse: input " + hex(text) + " rendered " +
                                       hex(rendered) + ": " + e.what());
    }
    STRUCTQL_FUZZ_CHECK(same_parts(parsed, again), "render() round trip changed the parts: input " + hex(text) +
                                                       "\n  parsed   " + describe(parsed) + "\n  reparsed " +
                                                       describe(again));
    STRUCTQL_FUZZ_CHECK(parsed.render(false) == again.render(false), "render() is not stable");

    // The hidden rendering never holds the password's own text in its authority (user info
    // and host; the path and query may hold anything).
    if (parsed.password && parsed.password->size() >= 4 && parsed.password->find("***") == std::string::npos) {
        std::string marker = ":" + structql::detail::percent_encode(*parsed.password) + "@";
        std::string hidden = parsed.render(/*hide_password=*/true);
        STRUCTQL_FUZZ_CHECK(authority_of(hidden).find(marker) == std::string_view::npos,
                            "render(true) shows the password: " + hidden);

        // Nor does the message of an error about the same URL made malformed.
        std::string broken = rendered + (parsed.query.empty() ? "?" : "&") + "%zz=1";
        try {
            (void)structql::make_url(broken);
            STRUCTQL_FUZZ_CHECK(false, "an invalid percent-escape was accepted: " + hex(broken));
        } catch (const structql::url_error& e) {
            std::string_view message = e.what();
            std::size_t quoted = message.find(" in URL '");
            STRUCTQL_FUZZ_CHECK(quoted != std::string_view::npos, "the message does not quote the URL");
            STRUCTQL_FUZZ_CHECK(authority_of(message.substr(quoted + 9)).find(marker) == std::string_view::npos,
                                std::string("an error message shows the password: ") + e.what());
        }
    }

    (void)parsed.is_memory();
    (void)parsed.query_value("mode");

    // The SQLite engine's reading of the URL: connect arguments only (no file is opened).
    structql::engine_options options;
    try {
        auto args = structql::sqlite_backend::connect_args_from(parsed, options);
        if (args.busy_timeout) STRUCTQL_FUZZ_CHECK(args.busy_timeout->count() >= 0, "negative busy timeout");
        if (parsed.is_memory()) STRUCTQL_FUZZ_CHECK(args.uri, "an in-memory database is opened through a URI");
    } catch (const structql::url_error&) {
        // A PostgreSQL URL, or a malformed ?timeout=.
    }
}

}  // namespace structql_fuzz

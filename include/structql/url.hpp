#pragma once
// Database URLs, read as SQLAlchemy's make_url reads them:
//   dialect[+driver]://[user[:password]@][host][:port][/database][?key=value&...]
// The authority ends at the first '/' or '?', and the user info at its LAST '@', so an
// unencoded '@' in a password still works; a '/' or '?' in a password must be encoded.
// Error messages show the URL with its password as "***", never the password itself.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "structql/detail/linkage.hpp"
#include "structql/errors.hpp"

namespace structql::detail {

inline constexpr auto npos = std::string_view::npos;
inline constexpr std::string_view hidden_password = "***";

inline bool is_name_char(char c) {  // [A-Za-z0-9_]: SQLAlchemy's \w, ASCII only
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Percent-encodes every byte but RFC 3986's unreserved characters and those in `keep`.
STRUCTQL_DECL std::string percent_encode(std::string_view raw, std::string_view keep = {});

}  // namespace structql::detail

namespace structql {

struct url {
    // The `{}`s let a url be built with designated initializers naming only some fields.
    std::string dialect{};  // "sqlite" or "postgresql", lower-cased ("postgres" is an alias)
    std::string driver{};   // after '+', e.g. "psycopg2"; empty if none
    std::optional<std::string> username{};  // percent-decoded, like every part below
    std::optional<std::string> password{};
    std::optional<std::string> host{};  // an IPv6 host without its brackets
    std::optional<std::uint16_t> port{};
    std::string database{};  // sqlite: the file path, ":memory:" or empty (in-memory)
    std::vector<std::pair<std::string, std::string>> query{};  // in order; '+' is not a space

    // The last value given for `key`, if any.
    std::optional<std::string_view> query_value(std::string_view key) const {
        for (auto it = query.rbegin(); it != query.rend(); ++it)
            if (it->first == key) return it->second;
        return std::nullopt;
    }

    // A SQLite URL naming an in-memory database rather than a file. SQLite URI filenames
    // name one too: file::memory: or file:name?mode=memory.
    bool is_memory() const {
        if (dialect != "sqlite") return false;
        if (database.empty() || database == ":memory:") return true;
        return database.starts_with("file:") &&
               (database == "file::memory:" || query_value("mode") == "memory");
    }

    // Back to URL text that make_url reads into the same parts.
    std::string render(bool hide_password = true) const;
};

// Throws url_error for a malformed URL or an unknown dialect.
STRUCTQL_DECL url make_url(std::string_view text);

#if STRUCTQL_DEFINITIONS
}  // namespace structql

#include <algorithm>
#include <charconv>
#include <system_error>
#include <tuple>

namespace structql {
namespace detail {

inline bool is_name(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_name_char);
}

// Where "://" ends a well-formed scheme, or npos: a "://" inside a password is no scheme end.
inline std::size_t find_scheme_end(std::string_view text) {
    std::size_t end = text.find("://");
    std::string_view scheme = text.substr(0, end);
    bool well_formed = std::all_of(scheme.begin(), scheme.end(),
                                   [](char c) { return c == '+' || is_name_char(c); });
    return well_formed ? end : npos;
}

// The URL text with its password replaced by "***". Where the text is ambiguous (malformed,
// or a password holding a raw '/' or '?') everything from the first ':' to the last '@' is
// masked: a confusing message is better than a leaked secret.
inline std::string mask_password(std::string_view text) {
    std::string masked(text);
    std::size_t scheme_end = find_scheme_end(text);
    std::size_t start = scheme_end == npos ? 0 : scheme_end + 3;
    std::size_t last_at = text.rfind('@');
    if (last_at == npos || last_at < start) return masked;
    std::size_t authority_end = std::min(text.find_first_of("/?", start), text.size());
    std::size_t at_in_authority = text.substr(start, authority_end - start).rfind('@');
    std::size_t userinfo_end = at_in_authority == npos ? last_at : start + at_in_authority;
    std::size_t colon = text.find(':', start);
    if (colon == npos || colon > userinfo_end) return masked;
    // With a scheme, a ':' after a '/' or '?' is in the path or query: no password there.
    if (scheme_end != npos && text.substr(start, colon - start).find_first_of("/?") != npos)
        return masked;
    return masked.replace(colon + 1, userinfo_end - colon - 1, hidden_password);
}

[[noreturn]] inline void fail(std::string_view text, std::string_view problem,
                              std::string_view hint = {}) {
    std::string message = std::string(problem) + " in URL '" + mask_password(text) + "'";
    if (!hint.empty()) message += "; " + std::string(hint);
    throw url_error(message);
}

// Decodes %XX escapes byte-exactly. `part` names the URL part in the error message; the
// escape itself is never quoted, as it may be part of the password.
inline std::string percent_decode(std::string_view encoded, std::string_view part,
                                  std::string_view text) {
    std::string decoded;
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        if (encoded[i] != '%') {
            decoded += encoded[i];
            continue;
        }
        unsigned byte = 0;
        const char* hex = encoded.data() + i + 1;
        if (i + 2 >= encoded.size() || std::from_chars(hex, hex + 2, byte, 16).ptr != hex + 2)
            fail(text, "invalid percent-escape in the " + std::string(part),
                 "'%' must be followed by two hex digits; write a literal '%' as %25");
        if (byte == 0)  // a NUL would silently cut the C string a driver gets
            fail(text, "percent-escape %00 (a NUL byte) in the " + std::string(part));
        decoded += static_cast<char>(byte);
        i += 2;
    }
    return decoded;
}

STRUCTQL_DECL std::string percent_encode(std::string_view raw, std::string_view keep) {
    constexpr std::string_view hex_digits = "0123456789ABCDEF";
    std::string encoded;
    for (char c : raw) {
        auto byte = static_cast<unsigned char>(c);
        if (is_name_char(c) || c == '-' || c == '.' || c == '~' || keep.find(c) != npos)
            encoded += c;
        else
            encoded += {'%', hex_digits[byte >> 4], hex_digits[byte & 0x0F]};
    }
    return encoded;
}

// Returns {dialect, driver}; the dialect lower-cased, "postgres" read as "postgresql".
inline std::pair<std::string, std::string> parse_scheme(std::string_view scheme,
                                                        std::string_view text) {
    std::size_t plus = scheme.find('+');
    std::string_view written = scheme.substr(0, plus);
    std::string_view driver = plus == npos ? std::string_view() : scheme.substr(plus + 1);
    if (written.empty()) fail(text, "empty dialect", "expected e.g. postgresql://host/dbname");
    if (!is_name(written)) fail(text, "malformed dialect (letters, digits and '_' only)");
    if (plus != npos && !is_name(driver))
        fail(text, driver.empty() ? "empty driver after '+'"
                                  : "malformed driver (letters, digits and '_' only)");
    std::string dialect;
    for (char c : written) dialect += c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
    if (dialect == "postgres") dialect = "postgresql";
    if (dialect != "sqlite" && dialect != "postgresql")
        fail(text, "unknown dialect '" + std::string(written) + "'",
             "known dialects: sqlite, postgresql (alias postgres)");
    return {dialect, std::string(driver)};
}

inline std::uint16_t parse_port(std::string_view digits, std::string_view text) {
    unsigned value = 0;
    const char* end = digits.data() + digits.size();
    auto [stop, error] = std::from_chars(digits.data(), end, value);  // digits only, no sign
    if (error != std::errc() || stop != end || value == 0 || value > 65535)
        // The port text is not quoted: a misplaced password may have been read as the port.
        fail(text, "invalid port",
             digits.find(':') != npos ? "write an IPv6 host in brackets, e.g. [::1]:5432"
                                      : "the port must be a number from 1 to 65535");
    return static_cast<std::uint16_t>(value);
}

// Returns {host, port} from "host", "host:port", "[ipv6]" or "[ipv6]:port".
inline std::pair<std::optional<std::string>, std::optional<std::uint16_t>> parse_host_port(
    std::string_view host_port, std::string_view text) {
    std::string_view host = host_port;
    std::optional<std::string_view> port;
    if (host_port.starts_with('[')) {
        std::size_t close = host_port.find(']');
        if (close == npos) fail(text, "unclosed '[' in the host");
        host = host_port.substr(1, close - 1);
        if (host.empty()) fail(text, "empty IPv6 host '[]'");
        std::string_view after = host_port.substr(close + 1);
        if (!after.empty() && after.front() != ':')
            fail(text, "unexpected text after ']' in the host", "expected e.g. [::1]:5432");
        if (!after.empty()) port = after.substr(1);
    } else {
        std::size_t colon = host_port.find(':');
        host = host_port.substr(0, colon);
        if (colon != npos) port = host_port.substr(colon + 1);
        if (host.find_first_of("[]") != npos)
            fail(text, "'[' or ']' outside an IPv6 host", "write an IPv6 host as [::1]");
    }
    std::pair<std::optional<std::string>, std::optional<std::uint16_t>> parsed;
    if (!host.empty()) parsed.first = percent_decode(host, "host", text);
    if (port) parsed.second = parse_port(*port, text);
    return parsed;
}

inline std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query,
                                                                    std::string_view text) {
    std::vector<std::pair<std::string, std::string>> pairs;
    while (!query.empty()) {
        std::string_view pair = query.substr(0, query.find('&'));
        query.remove_prefix(std::min(pair.size() + 1, query.size()));
        if (pair.empty()) continue;  // "a=1&&b=2" and a trailing '&', as parse_qsl skips
        std::size_t equals = pair.find('=');
        std::string key = percent_decode(pair.substr(0, equals), "query", text);
        if (key.empty()) fail(text, "query parameter without a name");
        std::string_view value = equals == npos ? std::string_view() : pair.substr(equals + 1);
        pairs.emplace_back(std::move(key), percent_decode(value, "query", text));
    }
    return pairs;
}

}  // namespace detail

STRUCTQL_DECL std::string url::render(bool hide_password) const {
    using detail::percent_encode;
    std::string text = dialect + (driver.empty() ? "" : "+" + driver) + "://";
    if (username || password) {
        text += percent_encode(username.value_or(""));
        if (password)
            text += ":" + (hide_password ? std::string(detail::hidden_password)
                                         : percent_encode(*password));
        text += '@';
    }
    if (host && host->find(':') != std::string::npos)  // IPv6: back into brackets
        text += "[" + percent_encode(*host, ":") + "]";
    else if (host)
        text += percent_encode(*host);
    if (port) text += ":" + std::to_string(*port);
    if (!database.empty()) text += "/" + percent_encode(database, "/:");
    for (std::size_t i = 0; i < query.size(); ++i) {
        text += (i == 0 ? "?" : "&") + percent_encode(query[i].first, "/:@,");
        text += "=" + percent_encode(query[i].second, "/:@,");
    }
    return text;
}

STRUCTQL_DECL url make_url(std::string_view text) {
    using namespace detail;
    if (std::size_t nul = text.find('\0'); nul != npos) {
        std::string shown(text);  // quoted with each NUL as \0: a C string would stop at the first
        for (std::size_t at = shown.find('\0'); at != npos; at = shown.find('\0', at)) shown.replace(at, 1, "\\0");
        fail(shown, "a NUL byte at offset " + std::to_string(nul), "a driver would read the text cut short there");
    }
    std::size_t scheme_end = text.find("://");
    if (scheme_end == npos)
        fail(text, "missing '://' after the dialect",
             "expected dialect[+driver]://[user[:password]@][host][:port][/database][?query]");
    url result;
    std::tie(result.dialect, result.driver) = parse_scheme(text.substr(0, scheme_end), text);

    std::string_view rest = text.substr(scheme_end + 3);
    std::optional<std::string_view> userinfo, path, query;
    if (std::size_t question = rest.find('?'); question != npos) {
        query = rest.substr(question + 1);
        rest = rest.substr(0, question);
    }
    std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    if (slash != npos) path = rest.substr(slash + 1);
    if (std::size_t at = authority.rfind('@'); at != npos) {
        userinfo = authority.substr(0, at);
        authority.remove_prefix(at + 1);
    }

    if (result.dialect == "sqlite" && (userinfo || !authority.empty())) {
        std::string hint = "sqlite URLs take no host, e.g. sqlite:///path.db";
        // The usual slip, sqlite://app.db; without an '@' nothing in the text can be a password.
        if (!path && text.find('@') == npos)
            hint += "; did you mean 'sqlite:///" + std::string(text.substr(scheme_end + 3)) + "'?";
        fail(text, "unexpected host", hint);
    }
    if (userinfo) {
        std::size_t colon = userinfo->find(':');
        result.username = percent_decode(userinfo->substr(0, colon), "username", text);
        if (colon != npos)
            result.password = percent_decode(userinfo->substr(colon + 1), "password", text);
    }
    std::tie(result.host, result.port) = parse_host_port(authority, text);
    if (path) result.database = percent_decode(*path, "database", text);
    if (query) result.query = parse_query(*query, text);
    return result;
}
#endif  // STRUCTQL_DEFINITIONS

}  // namespace structql

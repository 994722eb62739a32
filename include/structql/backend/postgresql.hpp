#pragma once
// The PostgreSQL backend (libpq): one connection, its cache of server-side prepared statements,
// binding and reading of the six storage types, and the mapping of SQLSTATEs to StructQL's
// errors. Include it through <structql/postgresql.hpp>; link with -lpq.
//
// Protocol: each statement shape is prepared once per connection (PQprepare under a name unique
// to the connection) and described (PQdescribePrepared: the types the server gave its
// parameters and result columns); every run is a PQexecPrepared. Values travel in binary, in
// network byte order, when the server's type is the one StructQL would use (BIGINT, DOUBLE
// PRECISION, BOOLEAN, BYTEA, TIMESTAMPTZ; TEXT as its bytes), and as text otherwise (an INTEGER
// column made by hand, a JSON parameter), for the server to convert. Results come in binary
// unless a column has a type StructQL does not decode, and then the statement reads text. A
// session's flush sends each run of inserts into one table in pipeline mode (libpq 14 or later):
// one round trip per batch instead of one per row.
//
// Timestamps: PostgreSQL keeps microseconds. A structql::timestamp is written truncated toward
// negative infinity to whole microseconds (std::chrono::floor), so 1969-12-31 23:59:59.9999999
// is stored as ...59.999999, and read back exactly as stored.
#include <libpq-fe.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "structql/detail/statement_cache.hpp"
#include "structql/engine_options.hpp"
#include "structql/errors.hpp"
#include "structql/schema/value_traits.hpp"
#include "structql/sql/postgresql_dialect.hpp"

namespace structql {

namespace detail::pg {

// The server types StructQL reads and writes natively, by their fixed OIDs (pg_type.dat).
enum class kind : unsigned char { other, boolean, int2, int4, int8, float4, float8, numeric, text, bytea, timestamp, timestamptz };

inline kind kind_of(Oid type) noexcept {
    switch (type) {
        case 16: return kind::boolean;
        case 17: return kind::bytea;
        case 19:     // name
        case 25:     // text
        case 705:    // unknown (an untyped literal)
        case 1042:   // bpchar
        case 1043: return kind::text;  // varchar
        case 20: return kind::int8;
        case 21: return kind::int2;
        case 23: return kind::int4;
        case 700: return kind::float4;
        case 701: return kind::float8;
        case 1700: return kind::numeric;
        case 1114: return kind::timestamp;
        case 1184: return kind::timestamptz;
        default: return kind::other;
    }
}

inline std::string type_name(kind k, Oid type) {
    switch (k) {
        case kind::boolean: return "BOOLEAN";
        case kind::int2: return "SMALLINT";
        case kind::int4: return "INTEGER";
        case kind::int8: return "BIGINT";
        case kind::float4: return "REAL";
        case kind::float8: return "DOUBLE PRECISION";
        case kind::numeric: return "NUMERIC";
        case kind::text: return "TEXT";
        case kind::bytea: return "BYTEA";
        case kind::timestamp: return "TIMESTAMP";
        case kind::timestamptz: return "TIMESTAMPTZ";
        case kind::other: break;
    }
    return "type OID " + std::to_string(type);
}

inline bool is_integer(kind k) noexcept { return k == kind::int2 || k == kind::int4 || k == kind::int8; }

// --- network byte order ---
inline void put_u64(std::string& out, std::uint64_t v) {
    out.resize(8);
    for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
}
inline std::uint64_t get_uint(const char* p, int bytes) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
    return v;
}
inline std::int64_t get_int(const char* p, int bytes) noexcept {
    std::uint64_t v = get_uint(p, bytes);
    if (bytes < 8 && (v >> (bytes * 8 - 1)) != 0) v |= ~std::uint64_t{0} << (bytes * 8);  // sign-extend
    return static_cast<std::int64_t>(v);
}

// --- timestamps: microseconds since 2000-01-01 00:00:00 UTC on the wire ---
inline constexpr std::int64_t epoch_2000_us = 946'684'800'000'000;

inline std::int64_t to_wire_micros(timestamp t) {
    using namespace std::chrono;
    return floor<microseconds>(t.time_since_epoch()).count() - epoch_2000_us;
}

inline timestamp from_wire_micros(std::int64_t us) {
    using namespace std::chrono;
    if (us == std::numeric_limits<std::int64_t>::max() || us == std::numeric_limits<std::int64_t>::min())
        throw conversion_failure("'infinity' is not a point in time a structql::timestamp can hold");
    constexpr std::int64_t limit = duration_cast<microseconds>(timestamp::duration::max()).count();
    if (us > limit - epoch_2000_us || us < -limit - epoch_2000_us)
        throw conversion_failure("timestamp " + std::to_string(us) +
                                 " us after 2000-01-01 is out of range for a structql::timestamp");
    return timestamp{duration_cast<timestamp::duration>(microseconds{us + epoch_2000_us})};
}

// "YYYY-MM-DD HH:MM:SS.ffffff+00", for text parameters and echo.
inline std::string format_timestamp(timestamp t) {
    using namespace std::chrono;
    auto us = floor<microseconds>(t);
    auto day = floor<days>(us);
    year_month_day ymd{day};
    hh_mm_ss<microseconds> time{us - day};
    char text[48];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u %02d:%02d:%02d.%06lld+00", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()), static_cast<long long>(time.subseconds().count()));
    return text;
}

// PostgreSQL's ISO text output: "YYYY-MM-DD HH:MM:SS[.f{1,6}][+HH[:MM[:SS]]]"; without an
// offset (TIMESTAMP) the time is taken as UTC. Only read when a statement falls back to text.
inline timestamp parse_timestamp(std::string_view s) {
    using namespace std::chrono;
    std::size_t pos = 0;
    auto fail = [&]() -> timestamp {
        throw conversion_failure("'" + std::string(s) + "' is not an ISO timestamp (set DateStyle to ISO)");
    };
    auto number = [&](std::size_t digits) {
        int value = 0;
        for (std::size_t i = 0; i < digits; ++i, ++pos) {
            if (pos >= s.size() || s[pos] < '0' || s[pos] > '9') fail();
            value = value * 10 + (s[pos] - '0');
        }
        return value;
    };
    auto expect = [&](char c) {
        if (pos >= s.size() || s[pos] != c) fail();
        ++pos;
    };
    int y = number(4);
    expect('-');
    int mo = number(2);
    expect('-');
    int d = number(2);
    expect(' ');
    int h = number(2);
    expect(':');
    int mi = number(2);
    expect(':');
    int sec = number(2);
    long long fraction = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        int digits = 0;
        for (; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos, ++digits)
            if (digits < 9) fraction = fraction * 10 + (s[pos] - '0');
        if (digits == 0) fail();
        for (; digits < 9; ++digits) fraction *= 10;
    }
    seconds offset{0};
    if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int sign = s[pos++] == '-' ? -1 : 1;
        int oh = number(2), om = 0, os = 0;
        if (pos < s.size() && s[pos] == ':') ++pos, om = number(2);
        if (pos < s.size() && s[pos] == ':') ++pos, os = number(2);
        offset = seconds{sign * (oh * 3600 + om * 60 + os)};
    }
    year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
    if (pos != s.size() || !ymd.ok() || h > 23 || mi > 59 || sec > 60) fail();
    auto since_epoch = sys_days{ymd}.time_since_epoch() + hours{h} + minutes{mi} + seconds{sec} + nanoseconds{fraction} - offset;
    return timestamp{duration_cast<timestamp::duration>(since_epoch)};
}

// NUMERIC's binary form (ndigits, weight, sign, dscale, base-10000 digits) as decimal text.
inline std::string numeric_text(const char* p, int length) {
    if (length < 8) throw conversion_failure("malformed NUMERIC value");
    auto ndigits = static_cast<int>(get_int(p, 2));
    auto weight = static_cast<int>(get_int(p + 2, 2));
    auto sign = get_uint(p + 4, 2);
    auto dscale = static_cast<int>(get_int(p + 6, 2));
    if (sign == 0xC000) return "NaN";
    if (sign == 0xD000) return "Infinity";
    if (sign == 0xF000) return "-Infinity";
    if (ndigits < 0 || length < 8 + 2 * ndigits || dscale < 0) throw conversion_failure("malformed NUMERIC value");
    auto digit = [&](int i) { return i >= 0 && i < ndigits ? static_cast<int>(get_int(p + 8 + 2 * i, 2)) : 0; };
    std::string out = sign == 0x4000 ? "-" : "";
    if (weight < 0) {
        out += '0';
    } else {
        for (int i = 0; i <= weight; ++i) {
            char group[8];
            std::snprintf(group, sizeof group, i == 0 ? "%d" : "%04d", digit(i));
            out += group;
        }
    }
    if (dscale > 0) {
        out += '.';
        for (int i = weight + 1, written = 0; written < dscale; ++i) {
            char group[8];
            std::snprintf(group, sizeof group, "%04d", digit(i));
            for (int k = 0; k < 4 && written < dscale; ++k, ++written) out += group[k];
        }
    }
    return out;
}

inline std::int64_t integer_from_text(std::string_view text) {
    std::string_view whole = text.substr(0, text.find('.'));
    if (whole.size() < text.size() && text.find_first_not_of('0', whole.size() + 1) != std::string_view::npos)
        throw conversion_failure("value " + std::string(text) + " is not an integer");
    if (!whole.empty() && whole.front() == '+') whole.remove_prefix(1);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), v);
    if (ec == std::errc::result_out_of_range)
        throw conversion_failure("value " + std::string(text) + " is out of range for a 64-bit signed integer");
    if (ec != std::errc{} || end != whole.data() + whole.size() || whole.empty())
        throw conversion_failure("'" + std::string(text) + "' is not an integer");
    return v;
}

inline double double_from_text(std::string_view text) {
    double v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc::result_out_of_range) {
        v = std::strtod(std::string(text).c_str(), nullptr);  // overflow to +-inf, underflow to 0
    } else if (ec != std::errc{} || end != text.data() + text.size()) {
        throw conversion_failure("'" + std::string(text) + "' is not a number");
    }
    return v;
}

inline void append_double_text(std::string& out, double v) {
    if (v != v) {
        out += "NaN";
    } else if (v == std::numeric_limits<double>::infinity()) {
        out += "Infinity";
    } else if (v == -std::numeric_limits<double>::infinity()) {
        out += "-Infinity";
    } else {
        char buffer[32];
        auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);  // shortest exact form
        out.append(buffer, static_cast<std::size_t>(end - buffer));
    }
}

inline constexpr char hex_digits[] = "0123456789abcdef";

inline blob bytea_from_hex(std::string_view text) {
    if (!text.starts_with("\\x") || text.size() % 2 != 0)
        throw conversion_failure("BYTEA text is not in hex format (set bytea_output to 'hex')");
    auto nibble = [&](char c) -> unsigned {
        if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
        if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
        if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
        throw conversion_failure("malformed BYTEA hex text");
    };
    blob out;
    out.reserve(text.size() / 2 - 1);
    for (std::size_t i = 2; i < text.size(); i += 2)
        out.push_back(static_cast<std::byte>(nibble(text[i]) << 4 | nibble(text[i + 1])));
    return out;
}

// A PGresult, cleared when it goes.
struct result_clear {
    void operator()(PGresult* result) const noexcept { PQclear(result); }
};
using result_ptr = std::unique_ptr<PGresult, result_clear>;

// The state a connection shares with its statements.
struct link {
    PGconn* conn = nullptr;
    engine_context* context = nullptr;
    std::int64_t changes = 0;
    bool broken = false;  // the server went away: the pool must not keep the connection

    // Records the row count of an INSERT, UPDATE, DELETE or MERGE (as sqlite3_changes does).
    void note_command(const PGresult* result) noexcept {
        std::string_view status = PQcmdStatus(const_cast<PGresult*>(result));
        if (status.starts_with("INSERT") || status.starts_with("UPDATE") || status.starts_with("DELETE") ||
            status.starts_with("MERGE")) {
            const char* rows = PQcmdTuples(const_cast<PGresult*>(result));
            std::int64_t n = 0;
            std::from_chars(rows, rows + std::strlen(rows), n);
            changes = n;
        }
    }

    // Throws the StructQL error for a failed command: class 23 is an integrity_error, class 22 a
    // data_error, everything else an operational_error; a lost connection also marks it broken.
    [[noreturn]] void fail(const PGresult* result, std::string_view sql) {
        auto field = [&](int code) -> std::string_view {
            const char* v = result ? PQresultErrorField(result, code) : nullptr;
            return v ? v : "";
        };
        std::string_view state = field(PG_DIAG_SQLSTATE);
        std::string message(field(PG_DIAG_MESSAGE_PRIMARY));
        if (message.empty()) {
            message = PQerrorMessage(conn);
            while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
            if (message.empty()) message = "the command failed without a message";
        }
        if (std::string_view detail = field(PG_DIAG_MESSAGE_DETAIL); !detail.empty())
            message.append(": ").append(detail);
        if (!state.empty()) message.append(" (SQLSTATE ").append(state).append(")");
        message.append(" [SQL: ").append(sql).append("]");
        if (!result || PQstatus(conn) == CONNECTION_BAD || state.starts_with("08") || state == "57P01" ||
            state == "57P02" || state == "57P03") {
            broken = true;
            throw operational_error("the connection to the PostgreSQL server was lost: " + message);
        }
        if (state.starts_with("23")) throw integrity_error(message);
        if (state.starts_with("22")) throw data_error(message);
        throw operational_error(message);
    }

    // Throws unless the result has one of the statuses expected.
    void check(const result_ptr& result, std::string_view sql, ExecStatusType expected,
               ExecStatusType also = PGRES_COMMAND_OK) {
        ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
        if (status != expected && status != also) fail(result.get(), sql);
    }

    // Runs a command with no parameters through the simple protocol; throws on failure.
    void run(std::string_view sql) {
        std::string text(sql);
        result_ptr result(PQexec(conn, text.c_str()));
        if (!result || PQresultStatus(result.get()) != PGRES_EMPTY_QUERY) check(result, sql, PGRES_TUPLES_OK);
        note_command(result.get());
    }
};

}  // namespace detail::pg

// libpq connection parameters: keyword/value pairs for PQconnectdbParams, in order (a later
// keyword overrides an earlier one), and the URL with its password hidden, for messages.
struct postgresql_connect_args {
    std::vector<std::pair<std::string, std::string>> parameters;
    std::string display;
};

// One prepared statement, owned by its connection's cache. A statement is used by binding
// (1-based), stepping and reading (0-based columns), then reset().
class libpq_statement {
public:
    libpq_statement(detail::pg::link* link, std::string name, std::string_view sql, const PGresult* description)
        : link_(link), name_(std::move(name)), sql_(sql) {
        int parameters = PQnparams(description);
        param_types_.resize(static_cast<std::size_t>(parameters));
        for (int i = 0; i < parameters; ++i) param_types_[static_cast<std::size_t>(i)] = PQparamtype(description, i);
        values_.assign(param_types_.size(), nullptr);
        lengths_.assign(param_types_.size(), 0);
        formats_.assign(param_types_.size(), 0);
        owned_.resize(param_types_.size());
        int columns = PQnfields(description);
        bool all_known = true;
        for (int i = 0; i < columns; ++i) {
            Oid type = PQftype(description, i);
            kinds_.push_back(detail::pg::kind_of(type));
            types_.push_back(type);
            all_known = all_known && kinds_.back() != detail::pg::kind::other;
        }
        binary_results_ = all_known;
    }
    libpq_statement(const libpq_statement&) = delete;
    libpq_statement& operator=(const libpq_statement&) = delete;

    std::string_view sql() const noexcept { return sql_; }
    // The server-side name of the prepared statement.
    const std::string& name() const noexcept { return name_; }

    void bind_null(int i) {
        std::size_t p = slot(i);
        trace_parameter("NULL");
        values_[p] = nullptr;
    }
    void bind(int i, bool v) {
        std::size_t p = slot(i);
        trace_parameter(v ? "true" : "false");
        kind k = kind_at(p);
        if (k == kind::boolean) set_owned(p, v ? std::string_view("\1", 1) : std::string_view("\0", 1), 1);
        else set_owned(p, detail::pg::is_integer(k) ? (v ? "1" : "0") : (v ? "true" : "false"), 0);
    }
    void bind(int i, std::int64_t v) {
        std::size_t p = slot(i);
        if (link_->context->traced()) trace_parameter(std::to_string(v));
        if (kind_at(p) == kind::int8) {
            detail::pg::put_u64(owned_[p], static_cast<std::uint64_t>(v));
            point(p, owned_[p], 1);
        } else {
            char buffer[24];
            auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
            set_owned(p, std::string_view(buffer, static_cast<std::size_t>(end - buffer)), 0);
        }
    }
    void bind(int i, double v) {
        std::size_t p = slot(i);
        if (link_->context->traced()) trace_parameter(std::to_string(v));
        if (kind_at(p) == kind::float8) {
            std::uint64_t bits;
            std::memcpy(&bits, &v, sizeof bits);
            detail::pg::put_u64(owned_[p], bits);
            point(p, owned_[p], 1);
        } else {
            owned_[p].clear();
            detail::pg::append_double_text(owned_[p], v);
            point(p, owned_[p], 0);
        }
    }
    // An lvalue outlives the step that follows: it is sent from where it is.
    void bind(int i, const std::string& v) {
        std::size_t p = slot(i);
        refuse_nul(v);
        trace_text(v);
        if (kind_at(p) == kind::text) point(p, v, 1);  // TEXT's binary form is its bytes
        else point(p, v, 0);                          // NUL-terminated: c_str()
    }
    void bind(int i, std::string&& v) { bind(i, std::string_view(v)); }
    void bind(int i, std::string_view v) {
        std::size_t p = slot(i);
        refuse_nul(v);
        trace_text(v);
        set_owned(p, v, kind_at(p) == kind::text ? 1 : 0);
    }
    void bind(int i, const blob& v) {
        std::size_t p = slot(i);
        if (link_->context->traced()) trace_parameter("<" + std::to_string(v.size()) + " bytes>");
        if (kind_at(p) == kind::bytea) {
            static const char empty = 0;  // a null pointer would send NULL: an empty blob stays empty
            values_[p] = v.empty() ? &empty : reinterpret_cast<const char*>(v.data());
            lengths_[p] = static_cast<int>(v.size());
            formats_[p] = 1;
        } else {
            std::string& out = owned_[p];
            out.assign("\\x");
            for (std::byte b : v) {
                out += detail::pg::hex_digits[std::to_integer<unsigned>(b) >> 4];
                out += detail::pg::hex_digits[std::to_integer<unsigned>(b) & 0xf];
            }
            point(p, out, 0);
        }
    }
    void bind(int i, blob&& v) {
        std::size_t p = slot(i);
        if (kind_at(p) != kind::bytea) return bind(i, static_cast<const blob&>(v));
        if (link_->context->traced()) trace_parameter("<" + std::to_string(v.size()) + " bytes>");
        set_owned(p, std::string_view(reinterpret_cast<const char*>(v.data()), v.size()), 1);
    }
    void bind(int i, timestamp v) {
        std::size_t p = slot(i);
        kind k = kind_at(p);
        if (link_->context->traced()) trace_parameter("'" + detail::pg::format_timestamp(v) + "'");
        if (k == kind::timestamptz || k == kind::timestamp) {
            detail::pg::put_u64(owned_[p], static_cast<std::uint64_t>(detail::pg::to_wire_micros(v)));
            point(p, owned_[p], 1);
        } else {
            set_owned(p, detail::pg::format_timestamp(v), 0);
        }
    }

    // Runs the statement at the first call; then advances to the next row: true when a row is
    // available, false when done.
    bool step() {
        if (!executed_) {
            started();
            receive(detail::pg::result_ptr(PQexecPrepared(link_->conn, name_.c_str(), static_cast<int>(values_.size()),
                                                          values_.data(), lengths_.data(), formats_.data(),
                                                          binary_results_ ? 1 : 0)));
        }
        if (row_ < rows_) ++row_;
        return row_ < rows_;
    }

    // Pipeline mode (libpq_connection::run_pipelined): send() queues a run of the statement as
    // bound, without waiting for its result; receive() takes that result later, in order, and
    // step() then reads its rows. A hook's after_execute sees a run when the next is bound.
    void send() {
        started();
        if (PQsendQueryPrepared(link_->conn, name_.c_str(), static_cast<int>(values_.size()), values_.data(),
                                lengths_.data(), formats_.data(), binary_results_ ? 1 : 0) != 1)
            link_->fail(nullptr, sql_);
    }
    void receive(detail::pg::result_ptr result) {
        executed_ = true;
        result_ = std::move(result);
        link_->check(result_, sql_, PGRES_TUPLES_OK);
        link_->note_command(result_.get());
        rows_ = PQntuples(result_.get());
        row_ = -1;
    }

    // Makes the statement ready to bind and run again, dropping its result and bindings.
    void reset() noexcept {
        result_.reset();
        rows_ = 0;
        row_ = -1;
        if (executed_ && link_->context->traced()) {
            try {
                link_->context->after(sql_, parameters_, std::chrono::steady_clock::now() - started_);
            } catch (...) {
                // A hook's failure must not turn a reset into an error.
            }
        }
        executed_ = false;
        parameters_.clear();
        std::fill(values_.begin(), values_.end(), nullptr);
    }

    int column_count() const noexcept { return static_cast<int>(kinds_.size()); }
    bool is_null(int col) const { return PQgetisnull(result_.get(), current_row(), checked(col)) != 0; }

    template <class S>
    S read(int col) const {
        namespace pg = detail::pg;
        kind k = kinds_[static_cast<std::size_t>(checked(col))];
        std::string_view v = value(col);
        if constexpr (std::is_same_v<S, std::int64_t>) {
            if (pg::is_integer(k)) return binary_results_ ? pg::get_int(v.data(), static_cast<int>(v.size()))
                                                           : pg::integer_from_text(v);
            if (k == kind::boolean) return read_boolean(v) ? 1 : 0;  // EXISTS, and parity with SQLite
            if (k == kind::numeric) return pg::integer_from_text(numeric(v));
            type_mismatch("BIGINT", col);
        } else if constexpr (std::is_same_v<S, bool>) {
            if (k == kind::boolean) return read_boolean(v);
            if (pg::is_integer(k)) {
                std::int64_t n = read<std::int64_t>(col);
                if (n != 0 && n != 1)
                    throw detail::conversion_failure("value " + std::to_string(n) + " is not a boolean (0 or 1)");
                return n == 1;
            }
            type_mismatch("BOOLEAN", col);
        } else if constexpr (std::is_same_v<S, double>) {
            if (k == kind::float8 && binary_results_) {
                std::uint64_t bits = pg::get_uint(v.data(), 8);
                double d;
                std::memcpy(&d, &bits, sizeof d);
                return d;
            }
            if (k == kind::float4 && binary_results_) {
                auto bits = static_cast<std::uint32_t>(pg::get_uint(v.data(), 4));
                float f;
                std::memcpy(&f, &bits, sizeof f);
                return f;
            }
            if (k == kind::float8 || k == kind::float4) return pg::double_from_text(v);
            if (pg::is_integer(k)) return static_cast<double>(read<std::int64_t>(col));
            if (k == kind::numeric) return pg::double_from_text(numeric(v));
            type_mismatch("DOUBLE PRECISION", col);
        } else if constexpr (std::is_same_v<S, std::string>) {
            // Any type the statement reads as text (it has a column StructQL does not decode).
            if (k != kind::text && k != kind::other) type_mismatch("TEXT", col);
            return std::string(v);
        } else if constexpr (std::is_same_v<S, blob>) {
            if (k != kind::bytea) type_mismatch("BYTEA", col);
            if (!binary_results_) return pg::bytea_from_hex(v);
            auto* p = reinterpret_cast<const std::byte*>(v.data());
            return blob(p, p + v.size());
        } else {
            static_assert(std::is_same_v<S, timestamp>);
            if (k != kind::timestamptz && k != kind::timestamp) type_mismatch("TIMESTAMPTZ", col);
            if (!binary_results_) return pg::parse_timestamp(v);
            return pg::from_wire_micros(pg::get_int(v.data(), 8));
        }
    }

    // Reads text and blobs into an existing value, reusing its storage.
    template <class S>
    void read_into(int col, S& out) const {
        kind k = kinds_[static_cast<std::size_t>(checked(col))];
        if constexpr (std::is_same_v<S, std::string>) {
            if (k == kind::text || (k == kind::other && !binary_results_)) {
                std::string_view v = value(col);
                out.assign(v.data(), v.size());
                return;
            }
        } else if constexpr (std::is_same_v<S, blob>) {
            if (k == kind::bytea && binary_results_) {
                std::string_view v = value(col);
                auto* p = reinterpret_cast<const std::byte*>(v.data());
                out.assign(p, p + v.size());
                return;
            }
        }
        out = read<S>(col);
    }

private:
    using kind = detail::pg::kind;

    std::size_t slot(int i) const {
        if (i < 1 || static_cast<std::size_t>(i) > values_.size())
            throw operational_error("parameter index " + std::to_string(i) + " is out of range: the statement has " +
                                    std::to_string(values_.size()) + " parameters [SQL: " + std::string(sql_) + "]");
        return static_cast<std::size_t>(i - 1);
    }
    kind kind_at(std::size_t p) const noexcept { return detail::pg::kind_of(param_types_[p]); }

    // PostgreSQL text never holds a NUL byte, and libpq ends a text-format value at the first
    // one: refuse it here, where the layers above can name the column, rather than have the
    // value cut short without a word.
    static void refuse_nul(std::string_view v) {
        if (v.find('\0') != std::string_view::npos)
            throw detail::conversion_failure("a string with a NUL byte: PostgreSQL text cannot hold one (store bytes as a blob)");
    }

    void started() {
        executed_ = true;
        auto* context = link_->context;
        context->statistics.statements_executed.fetch_add(1, std::memory_order_relaxed);
        if (context->traced()) {
            context->before(sql_, parameters_);
            started_ = std::chrono::steady_clock::now();
        }
    }

    void point(std::size_t p, std::string_view bytes, int format) noexcept {
        values_[p] = bytes.data();
        lengths_[p] = static_cast<int>(bytes.size());
        formats_[p] = format;
    }
    // Copies the value into the parameter's own buffer (NUL-terminated, as text format needs).
    void set_owned(std::size_t p, std::string_view bytes, int format) {
        owned_[p].assign(bytes.data(), bytes.size());
        point(p, owned_[p], format);
    }

    int current_row() const {
        if (!result_ || row_ < 0 || row_ >= rows_) throw detail::conversion_failure("no current row to read");
        return row_;
    }
    int checked(int col) const {
        if (col < 0 || col >= column_count())
            throw detail::conversion_failure("no result column " + std::to_string(col) + " (the statement returns " +
                                             std::to_string(column_count()) + ")");
        return col;
    }
    std::string_view value(int col) const {
        int row = current_row();
        return {PQgetvalue(result_.get(), row, col), static_cast<std::size_t>(PQgetlength(result_.get(), row, col))};
    }
    bool read_boolean(std::string_view v) const {
        if (binary_results_) return !v.empty() && v[0] != 0;
        return v == "t";
    }
    std::string numeric(std::string_view v) const {
        return binary_results_ ? detail::pg::numeric_text(v.data(), static_cast<int>(v.size())) : std::string(v);
    }

    [[noreturn]] void type_mismatch(std::string_view expected, int col) const {
        auto c = static_cast<std::size_t>(col);
        throw detail::conversion_failure("expected " + std::string(expected) + ", found " +
                                         detail::pg::type_name(kinds_[c], types_[c]));
    }
    void trace_text(std::string_view v) {
        if (link_->context->traced()) trace_parameter("'" + std::string(v) + "'");
    }
    void trace_parameter(std::string_view rendered) {
        if (link_->context->traced()) parameters_.emplace_back(rendered);
    }

    detail::pg::link* link_;
    std::string name_;
    std::string_view sql_;
    std::vector<Oid> param_types_;
    std::vector<const char*> values_;
    std::vector<int> lengths_;
    std::vector<int> formats_;
    std::vector<std::string> owned_;  // one buffer per parameter, reused run after run
    std::vector<kind> kinds_;         // of the result columns
    std::vector<Oid> types_;
    bool binary_results_ = true;
    detail::pg::result_ptr result_;
    int rows_ = 0;
    int row_ = -1;
    bool executed_ = false;
    std::chrono::steady_clock::time_point started_;
    std::vector<std::string> parameters_;
};

// One physical PostgreSQL connection with its statement cache. Statements whose text has static
// storage (the compile-time SQL) are keyed by address; others by their text.
class libpq_connection {
public:
    using native_handle_type = PGconn*;

    libpq_connection(const postgresql_connect_args& args, engine_context* context) {
        link_.context = context;
        std::vector<const char*> keywords, values;
        for (const auto& [key, value] : args.parameters) {
            keywords.push_back(key.c_str());
            values.push_back(value.c_str());
        }
        keywords.push_back(nullptr);
        values.push_back(nullptr);
        link_.conn = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/0);
        if (!link_.conn || PQstatus(link_.conn) != CONNECTION_OK) {
            // libpq's messages never show the password.
            std::string message = link_.conn ? PQerrorMessage(link_.conn) : "out of memory";
            while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
            PQfinish(link_.conn);
            link_.conn = nullptr;
            throw operational_error("cannot connect to PostgreSQL (" + args.display + "): " + message);
        }
        PQsetNoticeProcessor(link_.conn, [](void*, const char*) {}, nullptr);  // no NOTICEs on stderr
        context->statistics.connections_opened.fetch_add(1, std::memory_order_relaxed);
    }
    libpq_connection(const libpq_connection&) = delete;
    libpq_connection& operator=(const libpq_connection&) = delete;
    ~libpq_connection() { close(); }

    std::chrono::steady_clock::time_point opened_at() const noexcept { return opened_at_; }

    // Whether the connection still answers (the pool's pre-ping).
    bool ping() noexcept {
        if (broken()) return false;
        detail::pg::result_ptr result(PQexec(link_.conn, "SELECT 1"));
        bool ok = result && PQresultStatus(result.get()) == PGRES_TUPLES_OK;
        if (!ok) link_.broken = true;
        return ok;
    }

    PGconn* native_handle() const noexcept { return link_.conn; }

    // The prepared statement for SQL text with static storage duration (compile-time SQL).
    libpq_statement& prepare_static(std::string_view sql) { return cache_.find_static(sql, preparer{this}); }
    // The prepared statement for SQL text built at run time, cached by its text.
    libpq_statement& prepare_text(std::string sql) { return cache_.find_text(std::move(sql), preparer{this}); }
    // The prepared statement for a shape known only at run time (an UPDATE of some columns),
    // cached under (tag, variant); `build` makes its text the first time only.
    template <class Build>
    libpq_statement& prepare_generated(const void* tag, std::uint64_t variant, Build&& build) {
        return cache_.find_generated(tag, variant, std::forward<Build>(build), preparer{this});
    }

    // Runs `statement` `count` times without a round trip per run (libpq's pipeline mode), in
    // batches of pipeline_batch runs: bind(i) binds run i, and once its batch is sent, read(i)
    // sees run i's result through the statement (step(), read()), in order. The first run that
    // fails throws as step() would, after the rest of its batch (skipped by the server) has been
    // read; later batches are not sent. Inside a transaction, that failure aborts it.
    template <class Bind, class Read>
    void run_pipelined(libpq_statement& statement, std::size_t count, Bind&& bind, Read&& read) {
        PGconn* conn = link_.conn;
        if (PQenterPipelineMode(conn) != 1) link_.fail(nullptr, statement.sql());
        bool sync_sent = false;
        try {
            for (std::size_t first = 0; first < count; first += pipeline_batch) {
                std::size_t end = count - first < pipeline_batch ? count : first + pipeline_batch;
                for (std::size_t i = first; i < end; ++i) {
                    statement.reset();
                    bind(i);
                    statement.send();
                }
                if (PQpipelineSync(conn) != 1) link_.fail(nullptr, statement.sql());
                sync_sent = true;
                for (std::size_t i = first; i < end; ++i) {
                    statement.receive(detail::pg::result_ptr(PQgetResult(conn)));
                    detail::pg::result_ptr end_of_run(PQgetResult(conn));  // null: run i has no more results
                    read(i);
                }
                detail::pg::result_ptr sync(PQgetResult(conn));
                if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) link_.fail(sync.get(), statement.sql());
                sync_sent = false;
            }
        } catch (...) {
            abandon_pipeline(sync_sent);
            throw;
        }
        if (PQexitPipelineMode(conn) != 1) link_.fail(nullptr, statement.sql());
    }
    static constexpr std::size_t pipeline_batch = 1000;  // bounds the results libpq holds at once

    // Runs SQL text directly (several statements allowed, no parameters).
    void execute(std::string_view sql) {
        auto* context = link_.context;
        bool traced = context->traced();
        if (traced) context->before(sql, {});
        auto started = std::chrono::steady_clock::now();
        context->statistics.statements_executed.fetch_add(1, std::memory_order_relaxed);
        struct after_on_exit {
            engine_context* context;
            std::string_view sql;
            bool traced;
            std::chrono::steady_clock::time_point started;
            ~after_on_exit() {
                if (traced) context->after(sql, {}, std::chrono::steady_clock::now() - started);
            }
        } after{context, sql, traced, started};
        link_.run(sql);
    }

    void begin() { execute("BEGIN"); }
    // COMMIT of a transaction an error aborted would silently roll it back: say so instead.
    void commit() {
        if (PQtransactionStatus(link_.conn) == PQTRANS_INERROR) {
            execute("ROLLBACK");
            throw operational_error(
                "COMMIT: the transaction was aborted by an earlier error (PostgreSQL ignores every command until "
                "the end of the transaction block); it has been rolled back");
        }
        execute("COMMIT");
    }
    void rollback() { execute("ROLLBACK"); }
    bool in_transaction() const noexcept {
        auto status = PQtransactionStatus(link_.conn);
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
    }

    // The value most recently generated by a sequence (an identity column) on this connection:
    // SELECT lastval(). Sessions read generated keys with INSERT ... RETURNING instead.
    std::int64_t last_insert_id() {
        detail::pg::result_ptr result(PQexec(link_.conn, "SELECT lastval()"));
        link_.check(result, "SELECT lastval()", PGRES_TUPLES_OK);
        return detail::pg::integer_from_text(PQgetvalue(result.get(), 0, 0));
    }
    // The rows changed by the last INSERT, UPDATE or DELETE.
    std::int64_t changes() const noexcept { return link_.changes; }

    // Whether the server went away: the pool closes such a connection instead of keeping it.
    bool broken() const noexcept { return link_.broken || !link_.conn || PQstatus(link_.conn) == CONNECTION_BAD; }

    // Leaves the connection as the pool wants it: no transaction open, no result held.
    void reset_for_pool() noexcept {
        cache_.for_each([](libpq_statement& statement) { statement.reset(); });
        if (!broken() && in_transaction()) {
            detail::pg::result_ptr result(PQexec(link_.conn, "ROLLBACK"));
            if (!result || PQresultStatus(result.get()) != PGRES_COMMAND_OK) link_.broken = true;
        }
    }

private:
    struct preparer {  // the statement cache's way to prepare what it does not hold
        libpq_connection* self;
        std::unique_ptr<libpq_statement> operator()(std::string_view sql) const { return self->prepare_new(sql); }
    };
    // PQprepare under a name unique to the connection, then PQdescribePrepared for the types the
    // server chose for the parameters and result columns.
    std::unique_ptr<libpq_statement> prepare_new(std::string_view sql) {
        std::string name = "structql_" + std::to_string(++statement_names_);
        std::string text(sql);  // NUL-terminated for libpq
        detail::pg::result_ptr prepared(PQprepare(link_.conn, name.c_str(), text.c_str(), 0, nullptr));
        link_.check(prepared, sql, PGRES_COMMAND_OK);
        detail::pg::result_ptr description(PQdescribePrepared(link_.conn, name.c_str()));
        link_.check(description, sql, PGRES_COMMAND_OK);
        link_.context->statistics.statements_prepared.fetch_add(1, std::memory_order_relaxed);
        return std::make_unique<libpq_statement>(&link_, std::move(name), sql, description.get());
    }

    // After a failure inside run_pipelined: reads what the server still sends for the runs
    // already queued, up to a sync point, and leaves pipeline mode. A connection that cannot
    // is marked broken, for the pool to close.
    void abandon_pipeline(bool sync_sent) noexcept {
        PGconn* conn = link_.conn;
        if (!sync_sent && PQpipelineSync(conn) != 1) {
            link_.broken = true;
            return;
        }
        // Each run's results end with a null; two nulls in a row mean nothing more is coming.
        for (bool last_was_null = false;;) {
            detail::pg::result_ptr result(PQgetResult(conn));
            if (!result) {
                if (last_was_null || PQstatus(conn) == CONNECTION_BAD) break;
                last_was_null = true;
                continue;
            }
            last_was_null = false;
            if (PQresultStatus(result.get()) == PGRES_PIPELINE_SYNC) break;
        }
        if (PQexitPipelineMode(conn) != 1) link_.broken = true;
    }

    void close() noexcept {
        if (!link_.conn) return;
        cache_.clear();
        PQfinish(link_.conn);
        link_.conn = nullptr;
        link_.context->statistics.connections_closed.fetch_add(1, std::memory_order_relaxed);
    }

    detail::pg::link link_;
    std::uint64_t statement_names_ = 0;
    std::chrono::steady_clock::time_point opened_at_ = std::chrono::steady_clock::now();
    detail::statement_cache<libpq_statement> cache_;
};

// The backend trait the engine and session are templated on.
struct postgresql_backend {
    using dialect = sql::postgresql_dialect;
    using connection_type = libpq_connection;
    using statement_type = libpq_statement;
    using connect_args = postgresql_connect_args;

    // Whether an integrity_error's message reports a foreign-key violation (SQLSTATE 23503).
    static bool is_foreign_key_violation(std::string_view message) noexcept {
        return message.find("(SQLSTATE 23503)") != std::string_view::npos;
    }
};

}  // namespace structql

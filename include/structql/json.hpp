#pragma once
// Models, and any other aggregate struct (a request or response schema), to and from JSON with
// Boost.JSON, by reflection: what Pydantic models are to a FastAPI backend.
//
//     boost::json::value v = sq::to_json(pessoa);          // {"id":1,"nome":"Ana",...}
//     auto p = sq::from_json<Pessoa>(body);                  // json_error naming each bad field
//     sq::patch_json(pessoa, body);                          // PATCH: only the fields present
//
// The keys are the members' names. Optional (`<structql/structql.hpp>` does not include it):
// Boost.JSON is a compiled library; link Boost::json, or include <boost/json/src.hpp> in one
// translation unit of the program.
//
// Values: bool; integers (range-checked on the way in); float and double (finite only); strings;
// blobs as base64; timestamps as ISO 8601 UTC text ("2026-12-02T16:07:26.5Z" in, nine decimals
// out); enums as their names when enum_values<E>::names gives them, else their integers
// (checked against enum_values<E>::values when it lists them); column wrappers as the value they
// hold; std::optional as null, or absent on the way in; nested aggregate structs as objects;
// std::vector<T> as arrays; structql::uuid as its text; a json<T> column as the document it
// holds; other types through value_traits<T>'s storage type (a DATE as "YYYY-MM-DD", a decimal
// as its digits in a string).
//
// json<T> is also a column type: T (anything to_json writes) stored as its JSON text, in a TEXT
// column on SQLite and a JSONB column on PostgreSQL. Reading a stored document that does not fit
// T is a data_error naming the table, the column and the problems.
//
// from_json checks everything before it returns and reports every problem at once: a field
// missing (neither optional nor a generated integer primary key, which may be left out and stays
// 0), of the wrong JSON type, out of range, not a known enum name, or (json_options::extra_fields
// = forbid) a key the struct has no member for. Keys it does not know are ignored by default, as
// Pydantic does.
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <boost/pfr/core.hpp>

#include "structql/backend/sqlite.hpp"
#include "structql/detail/rows.hpp"
#include "structql/errors.hpp"
#include "structql/reflect/names.hpp"
#include "structql/schema/columns.hpp"
#include "structql/schema/table.hpp"
#include "structql/schema/value_traits.hpp"
#include "structql/uuid.hpp"

namespace structql {

// A column holding a T as a JSON document (see above). Reads like the T it holds: *column,
// column->member.
template <class T>
struct json {
    T value{};

    T& operator*() noexcept { return value; }
    const T& operator*() const noexcept { return value; }
    T* operator->() noexcept { return &value; }
    const T* operator->() const noexcept { return &value; }
    friend bool operator==(const json& a, const json& b)
        requires std::equality_comparable<T>
    {
        return a.value == b.value;
    }
};

struct json_options {
    enum class extra { ignore, forbid };
    // A key the struct has no member for: ignored, or a problem of its own.
    extra extra_fields = extra::ignore;
};

// One thing wrong with a JSON document: where (a path such as "items[2].nome"; empty for the
// document itself) and what.
struct json_problem {
    std::string field;
    std::string problem;
};

// from_json / patch_json: the document does not fit the struct. what() lists every problem.
struct json_error : error {
    json_error(std::string type, std::vector<json_problem> problems)
        : error(describe(type, problems)), problems_(std::move(problems)) {}
    const std::vector<json_problem>& problems() const noexcept { return problems_; }

private:
    static std::string describe(const std::string& type, const std::vector<json_problem>& problems) {
        std::string text = "invalid JSON for " + type + ":";
        for (const auto& p : problems) text += " " + (p.field.empty() ? std::string("(document)") : p.field) + ": " + p.problem + ";";
        text.pop_back();
        return text;
    }
    std::vector<json_problem> problems_;
};

namespace detail::json {

template <class T>
struct is_vector : std::false_type {};
template <class T, class A>
struct is_vector<std::vector<T, A>> : std::true_type {};

template <class T>
concept wrapper = std::is_base_of_v<column_wrapper_tag, T>;
template <class T>
struct is_json_column : std::false_type {};
template <class T>
struct is_json_column<structql::json<T>> : std::true_type {};
// A struct reflected member by member (a model, a schema, a nested part of one).
template <class T>
concept record = std::is_class_v<T> && std::is_aggregate_v<T> && !wrapper<T> && !is_vector<T>::value &&
                 !is_optional<T>::value && !mappable<T>;

inline std::string kind_of(const boost::json::value& v) {
    switch (v.kind()) {
        case boost::json::kind::null: return "null";
        case boost::json::kind::bool_: return "a boolean";
        case boost::json::kind::int64:
        case boost::json::kind::uint64: return "an integer";
        case boost::json::kind::double_: return "a number with a fraction";
        case boost::json::kind::string: return "a string";
        case boost::json::kind::array: return "an array";
        case boost::json::kind::object: return "an object";
    }
    return "a value";
}

inline std::string base64_encode(const blob& bytes) {
    static constexpr char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    for (std::size_t i = 0; i < bytes.size(); i += 3) {
        std::uint32_t n = std::to_integer<std::uint32_t>(bytes[i]) << 16;
        if (i + 1 < bytes.size()) n |= std::to_integer<std::uint32_t>(bytes[i + 1]) << 8;
        if (i + 2 < bytes.size()) n |= std::to_integer<std::uint32_t>(bytes[i + 2]);
        out += digits[(n >> 18) & 63];
        out += digits[(n >> 12) & 63];
        out += i + 1 < bytes.size() ? digits[(n >> 6) & 63] : '=';
        out += i + 2 < bytes.size() ? digits[n & 63] : '=';
    }
    return out;
}

inline std::optional<blob> base64_decode(std::string_view text) {
    auto value_of = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    if (text.size() % 4 != 0) return std::nullopt;
    blob out;
    out.reserve(text.size() / 4 * 3);
    for (std::size_t i = 0; i < text.size(); i += 4) {
        int v[4];
        int padding = 0;
        for (int k = 0; k < 4; ++k) {
            char c = text[i + static_cast<std::size_t>(k)];
            if (c == '=' && i + 4 == text.size() && k >= 2) {
                v[k] = 0;
                ++padding;
            } else if (padding > 0 || (v[k] = value_of(c)) < 0) {
                return std::nullopt;
            }
        }
        std::uint32_t n = (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
                          (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
        out.push_back(static_cast<std::byte>((n >> 16) & 0xFF));
        if (padding < 2) out.push_back(static_cast<std::byte>((n >> 8) & 0xFF));
        if (padding < 1) out.push_back(static_cast<std::byte>(n & 0xFF));
    }
    return out;
}

// ISO 8601 in UTC: the storage text with 'T' and 'Z'.
inline std::string iso_timestamp(timestamp t) {
    std::string text = format_timestamp(t);
    text[10] = 'T';
    return text + 'Z';
}

// Problems found so far, and where the reader is.
struct reader {
    const json_options& options;
    std::vector<json_problem> problems;
    std::string path;

    void fail(std::string problem) { problems.push_back({path, std::move(problem)}); }
    void expected(const char* what, const boost::json::value& found) {
        fail(std::string("expected ") + what + ", found " + kind_of(found));
    }
    // Runs f with `part` appended to the path.
    template <class F>
    void at(std::string_view part, F&& f) {
        const std::size_t size = path.size();
        if (part.front() != '[' && !path.empty()) path += '.';
        path += part;
        f();
        path.resize(size);
    }
};

template <class T>
boost::json::value write(const T& v);

template <record T>
boost::json::object write_record(const T& object) {
    boost::json::object out;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ([&] {
            constexpr std::string_view name = member_name<T, I>();
            try {
                out.emplace(name, write(boost::pfr::get<I>(object)));
            } catch (...) {  // a value its value_traits refuse (an enum without a name)
                rethrow_as_data_error("to_json: " + std::string(unqualified_type_name<T>()) + "." + std::string(name), {});
            }
        }(), ...);
    }(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
    return out;
}

template <class T>
boost::json::value write(const T& v) {
    if constexpr (wrapper<T> || is_json_column<T>::value) {
        return write(v.value);
    } else if constexpr (is_optional<T>::value) {
        return v ? write(*v) : boost::json::value(nullptr);
    } else if constexpr (std::is_same_v<T, bool>) {
        return v;
    } else if constexpr (std::is_integral_v<T>) {
        if constexpr (std::is_signed_v<T>) return static_cast<std::int64_t>(v);
        else return static_cast<std::uint64_t>(v);
    } else if constexpr (std::is_floating_point_v<T>) {
        if (!std::isfinite(v)) throw data_error("to_json: " + std::to_string(v) + " has no JSON form (JSON numbers are finite)");
        return static_cast<double>(v);
    } else if constexpr (std::is_same_v<T, std::string>) {
        return boost::json::string(v);
    } else if constexpr (std::is_same_v<T, blob>) {
        return boost::json::string(base64_encode(v));
    } else if constexpr (std::is_same_v<T, timestamp>) {
        return boost::json::string(iso_timestamp(v));
    } else if constexpr (std::is_same_v<T, uuid>) {
        return boost::json::string(v.to_string());
    } else if constexpr (std::is_enum_v<T> && enum_with_names<T>) {
        return boost::json::string(value_traits<T>::to_storage(v));
    } else if constexpr (std::is_enum_v<T>) {
        return write(static_cast<std::underlying_type_t<T>>(value_traits<T>::to_storage(v)));
    } else if constexpr (is_vector<T>::value) {
        boost::json::array out;
        out.reserve(v.size());
        for (const auto& item : v) out.push_back(write(item));
        return out;
    } else if constexpr (record<T>) {
        return write_record(v);
    } else {
        static_assert(mappable<T>,
                      "StructQL: to_json: a member's type has no JSON form (T names it); use a value type, a struct, "
                      "std::optional or std::vector of them, or specialise structql::value_traits<T>");
        return write(value_traits<T>::to_storage(v));
    }
}

template <class T>
void read(reader& r, const boost::json::value& in, T& out);

// Reads into `out`; false when that added a problem (so `out` is not to be used).
template <class T>
bool read_clean(reader& r, const boost::json::value& in, T& out) {
    const std::size_t before = r.problems.size();
    read(r, in, out);
    return r.problems.size() == before;
}

// Member I is T's primary key: primary_key<> or, with none, the member named `id`.
template <class T, std::size_t I>
constexpr bool is_key_member() {
    if constexpr (column_layers<boost::pfr::tuple_element_t<I, T>>::primary_key) {
        return true;
    } else {
        const bool has_wrapper = []<std::size_t... K>(std::index_sequence<K...>) {
            return (column_layers<boost::pfr::tuple_element_t<K, T>>::primary_key || ...);
        }(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
        return !has_wrapper && member_name<T, I>() == "id";
    }
}

// Member I of T may be left out: it is optional, or T's integer primary key, which the
// database generates.
template <class T, std::size_t I>
constexpr bool may_be_absent() {
    using layers = column_layers<boost::pfr::tuple_element_t<I, T>>;
    using value = typename layers::value_type;
    return layers::nullable ||
           (std::is_integral_v<value> && !std::is_same_v<value, bool> && is_key_member<T, I>());
}

// With json_options::extra_fields = forbid: each key of `object` that names no member of T.
template <class T>
void check_extra_fields(reader& r, const boost::json::object& object) {
    if (r.options.extra_fields != json_options::extra::forbid) return;
    for (const auto& entry : object) {
        const bool known = [&]<std::size_t... I>(std::index_sequence<I...>) {
            return ((entry.key() == member_name<T, I>()) || ...);
        }(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
        if (!known) r.at(std::string_view(entry.key()), [&] { r.fail("not a field of this struct"); });
    }
}

template <record T>
void read_record(reader& r, const boost::json::value& in, T& out) {
    const boost::json::object* object = in.if_object();
    if (!object) return r.expected("an object", in);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
        ([&] {
            constexpr std::string_view name = member_name<T, I>();
            r.at(name, [&] {
                if (const boost::json::value* v = object->if_contains(name)) read(r, *v, boost::pfr::get<I>(out));
                else if constexpr (!may_be_absent<T, I>()) r.fail("missing");
            });
        }(), ...);
    }(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
    check_extra_fields<T>(r, *object);
}

template <class T>
void read_integer(reader& r, const boost::json::value& in, T& out) {
    if (const std::int64_t* i = in.if_int64()) {
        if (fits<T>(*i)) out = static_cast<T>(*i);
        else r.fail(integer_range_message<T>(*i));
    } else if (const std::uint64_t* u = in.if_uint64()) {
        if (fits<T>(*u)) out = static_cast<T>(*u);
        else r.fail(integer_range_message<T>(*u));
    } else {
        r.expected("an integer", in);
    }
}

template <class T>
void read(reader& r, const boost::json::value& in, T& out) {
    if constexpr (wrapper<T> || is_json_column<T>::value) {
        read(r, in, out.value);
    } else if constexpr (is_optional<T>::value) {
        if (in.is_null()) {
            out.reset();
        } else {
            typename T::value_type value{};
            if (read_clean(r, in, value)) out = std::move(value);
        }
    } else if (in.is_null()) {
        r.fail("null where a value is required (the member is not std::optional)");
    } else if constexpr (std::is_same_v<T, bool>) {
        if (const bool* b = in.if_bool()) out = *b;
        else r.expected("a boolean", in);
    } else if constexpr (std::is_integral_v<T>) {
        read_integer(r, in, out);
    } else if constexpr (std::is_floating_point_v<T>) {
        if (!in.is_number()) return r.expected("a number", in);
        const double d = in.to_number<double>();
        if (!fits<T>(d)) return r.fail("value " + std::to_string(d) + " is out of range for a float");
        out = static_cast<T>(d);
    } else if constexpr (std::is_same_v<T, std::string>) {
        if (const boost::json::string* s = in.if_string()) out.assign(s->data(), s->size());
        else r.expected("a string", in);
    } else if constexpr (std::is_same_v<T, blob>) {
        const boost::json::string* s = in.if_string();
        if (!s) return r.expected("a base64 string", in);
        if (auto bytes = base64_decode(std::string_view(*s))) out = std::move(*bytes);
        else r.fail("not base64 text");
    } else if constexpr (std::is_same_v<T, timestamp>) {
        const boost::json::string* s = in.if_string();
        if (!s) return r.expected("an ISO 8601 timestamp string", in);
        try {
            out = parse_timestamp(std::string_view(*s));
        } catch (const conversion_failure&) {
            r.fail("'" + std::string(std::string_view(*s)) +
                   "' is not an ISO 8601 UTC timestamp (YYYY-MM-DDTHH:MM:SS[.fffffffff][Z])");
        }
    } else if constexpr (std::is_same_v<T, uuid>) {
        const boost::json::string* s = in.if_string();
        if (!s) return r.expected("a UUID string", in);
        try {
            out = uuid::parse(std::string_view(*s));
        } catch (const std::invalid_argument& e) {
            r.fail(e.what());
        }
    } else if constexpr (std::is_enum_v<T> && enum_with_names<T>) {
        const boost::json::string* s = in.if_string();
        if (!s) return r.expected("one of the enum's names", in);
        std::string name(s->data(), s->size());
        try {
            out = value_traits<T>::from_storage(name);
        } catch (const std::out_of_range&) {
            std::string known;
            for (const auto& [value, n] : enum_values<T>::names) known += (known.empty() ? "" : ", ") + std::string(n);
            r.fail("'" + name + "' is not one of: " + known);
        }
    } else if constexpr (std::is_enum_v<T>) {
        std::underlying_type_t<T> number{};
        if (!read_clean(r, in, number)) return;
        try {
            out = value_traits<T>::from_storage(value_traits<std::underlying_type_t<T>>::to_storage(number));
        } catch (const std::out_of_range& e) {
            r.fail(e.what());
        }
    } else if constexpr (is_vector<T>::value) {
        const boost::json::array* a = in.if_array();
        if (!a) return r.expected("an array", in);
        T items(a->size());
        for (std::size_t i = 0; i < a->size(); ++i)
            r.at("[" + std::to_string(i) + "]", [&] { read(r, (*a)[i], items[i]); });
        out = std::move(items);
    } else if constexpr (record<T>) {
        read_record(r, in, out);
    } else {
        static_assert(mappable<T>,
                      "StructQL: from_json: a member's type has no JSON form (T names it); use a value type, a "
                      "struct, std::optional or std::vector of them, or specialise structql::value_traits<T>");
        typename value_traits<T>::storage_type stored{};
        if (!read_clean(r, in, stored)) return;
        try {
            out = value_traits<T>::from_storage(std::move(stored));
        } catch (const std::exception& e) {
            r.fail(e.what());
        }
    }
}

template <class T>
void check_record() {
    static_assert(record<T>,
                  "StructQL: to_json / from_json / patch_json take an aggregate struct (a model or a schema): "
                  "T names the type");
}

}  // namespace detail::json

// The struct as a JSON object, member by member.
template <class T>
boost::json::value to_json(const T& object) {
    detail::json::check_record<T>();
    return detail::json::write_record(object);
}

// A T read from a JSON object; json_error lists every problem found.
template <class T>
T from_json(const boost::json::value& document, const json_options& options = {}) {
    detail::json::check_record<T>();
    detail::json::reader r{options, {}, {}};
    T result{};
    detail::json::read_record(r, document, result);
    if (!r.problems.empty()) throw json_error(std::string(detail::unqualified_type_name<T>()), std::move(r.problems));
    return result;
}

// Sets the members whose keys the JSON object has, and only those (an HTTP PATCH). A primary
// key may be given only with its current value. On json_error the object is left unchanged.
template <class T>
void patch_json(T& object, const boost::json::value& document, const json_options& options = {}) {
    detail::json::check_record<T>();
    detail::json::reader r{options, {}, {}};
    const boost::json::object* fields = document.if_object();
    if (!fields) {
        r.expected("an object", document);
    } else {
        T patched = object;
        [&]<std::size_t... I>(std::index_sequence<I...>) {
            ([&] {
                constexpr std::string_view name = detail::member_name<T, I>();
                const boost::json::value* v = fields->if_contains(name);
                if (!v) return;
                r.at(name, [&] {
                    auto& member = boost::pfr::get<I>(patched);
                    detail::json::read(r, *v, member);
                    if constexpr (detail::json::is_key_member<T, I>()) {
                        if (!(member == boost::pfr::get<I>(object))) r.fail("a primary key cannot be changed by a patch");
                    }
                });
            }(), ...);
        }(std::make_index_sequence<boost::pfr::tuple_size_v<T>>{});
        detail::json::check_extra_fields<T>(r, *fields);
        if (r.problems.empty()) {
            object = std::move(patched);
            return;
        }
    }
    throw json_error(std::string(detail::unqualified_type_name<T>()), std::move(r.problems));
}

// A json<T> column's storage: the document's text.
template <class T>
struct value_traits<json<T>> {
    using storage_type = std::string;
    static constexpr column_type sql_type = column_type::json;
    static std::string to_storage(const json<T>& column) {
        return boost::json::serialize(detail::json::write(column.value));
    }
    static json<T> from_storage(const std::string& text) {
        boost::system::error_code ec;
        boost::json::value document = boost::json::parse(text, ec);
        if (ec) throw std::invalid_argument("the stored text is not JSON: " + ec.message());
        json_options options;
        detail::json::reader r{options, {}, {}};
        json<T> out;
        detail::json::read(r, document, out.value);
        if (!r.problems.empty())
            throw std::invalid_argument(json_error(std::string(detail::unqualified_type_name<T>()), std::move(r.problems)).what());
        return out;
    }
};

}  // namespace structql

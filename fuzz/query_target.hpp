#pragma once
// Fuzz target: the query builder. The input decodes into a filter over a small seeded table
// (comparisons with random values, value-on-the-left comparisons, LIKE patterns, IN lists,
// BETWEEN, IS NULL, arithmetic, column-to-column comparisons, combined with !, && and ||)
// plus a LIMIT and an OFFSET. The query runs through a session and a connection; its count(),
// exists(), ordered rows, bulk update() and remove() (rolled back) must agree with a
// brute-force evaluation of the same filter in C++ with SQL's three-valued logic.
//
// A NaN value is refused (SQLite would bind it as NULL): the target checks that once, and
// draws only other values for its filters.
//
// Modelled SQLite semantics: LIKE ignores ASCII case, '%' is any
// run and '_' one character (the seeded names and patterns are ASCII); text compares
// bytewise (BINARY); integer arithmetic that overflows continues in floating point; an empty
// IN list is false even for NULL; a negative LIMIT is no limit and a negative OFFSET is 0.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <structql/structql.hpp>

#include "fuzz_support.hpp"

namespace structql_fuzz {

namespace query {

namespace sq = structql;

struct item {
    std::int64_t id;
    std::string name;
    std::optional<std::int64_t> score;
    double ratio;
    bool flag;
    static constexpr std::string_view table_name = "fuzz_items";
};

inline constexpr std::int64_t int_max = std::numeric_limits<std::int64_t>::max();
inline constexpr std::int64_t int_min = std::numeric_limits<std::int64_t>::min();

inline const std::vector<item>& seeds() {
    static const std::vector<item> rows = [] {
        const std::vector<std::string> names = {"",    "a",   "A",    "ab",  "aB",   "Ab",  "abc", "b",  "B",   "ba",
                                                "%",   "_",   "a%b",  "a_b", "x%",   "_x",  "zz",  " ",  "a b", "abab",
                                                "aa",  "AAA", "bAb",  "\\",  "a\\b", "Z",   "~",   "0",  "10",  "9"};
        const std::vector<std::int64_t> scores = {0, 1, -1, 2, 7, 42, -42, int_max, int_min, 1000, 3};
        const std::vector<double> ratios = {0.5, -1.25, 3.0,  1e300, -1e300, HUGE_VAL, -HUGE_VAL,
                                            0.0, 2.5,   1e-300, 7.0, 4611686018427387904.0, 9.5e18, -0.5};
        const std::vector<std::int64_t> special_ids = {-7, 1000000007, int_max, int_min};
        std::vector<item> out;
        for (std::size_t i = 0; i < 40; ++i) {
            item x;
            x.id = i < 36 ? static_cast<std::int64_t>(i + 1) : special_ids[i - 36];
            x.name = names[(i * 7) % names.size()];
            if (i % 5 != 0) x.score = scores[i % scores.size()];
            x.ratio = ratios[i % ratios.size()];
            x.flag = i % 3 == 0;
            out.push_back(x);
        }
        return out;
    }();
    return rows;
}

inline sq::engine& database() {
    static sq::engine engine = [] {
        auto e = sq::create_engine("sqlite://");
        sq::metadata<item>::create_all(e);
        auto c = e.connect();
        for (const item& x : seeds()) {
            if (x.score)
                c.execute("INSERT INTO fuzz_items VALUES (?, ?, ?, ?, ?)", x.id, x.name, *x.score, x.ratio, x.flag);
            else
                c.execute("INSERT INTO fuzz_items VALUES (?, ?, NULL, ?, ?)", x.id, x.name, x.ratio, x.flag);
        }
        return e;
    }();
    return engine;
}

// SQL's three-valued logic.
enum class tri { no, unknown, yes };
inline tri of(bool b) { return b ? tri::yes : tri::no; }
inline tri operator&&(tri a, tri b) {
    if (a == tri::no || b == tri::no) return tri::no;
    return a == tri::unknown || b == tri::unknown ? tri::unknown : tri::yes;
}
inline tri operator||(tri a, tri b) {
    if (a == tri::yes || b == tri::yes) return tri::yes;
    return a == tri::unknown || b == tri::unknown ? tri::unknown : tri::no;
}
inline tri operator!(tri a) { return a == tri::unknown ? tri::unknown : of(a == tri::no); }

// column <op> value; the column is NULL when `have` is empty.
template <class V, class Op>
tri compare(const std::optional<V>& have, const V& value, Op op) {
    if (!have) return tri::unknown;
    return of(op(*have, value));
}

// SQLite's LIKE without ESCAPE over ASCII text: case-insensitive, '%' and '_' wildcards.
inline bool like(std::string_view pattern, std::string_view text) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (pattern.empty()) return text.empty();
    if (pattern[0] == '%') {
        for (std::size_t skip = 0; skip <= text.size(); ++skip)
            if (like(pattern.substr(1), text.substr(skip))) return true;
        return false;
    }
    if (text.empty()) return false;
    if (pattern[0] != '_' && lower(pattern[0]) != lower(text[0])) return false;
    return like(pattern.substr(1), text.substr(1));
}

// Exact arithmetic on int64 values and doubles: x86-64's long double has a 64-bit mantissa, so
// it holds every int64, every double, and the sum of an int64 and an int16 exactly.
inline int compare_exact(double d, std::int64_t i) {
    long double a = d, b = static_cast<long double>(i);
    return a < b ? -1 : a > b ? 1 : 0;
}

// Random values, mostly near the seeded ones so that comparisons hit.
inline std::int64_t any_id(reader& r) {
    const auto& s = seeds();
    switch (r.byte() % 3) {
        case 0: return s[r.below(s.size())].id;
        case 1: {
            std::int64_t id = s[r.below(s.size())].id, delta = static_cast<std::int64_t>(r.byte() % 3) - 1;
            return (delta > 0 && id == int_max) || (delta < 0 && id == int_min) ? id : id + delta;
        }
        default: return r.int64();
    }
}
inline std::int64_t any_score(reader& r) {
    const auto& s = seeds();
    const item& x = s[r.below(s.size())];
    switch (r.byte() % 3) {
        case 0: return x.score.value_or(0);
        case 1: return x.score.value_or(0) / 2 + static_cast<std::int64_t>(r.byte() % 3) - 1;
        default: return r.int64();
    }
}
inline std::string any_name(reader& r) {
    const auto& s = seeds();
    std::string name = s[r.below(s.size())].name;
    switch (r.byte() % 4) {
        case 0: return name;
        case 1: return name + static_cast<char>(r.byte());
        case 2: return name.empty() ? name : name.substr(0, name.size() - 1);
        default: return r.bytes(6);
    }
}
inline double any_ratio(reader& r) {
    const auto& s = seeds();
    double ratio = s[r.below(s.size())].ratio;
    switch (r.byte() % 3) {
        case 0: return ratio;
        case 1: return std::nextafter(ratio, r.boolean() ? HUGE_VAL : -HUGE_VAL);
        default: {
            double v = r.real();
            return std::isnan(v) ? 0.0 : v;  // refused, checked once in query_target
        }
    }
}
inline std::string any_pattern(reader& r) { return r.text_from("aAbBzZ%_ \\x", 8); }

template <class V, class Make>
std::vector<V> any_list(reader& r, Make make) {
    std::vector<V> out(r.below(7));
    for (auto& v : out) v = make(r);
    return out;
}

inline std::optional<std::int64_t> id_of(const item& x) { return x.id; }
inline std::optional<std::string> name_of(const item& x) { return x.name; }
inline std::optional<std::int64_t> score_of(const item& x) { return x.score; }
inline std::optional<double> ratio_of(const item& x) { return x.ratio; }
inline std::optional<bool> flag_of(const item& x) { return x.flag; }

// `column <op> value` for the six operators.
template <auto Member, class V, class Get, class F>
void comparison(reader& r, V v, Get get, F&& f) {
    constexpr auto c = sq::col<Member>;
    auto eval = [=](auto op) { return [=](const item& x) { return compare(get(x), v, op); }; };
    switch (r.below(6)) {
        case 0: f(c == v, eval([](const V& a, const V& b) { return a == b; })); break;
        case 1: f(c != v, eval([](const V& a, const V& b) { return a != b; })); break;
        case 2: f(c < v, eval([](const V& a, const V& b) { return a < b; })); break;
        case 3: f(c <= v, eval([](const V& a, const V& b) { return a <= b; })); break;
        case 4: f(c > v, eval([](const V& a, const V& b) { return a > b; })); break;
        default: f(c >= v, eval([](const V& a, const V& b) { return a >= b; })); break;
    }
}

template <auto Member, class V, class Get, class F>
void between(V low, V high, Get get, F&& f) {
    f(sq::col<Member>.between(low, high), [=](const item& x) {
        return compare(get(x), low, [](const V& a, const V& b) { return a >= b; }) &&
               compare(get(x), high, [](const V& a, const V& b) { return a <= b; });
    });
}

template <auto Member, class V, class Get, class F>
void in_list(std::vector<V> list, Get get, F&& f) {
    auto eval = [=](const item& x) {
        if (list.empty()) return tri::no;
        auto have = get(x);
        if (!have) return tri::unknown;
        tri result = tri::no;
        for (const V& v : list) result = result || compare(have, v, [](const V& a, const V& b) { return a == b; });
        return result;
    };
    f(sq::col<Member>.in(list), eval);
}

// Each predicate shape is a distinct C++ type, and each type costs compile time (its SQL is
// built at compile time, its binding code is generated): the full set below is ~35 types,
// the small set for && and || ~10.

// A predicate from the full set.
template <class F>
void any_predicate(reader& r, F&& f) {
    switch (r.below(14)) {
        case 0: comparison<&item::id>(r, any_id(r), id_of, f); break;
        case 1: in_list<&item::id>(any_list<std::int64_t>(r, any_id), id_of, f); break;
        case 2: comparison<&item::name>(r, any_name(r), name_of, f); break;
        case 3: between<&item::name>(any_name(r), any_name(r), name_of, f); break;
        case 4: in_list<&item::name>(any_list<std::string>(r, any_name), name_of, f); break;
        case 5: {
            std::string pattern = any_pattern(r);
            f(sq::col<&item::name>.like(pattern), [=](const item& x) { return of(like(pattern, x.name)); });
            break;
        }
        case 6: comparison<&item::score>(r, any_score(r), score_of, f); break;
        case 7: between<&item::score>(any_score(r), any_score(r), score_of, f); break;
        case 8:
            if (r.boolean()) f(sq::col<&item::score>.is_null(), [](const item& x) { return of(!x.score); });
            else f(sq::col<&item::score> != std::nullopt, [](const item& x) { return of(x.score.has_value()); });
            break;
        case 9: {
            std::int64_t a = static_cast<std::int16_t>(r.integral<std::int16_t>()), b = any_score(r);
            f(sq::col<&item::score> + a > b, [=](const item& x) {
                return x.score ? of(static_cast<long double>(*x.score) + static_cast<long double>(a) > static_cast<long double>(b)) : tri::unknown;
            });
            break;
        }
        case 10: comparison<&item::ratio>(r, any_ratio(r), ratio_of, f); break;
        case 11: in_list<&item::ratio>(any_list<double>(r, any_ratio), ratio_of, f); break;
        case 12: {
            bool v = r.boolean();
            f(sq::col<&item::flag> == v, [=](const item& x) { return of(x.flag == v); });
            break;
        }
        default:
            f(sq::col<&item::ratio> < sq::col<&item::score>, [](const item& x) {
                return x.score ? of(compare_exact(x.ratio, *x.score) < 0) : tri::unknown;
            });
            break;
    }
}

// A predicate from a smaller set, for both sides of && and ||: values on the left, BETWEEN
// over integers and doubles, arithmetic with the value first, a column compared to a column.
template <class F>
void small_predicate(reader& r, F&& f) {
    switch (r.below(6)) {
        case 0: f(sq::col<&item::score>.is_null(), [](const item& x) { return of(!x.score); }); break;
        case 1: {
            std::string pattern = any_pattern(r);
            f(sq::col<&item::name>.like(pattern), [=](const item& x) { return of(like(pattern, x.name)); });
            break;
        }
        case 2: {
            std::int64_t v = any_score(r);
            f(v < sq::col<&item::score>, [=](const item& x) {
                return compare(x.score, v, [](std::int64_t a, std::int64_t b) { return b < a; });
            });
            break;
        }
        case 3: between<&item::id>(any_id(r), any_id(r), id_of, f); break;
        case 4: {
            std::int64_t a = static_cast<std::int16_t>(r.integral<std::int16_t>()), b = any_score(r);
            f(a - sq::col<&item::score> <= b, [=](const item& x) {
                return x.score ? of(static_cast<long double>(a) - static_cast<long double>(*x.score) <= static_cast<long double>(b)) : tri::unknown;
            });
            break;
        }
        default:
            f(sq::col<&item::id> == sq::col<&item::score>,
              [](const item& x) { return x.score ? of(x.id == *x.score) : tri::unknown; });
            break;
    }
}

inline std::string ids(const std::vector<std::int64_t>& v) {
    std::string out;
    for (auto i : v) out += std::to_string(i) + " ";
    return out;
}

// The rows the brute force keeps, ordered by (name, id).
template <class Eval>
std::vector<std::int64_t> expected_ids(const Eval& eval) {
    std::vector<const item*> kept;
    for (const item& x : seeds())
        if (eval(x) == tri::yes) kept.push_back(&x);
    std::sort(kept.begin(), kept.end(), [](const item* a, const item* b) {
        return a->name != b->name ? a->name < b->name : a->id < b->id;
    });
    std::vector<std::int64_t> out;
    for (const item* x : kept) out.push_back(x->id);
    return out;
}

// count() and exists() of the filter, through a session.
template <class Filter, class Eval>
void check_count(const Filter& filter, const Eval& eval, std::string_view shape) {
    auto want = expected_ids(eval);
    sq::session db(database());
    auto q = db.query<item>().filter(filter);
    std::string what = std::string(shape) + " [SQL: " + std::string(decltype(q)::count_sql) + "]";
    std::size_t got = q.count();
    STRUCTQL_FUZZ_CHECK(got == want.size(), "count() " + std::to_string(got) + ", brute force " +
                                                std::to_string(want.size()) + " for " + what);
    STRUCTQL_FUZZ_CHECK(q.exists() == !want.empty(), "exists() disagrees for " + what);
}

// Everything for one filter: count and exists; the rows ordered, with a limit and an offset,
// as tracked objects and as values; a bulk update and remove, rolled back.
template <class Filter, class Eval>
void check_all(reader& r, const Filter& filter, const Eval& eval, std::string_view shape) {
    check_count(filter, eval, shape);
    auto want = expected_ids(eval);
    std::int64_t limit = static_cast<std::int64_t>(r.below(14)) - 1;
    std::int64_t offset = static_cast<std::int64_t>(r.below(14)) - 1;
    std::size_t from = static_cast<std::size_t>(std::max<std::int64_t>(offset, 0));
    std::vector<std::int64_t> page;
    for (std::size_t i = from; i < want.size() && (limit < 0 || page.size() < static_cast<std::size_t>(limit)); ++i)
        page.push_back(want[i]);
    std::string what = std::string(shape) + " limit " + std::to_string(limit) + " offset " + std::to_string(offset);

    sq::session db(database());
    auto paged = db.query<item>()
                     .filter(filter)
                     .order_by(sq::col<&item::name>, sq::col<&item::id>)
                     .limit(limit)
                     .offset(offset);
    std::vector<std::int64_t> got;
    for (item* x : paged.all()) got.push_back(x->id);
    STRUCTQL_FUZZ_CHECK(got == page, "rows " + ids(got) + "!= brute force " + ids(page) + "for " + what);
    STRUCTQL_FUZZ_CHECK(paged.count() == page.size(), "count() with limit: " + what);
    got.clear();
    for (const item& x : paged.values()) got.push_back(x.id);
    STRUCTQL_FUZZ_CHECK(got == page, "values() " + ids(got) + "!= brute force " + ids(page) + "for " + what);

    // Bulk statements in a transaction that is rolled back; the session's objects follow.
    std::vector<item*> loaded = db.query<item>().all();
    std::size_t updated = db.query<item>().filter(filter).update(sq::set<&item::name>("changed"));
    STRUCTQL_FUZZ_CHECK(updated == want.size(), "update() changed " + std::to_string(updated) + " rows for " + what);
    std::size_t removed = db.query<item>().filter(sq::col<&item::name> == "changed").remove();
    STRUCTQL_FUZZ_CHECK(removed == want.size(), "remove() deleted " + std::to_string(removed) + " rows for " + what);
    db.rollback();
    STRUCTQL_FUZZ_CHECK(db.query<item>().count() == seeds().size(), "rollback did not restore the rows");
    for (item* x : loaded) {
        auto it = std::find_if(seeds().begin(), seeds().end(), [&](const item& s) { return s.id == x->id; });
        STRUCTQL_FUZZ_CHECK(it != seeds().end() && it->name == x->name && it->score == x->score,
                            "rollback did not restore a tracked object for " + what);
    }
}

}  // namespace query

inline void query_target(const std::uint8_t* data, std::size_t size) {
    using namespace query;
    static const bool nan_refused = [] {  // once per process
        sq::session db(database());
        try {
            (void)db.query<item>().filter(sq::col<&item::ratio> > std::numeric_limits<double>::quiet_NaN()).count();
        } catch (const sq::data_error&) {
            return true;
        }
        return false;
    }();
    STRUCTQL_FUZZ_CHECK(nan_refused, "a NaN filter value was bound");
    reader r(data, size);
    switch (r.below(4)) {
        case 0: any_predicate(r, [&](auto p, auto eval) { check_all(r, p, eval, "p"); }); break;
        case 1:
            any_predicate(r, [&](auto p, auto eval) {
                check_count(!p, [=](const item& x) { return !eval(x); }, "!p");
            });
            break;
        default: {
            bool conjunction = r.boolean();
            small_predicate(r, [&](auto p, auto eval_p) {
                small_predicate(r, [&](auto q, auto eval_q) {
                    if (conjunction)
                        check_count(p && q, [=](const item& x) { return eval_p(x) && eval_q(x); }, "p && q");
                    else
                        check_count(p || !q, [=](const item& x) { return eval_p(x) || !eval_q(x); }, "p || !q");
                });
            });
            break;
        }
    }
}

}  // namespace structql_fuzz

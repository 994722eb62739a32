#pragma once
// A connection's prepared statements, found again by the SQL they run: text with static storage
// (the compile-time SQL) by its address, text built at run time by its contents, and statements
// whose text is generated on first use (an UPDATE of some columns) by a tag and a variant. The
// backends own one each, and give it a function that makes a std::unique_ptr<Statement> for
// a text, which the cache keeps alive as long as the statement. A failed preparation leaves
// no entry.
//
// - A statement a detail::statement_use holds (one still stepping: a query run again inside its
//   own for_each) is never bound again: the cache hands out another prepared copy of it.
// - Compile-time statements are kept for the connection's life (there are as many as the
//   program has shapes). Run-time ones, which a program can make without end (raw SQL with
//   values spliced in), are kept up to `capacity`, the least recently used dropped first; a
//   statement in use is never dropped.
#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "structql/detail/std_parts.hpp"

namespace structql::detail {

// What the cache knows of a statement it handed out; backend statements derive from it.
struct cached_statement {
    bool in_use = false;  // held by a detail::statement_use
};

template <class Statement>
class statement_cache {
public:
    // How the cache prepares what it does not hold: prepare(owner, sql).
    using prepare_function = std::unique_ptr<Statement> (*)(void* owner, std::string_view sql);

    statement_cache(std::size_t capacity, void* owner, prepare_function prepare)
        : capacity_(capacity), owner_(owner), prepare_(prepare) {}

    Statement& find_static(std::string_view sql) {
        // Most calls end here: a program's hot statements are few, and each keeps its slot.
        recent_static& slot = front_[(reinterpret_cast<std::uintptr_t>(sql.data()) >> 4) % front_.size()];
        if (slot.sql == sql.data() && !slot.statement->in_use) [[likely]] return *slot.statement;
        return find_static_behind(slot, sql);
    }

    // `build()` returns the text, and runs on the first use of (tag, variant) only.
    template <class Build>
    Statement& find_generated(const void* tag, std::uint64_t variant, Build&& build) {
        generated_key key{tag, variant};
        recent_generated& slot = generated_front_[generated_key_hash{}(key) % generated_front_.size()];
        if (slot.statement && slot.key == key && !slot.statement->in_use) [[likely]] {
            if (slot.at != recent_.begin()) recent_.splice(recent_.begin(), recent_, slot.at);
            return *slot.statement;
        }
        if (Statement* known = find_generated_behind(slot, key)) return *known;
        return add_generated(slot, key, build());
    }

    Statement& find_text(std::string sql);

    template <class F>
    void for_each(F&& f) {
        for (auto& [key, statements] : static_)
            for (auto& s : statements) f(*s);
        for (auto& e : recent_)
            for (auto& s : e.statements) f(*s);
    }

    void clear() noexcept;

private:
    using copies = std::vector<std::unique_ptr<Statement>>;  // one, unless uses nest
    struct generated_key {
        const void* tag;
        std::uint64_t variant;
        bool operator==(const generated_key&) const = default;
    };
    struct generated_key_hash {
        std::size_t operator()(const generated_key& k) const noexcept {
            return std::hash<const void*>{}(k.tag) ^ (std::hash<std::uint64_t>{}(k.variant) * 0x9E3779B97F4A7C15ull);
        }
    };
    struct entry {
        std::string text;  // a list node never moves: keys and statements point into it
        std::optional<generated_key> generated;  // its key in generated_, else it is in text_
        copies statements;
    };
    using position = typename std::list<entry>::iterator;

    // A compile-time statement's last copy handed out, by its text's address: a direct-mapped
    // cache in front of static_ (an array load and a comparison instead of a hash lookup).
    struct recent_static {
        const char* sql = nullptr;
        Statement* statement = nullptr;
    };
    // The same in front of generated_, for the statements of a generated shape (a multi-row
    // INSERT of n rows, an UPDATE of some columns); cleared when its entry is dropped.
    struct recent_generated {
        generated_key key{};
        position at{};
        Statement* statement = nullptr;
    };

    // Behind the fronts, out of line: the lookups above stay small enough to inline, and the
    // rest is compiled once per backend (with separate compilation, once per program).
    Statement& find_static_behind(recent_static& slot, std::string_view sql);
    Statement* find_generated_behind(recent_generated& slot, const generated_key& key);
    Statement& use_generated(recent_generated& slot, position e);
    Statement& add_generated(recent_generated& slot, const generated_key& key, std::string text);
    Statement& free_copy(copies& statements, std::string_view sql);
    Statement& use(position e);
    position add(std::string text, std::optional<generated_key> generated);

    std::size_t capacity_;
    void* owner_;
    prepare_function prepare_;
    std::array<recent_static, 64> front_{};
    std::array<recent_generated, 64> generated_front_{};
    std::unordered_map<const char*, copies> static_;
    std::list<entry> recent_;  // the run-time entries, most recently used first
    std::unordered_map<std::string_view, position> text_;
    std::unordered_map<generated_key, position, generated_key_hash> generated_;
};

template <class Statement>
Statement& statement_cache<Statement>::find_static_behind(recent_static& slot, std::string_view sql) {
    auto it = static_.find(sql.data());
    if (it == static_.end()) {
        copies first;
        first.push_back(prepare_(owner_, sql));
        it = static_.emplace(sql.data(), std::move(first)).first;
    }
    Statement& found = free_copy(it->second, sql);
    slot = {sql.data(), &found};
    return found;
}

template <class Statement>
Statement* statement_cache<Statement>::find_generated_behind(recent_generated& slot, const generated_key& key) {
    auto it = generated_.find(key);
    return it == generated_.end() ? nullptr : &use_generated(slot, it->second);
}

template <class Statement>
Statement& statement_cache<Statement>::use_generated(recent_generated& slot, position e) {
    Statement& found = use(e);
    slot = {*e->generated, e, &found};
    return found;
}

template <class Statement>
Statement& statement_cache<Statement>::add_generated(recent_generated& slot, const generated_key& key,
                                                    std::string text) {
    position e = add(std::move(text), key);
    generated_.emplace(key, e);
    return use_generated(slot, e);
}

template <class Statement>
Statement& statement_cache<Statement>::find_text(std::string sql) {
    if (auto it = text_.find(sql); it != text_.end()) return use(it->second);
    auto e = add(std::move(sql), std::nullopt);
    text_.emplace(e->text, e);
    return *e->statements.front();
}

template <class Statement>
void statement_cache<Statement>::clear() noexcept {
    front_.fill({});
    generated_front_.fill({});
    static_.clear();
    text_.clear();
    generated_.clear();
    recent_.clear();
}

template <class Statement>
Statement& statement_cache<Statement>::free_copy(copies& statements, std::string_view sql) {
    for (auto& s : statements)
        if (!s->in_use) return *s;
    return *statements.emplace_back(prepare_(owner_, sql));
}

template <class Statement>
Statement& statement_cache<Statement>::use(position e) {
    recent_.splice(recent_.begin(), recent_, e);
    return free_copy(e->statements, e->text);
}

// A new run-time entry, most recent, its statement prepared, after dropping the least recently
// used entries not in use beyond capacity.
template <class Statement>
auto statement_cache<Statement>::add(std::string text, std::optional<generated_key> generated) -> position {
    for (auto last = recent_.end(); recent_.size() >= capacity_ && last != recent_.begin();) {
        auto e = std::prev(last);
        bool in_use = false;
        for (auto& s : e->statements) in_use = in_use || s->in_use;
        if (in_use) {
            last = e;
            continue;
        }
        if (e->generated) {
            recent_generated& slot = generated_front_[generated_key_hash{}(*e->generated) % generated_front_.size()];
            if (slot.statement && slot.key == *e->generated) slot = {};
            generated_.erase(*e->generated);
        } else {
            text_.erase(e->text);
        }
        recent_.erase(e);
    }
    auto e = recent_.emplace(recent_.begin(), entry{std::move(text), generated, {}});
    try {
        e->statements.push_back(prepare_(owner_, std::string_view(e->text)));
    } catch (...) {
        recent_.erase(e);
        throw;
    }
    return e;
}

}  // namespace structql::detail

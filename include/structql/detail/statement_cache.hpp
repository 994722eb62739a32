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
//
// The lookups a statement's every run goes through (a direct-mapped array in front of each
// kind) are inline. What lies behind them (hash maps, the LRU list) is one non-template
// statement_cache_core, compiled with the rest of the model-independent code (with separate
// compilation, once per program; detail/linkage.hpp), so that a program's translation units
// parse neither <unordered_map> nor <list>.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "structql/detail/function_ref.hpp"
#include "structql/detail/linkage.hpp"
#include "structql/detail/std_parts.hpp"

namespace structql::detail {

// What the cache knows of a statement it handed out; backend statements derive from it.
struct cached_statement {
    bool in_use = false;  // held by a detail::statement_use
};

// The cache without its statements' type: the backend's statement type is restored by
// statement_cache<Statement> below, which also deletes them (statement_deleter).
class statement_cache_core {
public:
    struct statement_deleter {
        void (*destroy)(cached_statement*) noexcept;
        void operator()(cached_statement* s) const noexcept { destroy(s); }
    };
    using owned_statement = std::unique_ptr<cached_statement, statement_deleter>;
    // How the core prepares what it does not hold: prepare(core, sql).
    using prepare_function = owned_statement (*)(statement_cache_core& core, std::string_view sql);

    cached_statement& find_static(std::string_view sql) {
        // Most calls end here: a program's hot statements are few, and each keeps its slot.
        recent_static& slot = front_[(reinterpret_cast<std::uintptr_t>(sql.data()) >> 4) % front_.size()];
        if (slot.sql == sql.data() && !slot.statement->in_use) [[likely]] return *slot.statement;
        return find_static_behind(slot, sql);
    }

    // `build()` returns the text, and runs on the first use of (tag, variant) only.
    template <class Build>
    cached_statement& find_generated(const void* tag, std::uint64_t variant, Build&& build) {
        generated_key key{tag, variant};
        recent_generated& slot = generated_front_[key.hash() % generated_front_.size()];
        if (slot.statement && slot.key == key && !slot.statement->in_use) [[likely]] {
            if (slot.at != most_recent_) make_most_recent(slot.at);
            return *slot.statement;
        }
        if (cached_statement* known = find_generated_behind(slot, key)) return *known;
        return add_generated(slot, key, build());
    }

    STRUCTQL_DECL cached_statement& find_text(std::string sql);
    STRUCTQL_DECL void for_each(function_ref<void(cached_statement&)> f);
    STRUCTQL_DECL void clear() noexcept;

protected:
    STRUCTQL_DECL statement_cache_core(std::size_t capacity, prepare_function prepare);
    STRUCTQL_DECL ~statement_cache_core();
    statement_cache_core(const statement_cache_core&) = delete;
    statement_cache_core& operator=(const statement_cache_core&) = delete;

private:
    struct generated_key {
        const void* tag;
        std::uint64_t variant;
        bool operator==(const generated_key&) const = default;
        std::size_t hash() const noexcept {
            return std::hash<const void*>{}(tag) ^ (std::hash<std::uint64_t>{}(variant) * 0x9E3779B97F4A7C15ull);
        }
    };
    struct entry;    // a run-time statement: its text and prepared copies, in the LRU list
    struct storage;  // the maps and the LRU list, defined with the compiled code

    // A compile-time statement's last copy handed out, by its text's address: a direct-mapped
    // cache in front of the map of static statements (an array load and a comparison instead
    // of a hash lookup).
    struct recent_static {
        const char* sql = nullptr;
        cached_statement* statement = nullptr;
    };
    // The same in front of the generated statements (a multi-row INSERT of n rows, an UPDATE of
    // some columns); cleared when its entry is dropped.
    struct recent_generated {
        generated_key key{};
        entry* at = nullptr;
        cached_statement* statement = nullptr;
    };

    // Out of line even header-only (gnu::noinline where defined, after which GCC wants no
    // `inline` here): inlined, they would make the lookups above set up a stack frame on every
    // call (callgrind: 11 -> 29 instructions per find_static hit).
    cached_statement& find_static_behind(recent_static& slot, std::string_view sql);
    cached_statement* find_generated_behind(recent_generated& slot, const generated_key& key);
    cached_statement& add_generated(recent_generated& slot, const generated_key& key, std::string text);
    void make_most_recent(entry* e) noexcept;
    STRUCTQL_DECL entry* add(std::string text, std::optional<generated_key> generated);

    std::array<recent_static, 64> front_{};
    std::array<recent_generated, 64> generated_front_{};
    const entry* most_recent_ = nullptr;  // the LRU list's first entry: no move needed
    std::unique_ptr<storage> storage_;
};

template <class Statement>
class statement_cache : public statement_cache_core {
public:
    // How the cache prepares what it does not hold: prepare(owner, sql).
    using prepare_function = std::unique_ptr<Statement> (*)(void* owner, std::string_view sql);

    statement_cache(std::size_t capacity, void* owner, prepare_function prepare)
        : statement_cache_core(capacity, &prepare_owned), owner_(owner), prepare_(prepare) {}

    Statement& find_static(std::string_view sql) { return static_cast<Statement&>(statement_cache_core::find_static(sql)); }
    template <class Build>
    Statement& find_generated(const void* tag, std::uint64_t variant, Build&& build) {
        return static_cast<Statement&>(statement_cache_core::find_generated(tag, variant, std::forward<Build>(build)));
    }
    Statement& find_text(std::string sql) { return static_cast<Statement&>(statement_cache_core::find_text(std::move(sql))); }
    template <class F>
    void for_each(F&& f) {
        statement_cache_core::for_each([&](cached_statement& s) { f(static_cast<Statement&>(s)); });
    }

private:
    static void destroy(cached_statement* s) noexcept { delete static_cast<Statement*>(s); }
    static owned_statement prepare_owned(statement_cache_core& core, std::string_view sql) {
        auto& self = static_cast<statement_cache&>(core);
        return owned_statement(self.prepare_(self.owner_, sql).release(), statement_deleter{&destroy});
    }

    void* owner_;
    prepare_function prepare_;
};

}  // namespace structql::detail

#if STRUCTQL_DEFINITIONS
#include <list>
#include <unordered_map>
#include <utility>
#include <vector>

namespace structql::detail {

struct statement_cache_core::entry {
    std::string text;  // a list node never moves: keys and statements point into it
    std::optional<generated_key> generated;  // its key in generated, else it is in text
    std::vector<owned_statement> statements;  // one, unless uses nest
    std::list<entry>::iterator self{};
};

struct statement_cache_core::storage {
    struct key_hash {
        std::size_t operator()(const generated_key& k) const noexcept { return k.hash(); }
    };
    std::size_t capacity;
    prepare_function prepare;
    std::unordered_map<const char*, std::vector<owned_statement>> statics;
    std::list<entry> recent;  // the run-time entries, most recently used first
    std::unordered_map<std::string_view, entry*> text;
    std::unordered_map<generated_key, entry*, key_hash> generated;

    cached_statement& free_copy(std::vector<owned_statement>& statements, std::string_view sql, statement_cache_core& core) {
        for (auto& s : statements)
            if (!s->in_use) return *s;
        return *statements.emplace_back(prepare(core, sql));
    }
};

STRUCTQL_DECL statement_cache_core::statement_cache_core(std::size_t capacity, prepare_function prepare)
    : storage_(new storage{capacity, prepare, {}, {}, {}, {}}) {}

STRUCTQL_DECL statement_cache_core::~statement_cache_core() = default;

[[gnu::noinline]] STRUCTQL_DECL cached_statement& statement_cache_core::find_static_behind(recent_static& slot, std::string_view sql) {
    auto it = storage_->statics.find(sql.data());
    if (it == storage_->statics.end()) {
        std::vector<owned_statement> first;
        first.push_back(storage_->prepare(*this, sql));
        it = storage_->statics.emplace(sql.data(), std::move(first)).first;
    }
    cached_statement& found = storage_->free_copy(it->second, sql, *this);
    slot = {sql.data(), &found};
    return found;
}

[[gnu::noinline]] STRUCTQL_DECL void statement_cache_core::make_most_recent(entry* e) noexcept {
    storage_->recent.splice(storage_->recent.begin(), storage_->recent, e->self);
    most_recent_ = e;
}

[[gnu::noinline]] STRUCTQL_DECL cached_statement* statement_cache_core::find_generated_behind(recent_generated& slot,
                                                                           const generated_key& key) {
    auto it = storage_->generated.find(key);
    if (it == storage_->generated.end()) return nullptr;
    entry* e = it->second;
    make_most_recent(e);
    cached_statement& found = storage_->free_copy(e->statements, e->text, *this);
    slot = {key, e, &found};
    return &found;
}

[[gnu::noinline]] STRUCTQL_DECL cached_statement& statement_cache_core::add_generated(recent_generated& slot, const generated_key& key,
                                                                    std::string text) {
    entry* e = add(std::move(text), key);
    storage_->generated.emplace(key, e);
    cached_statement& found = *e->statements.front();
    slot = {key, e, &found};
    return found;
}

STRUCTQL_DECL cached_statement& statement_cache_core::find_text(std::string sql) {
    if (auto it = storage_->text.find(sql); it != storage_->text.end()) {
        entry* e = it->second;
        make_most_recent(e);
        return storage_->free_copy(e->statements, e->text, *this);
    }
    entry* e = add(std::move(sql), std::nullopt);
    storage_->text.emplace(e->text, e);
    return *e->statements.front();
}

STRUCTQL_DECL void statement_cache_core::for_each(function_ref<void(cached_statement&)> f) {
    for (auto& [key, statements] : storage_->statics)
        for (auto& s : statements) f(*s);
    for (auto& e : storage_->recent)
        for (auto& s : e.statements) f(*s);
}

STRUCTQL_DECL void statement_cache_core::clear() noexcept {
    front_.fill({});
    generated_front_.fill({});
    most_recent_ = nullptr;
    storage_->statics.clear();
    storage_->text.clear();
    storage_->generated.clear();
    storage_->recent.clear();
}

// A new run-time entry, most recent, its statement prepared, after dropping the least recently
// used entries not in use beyond capacity. A failed preparation leaves no entry.
STRUCTQL_DECL auto statement_cache_core::add(std::string text, std::optional<generated_key> generated) -> entry* {
    storage& s = *storage_;
    for (auto last = s.recent.end(); s.recent.size() >= s.capacity && last != s.recent.begin();) {
        auto e = std::prev(last);
        bool in_use = false;
        for (auto& statement : e->statements) in_use = in_use || statement->in_use;
        if (in_use) {
            last = e;
            continue;
        }
        if (e->generated) {
            recent_generated& slot = generated_front_[e->generated->hash() % generated_front_.size()];
            if (slot.statement && slot.key == *e->generated) slot = {};
            s.generated.erase(*e->generated);
        } else {
            s.text.erase(e->text);
        }
        s.recent.erase(e);
    }
    auto e = s.recent.emplace(s.recent.begin(), entry{std::move(text), generated, {}, {}});
    e->self = e;
    most_recent_ = &*e;
    try {
        e->statements.push_back(s.prepare(*this, std::string_view(e->text)));
    } catch (...) {
        s.recent.erase(e);
        most_recent_ = s.recent.empty() ? nullptr : &s.recent.front();
        throw;
    }
    return &*e;
}

}  // namespace structql::detail
#endif  // STRUCTQL_DEFINITIONS

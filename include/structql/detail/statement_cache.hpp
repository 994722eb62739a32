#pragma once
// A connection's prepared statements, found again by the SQL they run: text with static storage
// (the compile-time SQL) by its address, text built at run time by its contents, and statements
// whose text is generated on first use (an UPDATE of some columns) by a tag and a variant. The
// backends own one each; `prepare(std::string_view sql)` makes a std::unique_ptr<Statement> for
// the text, which the cache keeps alive as long as the statement. A failed preparation leaves
// no entry.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace structql::detail {

template <class Statement>
class statement_cache {
public:
    template <class Prepare>
    Statement& find_static(std::string_view sql, Prepare&& prepare) {
        auto it = static_.find(sql.data());
        if (it == static_.end()) it = static_.emplace(sql.data(), prepare(sql)).first;
        return *it->second;
    }

    template <class Prepare>
    Statement& find_text(std::string sql, Prepare&& prepare) {
        auto it = text_.find(sql);
        if (it == text_.end()) {
            auto owned = std::make_unique<std::string>(std::move(sql));
            auto statement = prepare(std::string_view(*owned));
            std::string_view key = *owned;  // points into the string the entry keeps alive
            it = text_.emplace(key, entry{std::move(owned), std::move(statement)}).first;
        }
        return *it->second.statement;
    }

    // `build()` returns the text, and runs on the first use of (tag, variant) only.
    template <class Build, class Prepare>
    Statement& find_generated(const void* tag, std::uint64_t variant, Build&& build, Prepare&& prepare) {
        generated_key key{tag, variant};
        auto it = generated_.find(key);
        if (it == generated_.end()) {
            auto text = std::make_unique<std::string>(build());
            auto statement = prepare(std::string_view(*text));
            it = generated_.emplace(key, entry{std::move(text), std::move(statement)}).first;
        }
        return *it->second.statement;
    }

    template <class F>
    void for_each(F&& f) {
        for (auto& [key, statement] : static_) f(*statement);
        for (auto& [key, e] : text_) f(*e.statement);
        for (auto& [key, e] : generated_) f(*e.statement);
    }

    void clear() noexcept {
        static_.clear();
        text_.clear();
        generated_.clear();
    }

private:
    struct entry {
        std::unique_ptr<std::string> text;
        std::unique_ptr<Statement> statement;
    };
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

    std::unordered_map<const char*, std::unique_ptr<Statement>> static_;
    std::unordered_map<std::string_view, entry> text_;
    std::unordered_map<generated_key, entry, generated_key_hash> generated_;
};

}  // namespace structql::detail

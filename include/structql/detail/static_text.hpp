#pragma once
// Strings built at compile time into static storage. A generator is a type with
// `static constexpr void write(auto& out)` calling out.append(...). It writes into a draft of
// fixed capacity, whose text is then copied into an array of exactly its size, so the result is
// an `inline constexpr std::string_view` that static_assert can read and whose address is a
// stable identity (the prepared-statement caches key on it). Every generator writes into the one
// draft type, so that the writers (identifiers, numbers, each expression node) are instantiated
// once for all statements, not once per statement length; a text longer than the draft counts
// its size there and is written again into a buffer of that size.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace structql::detail {

struct text_counter {
    std::size_t size = 0;
    std::size_t next_parameter = 1;  // for dialects that number their placeholders
    constexpr void append(std::string_view s) { size += s.size(); }
    constexpr void append(char) { ++size; }
};

template <std::size_t N>
struct text_buffer {
    char data[N + 1]{};  // NUL-terminated, for C APIs
    std::size_t size = 0;
    std::size_t next_parameter = 1;
    constexpr void append(std::string_view s) {
        for (char c : s) data[size++] = c;
    }
    constexpr void append(char c) { data[size++] = c; }
};

// The same writer interface at run time, for statements whose shape is only known then.
struct runtime_text {
    std::string text;
    std::size_t next_parameter = 1;
    void append(std::string_view s) { text.append(s); }
    void append(char c) { text.push_back(c); }
};

template <class Out>
constexpr void append_number(Out& out, std::uint64_t n) {
    char digits[20]{};
    std::size_t count = 0;
    do {
        digits[count++] = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n != 0);
    while (count > 0) out.append(digits[--count]);
}

inline constexpr std::size_t text_draft_capacity = 1024;
struct text_draft {
    char data[text_draft_capacity]{};
    std::size_t size = 0;  // past the capacity, only counted
    std::size_t next_parameter = 1;
    constexpr void append(std::string_view s) {
        for (char c : s) append(c);
    }
    constexpr void append(char c) {
        if (size < text_draft_capacity) data[size] = c;
        ++size;
    }
};

template <class Generator>
consteval text_draft draft_of() {
    text_draft draft;
    Generator::write(draft);
    return draft;
}

template <class Generator>
inline constexpr std::size_t text_size_v = draft_of<Generator>().size;

template <class Generator>
inline constexpr text_buffer<text_size_v<Generator>> text_storage_v = [] {
    text_buffer<text_size_v<Generator>> buffer;
    if constexpr (text_size_v<Generator> <= text_draft_capacity) {
        constexpr text_draft draft = draft_of<Generator>();
        for (std::size_t i = 0; i < draft.size; ++i) buffer.data[i] = draft.data[i];
        buffer.size = draft.size;
    } else {
        Generator::write(buffer);
    }
    return buffer;
}();

template <class Generator>
inline constexpr std::string_view text_v{text_storage_v<Generator>.data, text_size_v<Generator>};

// A statement's text: Generator's, fixed at compile time, or for a shape whose text depends on
// the run (Dynamic) what write(runtime_text&) writes, kept in `runtime`.
template <bool Dynamic, class Generator, class Write>
std::string_view statement_text(std::string& runtime, Write&& write) {
    if constexpr (Dynamic) {
        runtime_text out;
        write(out);
        runtime = std::move(out.text);
        return runtime;
    } else {
        return text_v<Generator>;
    }
}

}  // namespace structql::detail

#pragma once
// What the fuzz targets share: a reader that turns the fuzzer's bytes into values, and the
// failure a target throws when the library broke a promise. A target is a plain function of
// the bytes, so the same code runs under libFuzzer (fuzz/fuzz_*.cpp) and as a regression test
// that replays the seed corpora and every crash found (tests/reliability/test_fuzz_replay.cpp).
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace structql_fuzz {

// The library did something it promises not to. Anything else escaping a target (a crash, a
// sanitizer report, an exception of another type) is a finding too.
struct failure : std::logic_error {
    using std::logic_error::logic_error;
};

#define STRUCTQL_FUZZ_CHECK(condition, what)                                                               \
    do {                                                                                                   \
        if (!(condition))                                                                                  \
            throw ::structql_fuzz::failure(std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + \
                                           #condition + " -- " + std::string(what));                      \
    } while (0)

// Reads values from the fuzzer's bytes; past the end every read gives zeros, so any input
// decodes to something.
class reader {
public:
    reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    bool empty() const noexcept { return pos_ >= size_; }
    std::size_t remaining() const noexcept { return empty() ? 0 : size_ - pos_; }

    std::uint8_t byte() noexcept { return empty() ? 0 : data_[pos_++]; }

    template <class T>
    T integral() noexcept {
        static_assert(std::is_integral_v<T>);
        std::make_unsigned_t<T> bits = 0;
        for (std::size_t i = 0; i < sizeof(T); ++i)
            bits = static_cast<std::make_unsigned_t<T>>(bits | (static_cast<std::make_unsigned_t<T>>(byte()) << (8 * i)));
        return static_cast<T>(bits);
    }

    // A number in [0, n), n > 0.
    std::size_t below(std::size_t n) noexcept {
        if (n <= 1) return 0;
        std::uint32_t raw = n <= 256 ? byte() : integral<std::uint32_t>();
        return raw % n;
    }

    bool boolean() noexcept { return (byte() & 1) != 0; }

    // An int64 that is often an edge value, else raw bits.
    std::int64_t int64() noexcept {
        switch (byte() % 8) {
            case 0: return 0;
            case 1: return std::numeric_limits<std::int64_t>::max() - static_cast<std::int64_t>(byte() % 3);
            case 2: return std::numeric_limits<std::int64_t>::min() + static_cast<std::int64_t>(byte() % 3);
            case 3: return static_cast<std::int64_t>(static_cast<std::int8_t>(byte()));
            case 4: return static_cast<std::int64_t>(integral<std::int32_t>());
            default: return integral<std::int64_t>();
        }
    }

    // A double that is often special (NaN, infinities, -0.0, subnormals, integral values), else
    // raw bits.
    double real() noexcept {
        switch (byte() % 12) {
            case 0: return 0.0;
            case 1: return -0.0;
            case 2: return std::numeric_limits<double>::quiet_NaN();
            case 3: return std::numeric_limits<double>::infinity();
            case 4: return -std::numeric_limits<double>::infinity();
            case 5: return std::numeric_limits<double>::denorm_min();
            case 6: return std::numeric_limits<double>::max();
            case 7: return static_cast<double>(int64());
            case 8: return static_cast<double>(static_cast<std::int8_t>(byte())) / 4.0;
            default: return std::bit_cast<double>(integral<std::uint64_t>());
        }
    }

    // Up to `max` arbitrary bytes (NUL and invalid UTF-8 included).
    std::string bytes(std::size_t max) {
        std::size_t n = below(max + 1);
        std::string out;
        for (std::size_t i = 0; i < n && !empty(); ++i) out += static_cast<char>(byte());
        return out;
    }

    // Up to `max` characters drawn from `alphabet`.
    std::string text_from(std::string_view alphabet, std::size_t max) {
        std::size_t n = below(max + 1);
        std::string out;
        for (std::size_t i = 0; i < n && !empty(); ++i) out += alphabet[below(alphabet.size())];
        return out;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

// Same bits (doubles compared bitwise, so that -0.0 differs from 0.0), or both NaN.
inline bool same_double(double a, double b) noexcept {
    if (std::isnan(a) && std::isnan(b)) return true;
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}
inline bool same_float(float a, float b) noexcept {
    if (std::isnan(a) && std::isnan(b)) return true;
    return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
}

inline std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (char c : bytes) {
        auto b = static_cast<unsigned char>(c);
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

// The libFuzzer entry point of one target: a failure is printed and aborts, which libFuzzer
// reports as a crash and saves the input.
template <void (*Target)(const std::uint8_t*, std::size_t)>
int run_for_libfuzzer(const std::uint8_t* data, std::size_t size) {
    try {
        Target(data, size);
    } catch (const failure& f) {
        std::fprintf(stderr, "\nSTRUCTQL FUZZ FAILURE: %s\n", f.what());
        std::abort();
    }
    return 0;
}

}  // namespace structql_fuzz

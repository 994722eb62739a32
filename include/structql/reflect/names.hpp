#pragma once
// Compile-time names of a model's members and of the model type itself.
//
// Boost 1.81's PFR has no get_name, so member names come from the compiler's signature of a
// function template instantiated with a pointer to a member subobject of a static object, the
// technique PFR >= 1.84 uses itself. PFR's object is declared and never defined, which a type
// without linkage (a model declared in a function) cannot be; ours is a constexpr union whose
// T member is never constructed, so function-local models work too. The same code runs with
// every Boost version: it is the one the tests check on both compilers.
#include <array>
#include <cstddef>
#include <string_view>
#include <utility>

#include <boost/pfr/core.hpp>
#include <boost/pfr/tuple_size.hpp>

namespace structql::detail {

// Storage for a T that is never constructed: only the addresses of its members are used, at
// compile time.
template <class T>
union fake_storage {
    char none;
    T value;
    constexpr fake_storage() : none() {}
    constexpr ~fake_storage() {}
};
template <class T>
inline constexpr fake_storage<T> fake_object_storage{};
template <class T>
inline constexpr const T& fake_object = fake_object_storage<T>.value;

// The addresses of Model's members (PFR's fields) in fake_object<Model>, computed once per model:
// member_index compares a member pointer with them, and is called for every foreign key from
// several places (clang does not remember a constant call's result).
template <class Model>
inline constexpr auto member_addresses = [] {
    const auto fields = boost::pfr::detail::tie_as_tuple(fake_object<Model>);
    return [&]<std::size_t... I>(std::index_sequence<I...>) {
        return std::array<const void*, sizeof...(I)>{
            static_cast<const void*>(&boost::pfr::detail::sequence_tuple::get<I>(fields))...};
    }(std::make_index_sequence<boost::pfr::tuple_size_v<Model>>{});
}();

// The index of the member `Member` points to, among Model's PFR fields.
template <class Model, class V>
constexpr std::size_t member_index(V Model::*member) {
    const void* target = &(fake_object<Model>.*member);
    for (std::size_t i = 0; i < member_addresses<Model>.size(); ++i)
        if (member_addresses<Model>[i] == target) return i;
    return member_addresses<Model>.size();
}

// clang only prints a pointer template argument's member path when it is wrapped.
template <class P>
struct pointer_wrapper {
    const P* pointer;
};
template <class P>
pointer_wrapper(const P*) -> pointer_wrapper<P>;

// Returns const char* rather than string_view: g++ would otherwise append
// "; std::string_view = ..." to the signature.
template <class Model, auto Wrapped>
constexpr const char* member_signature() {
    return __PRETTY_FUNCTION__;
}

// The signature ends with "...fake_object_storage<Model>.fake_storage<Model>::value.Model::name)}]"
// (g++) or "...&fake_object_storage.value.name}]" (clang): the name is the identifier before the
// closing punctuation.
constexpr std::string_view name_from_signature(std::string_view signature) {
    std::size_t end = signature.size();
    while (end > 0 && (signature[end - 1] == ']' || signature[end - 1] == '}' ||
                       signature[end - 1] == ')' || signature[end - 1] == ' '))
        --end;
    std::size_t begin = end;
    while (begin > 0 && signature[begin - 1] != '.' && signature[begin - 1] != ':' &&
           signature[begin - 1] != '>' && signature[begin - 1] != ' ')
        --begin;
    return signature.substr(begin, end - begin);
}

// A template argument naming Model's member I in diagnostics: both compilers print its member
// path (g++ "...value.Post::author_name", clang "&fake_object_storage.value.author_name").
template <class Model, std::size_t I>
inline constexpr auto member_tag =
    pointer_wrapper{&boost::pfr::detail::sequence_tuple::get<I>(boost::pfr::detail::tie_as_tuple(fake_object<Model>))};

// consteval, as unqualified_type_name below: an error message built at run time reads the
// name as a constant, and no per-model function parsing a signature is compiled.
template <class Model, std::size_t I>
consteval std::string_view member_name() {
    return name_from_signature(member_signature<Model, pointer_wrapper{&boost::pfr::detail::sequence_tuple::get<I>(
        boost::pfr::detail::tie_as_tuple(fake_object<Model>))}>());
}

template <class T>
constexpr const char* type_signature() {
    return __PRETTY_FUNCTION__;
}

// "structql::detail::type_signature() [with T = ns::OrderItem; ...]" (g++) or
// "... [T = ns::OrderItem]" (clang) -> "OrderItem": the unqualified name, template arguments
// and enclosing scopes (namespaces, classes, functions) dropped.
constexpr std::string_view unqualified_name_from_signature(std::string_view signature) {
    constexpr std::string_view marker = "T = ";
    std::size_t begin = signature.find(marker) + marker.size();
    std::size_t end = begin;
    int depth = 0;
    for (; end < signature.size(); ++end) {
        char c = signature[end];
        if (c == '<' || c == '(' || c == '[') ++depth;
        else if ((c == '>' || c == ')' || c == ']') && depth > 0) --depth;
        else if (depth == 0 && (c == ';' || c == ']')) break;
    }
    std::string_view full = signature.substr(begin, end - begin);
    // Drop template arguments of the type itself.
    if (!full.empty() && full.back() == '>') {
        int d = 0;
        for (std::size_t i = full.size(); i-- > 0;) {
            if (full[i] == '>') ++d;
            else if (full[i] == '<' && --d == 0) { full = full.substr(0, i); break; }
        }
    }
    // Drop enclosing scopes: everything up to the last "::" outside brackets.
    int d = 0;
    for (std::size_t i = full.size(); i-- > 0;) {
        char c = full[i];
        if (c == '>' || c == ')') ++d;
        else if (c == '<' || c == '(') --d;
        else if (d == 0 && c == ':' ) return full.substr(i + 1);
    }
    return full;
}

template <class T>
consteval std::string_view unqualified_type_name() {
    return unqualified_name_from_signature(type_signature<T>());
}

}  // namespace structql::detail

#pragma once
// function_ref<R(Args...)>: a non-owning reference to something callable (C++26's
// std::function_ref). Code that takes one is compiled once, whatever lambda it is given, where a
// template parameter would compile it again for every caller's lambda.
#include <memory>
#include <type_traits>
#include <utility>

namespace structql::detail {

template <class Signature>
class function_ref;

template <class R, class... Args>
class function_ref<R(Args...)> {
public:
    template <class F>
        requires(!std::is_same_v<std::remove_cvref_t<F>, function_ref> && std::is_invocable_r_v<R, F&, Args...>)
    function_ref(F&& f) noexcept  // NOLINT: converts implicitly, as std::function_ref does
        : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
          call_(&invoke<std::remove_reference_t<F>>) {}

    R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

private:
    template <class F>
    static R invoke(void* object, Args... args) {
        return (*static_cast<F*>(object))(std::forward<Args>(args)...);
    }

    void* object_;
    R (*call_)(void*, Args...);
};

}  // namespace structql::detail

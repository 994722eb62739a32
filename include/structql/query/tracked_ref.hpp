#pragma once
// tracked_ref<T>: what a session's query(...).one() returns, a handle to the tracked object.
// It binds to T& (`Member& m = q.one();`) and reaches the object with -> and * as the pointers
// get() and first() return do; what it refuses is the silent copy: `Member m = q.one();` (or
// passing it to a T parameter) does not compile, and `auto m = q.one();` is a handle, so that
// `m->name = "x"` is written at the next flush instead of changing a copy nobody tracks.
namespace structql {

template <class T>
class tracked_ref {
public:
    explicit tracked_ref(T& object) noexcept : object_(&object) {}

    operator T&() const noexcept { return *object_; }
    // Deleted, and ambiguous with the conversion above, so that copy-initialising a T from a
    // tracked_ref is an error ("conversion ... is ambiguous"): write `T& m = ...` for the tracked
    // object, or `T copy = *...` for a copy, on purpose.
    operator T() const = delete;

    T& operator*() const noexcept { return *object_; }
    T* operator->() const noexcept { return object_; }
    T* get() const noexcept { return object_; }

private:
    T* object_;
};

}  // namespace structql

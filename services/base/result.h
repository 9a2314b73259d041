// Result<T, E>: a value or an error, for expected failures from outside (bad input, bad
// config, peer gone). A small stand-in for C++23 std::expected; same names where it can.
#pragma once

#include <utility>
#include <variant>

#include "base/check.h"

namespace opel {

// Wraps an error so Result's constructor can tell it from a value of the same type.
template <typename E>
struct Unexpected {
    E error;
};

template <typename E>
Unexpected<std::decay_t<E>> unexpected(E&& error) {
    return {std::forward<E>(error)};
}

// Holds either a T (success) or an E (failure). Not thread-safe; a plain value type.
template <typename T, typename E>
class Result {
public:
    Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
    Result(Unexpected<E> error)                                           // NOLINT: implicit
        : data_(std::in_place_index<1>, std::move(error.error)) {}

    bool has_value() const { return data_.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() & {
        OPEL_CHECK(has_value(), "value() called on an error result");
        return std::get<0>(data_);
    }
    const T& value() const& {
        OPEL_CHECK(has_value(), "value() called on an error result");
        return std::get<0>(data_);
    }
    T&& value() && {
        OPEL_CHECK(has_value(), "value() called on an error result");
        return std::get<0>(std::move(data_));
    }
    const E& error() const& {
        OPEL_CHECK(!has_value(), "error() called on a value result");
        return std::get<1>(data_);
    }
    E& error() & {
        OPEL_CHECK(!has_value(), "error() called on a value result");
        return std::get<1>(data_);
    }
    E&& error() && {
        OPEL_CHECK(!has_value(), "error() called on a value result");
        return std::get<1>(std::move(data_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

private:
    std::variant<T, E> data_;
};

}  // namespace opel

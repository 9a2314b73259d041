// OPEL_CHECK: invariants that only a bug can break. Never use it for anything a user, a file
// or the network controls; those are returned as values (see result.h).
#pragma once

#include <cstdio>
#include <cstdlib>

namespace opel::detail {

[[noreturn]] inline void check_failed(const char* condition, const char* why, const char* file,
                                      int line) {
    std::fprintf(stderr, "%s:%d: invariant broken: %s (%s)\n", file, line, why, condition);
    std::abort();
}

}  // namespace opel::detail

#define OPEL_CHECK(cond, why)                                             \
    do {                                                                  \
        if (!(cond)) {                                                    \
            ::opel::detail::check_failed(#cond, why, __FILE__, __LINE__); \
        }                                                                 \
    } while (false)

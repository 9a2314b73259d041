# Project-wide build helpers: warnings, sanitizers, clang-tidy, and the two target helpers
# opel_library() and opel_test() every CMakeLists.txt below uses.

add_library(opel_warnings INTERFACE)
target_compile_options(opel_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wnon-virtual-dtor
  -Wold-style-cast -Wimplicit-fallthrough
  $<$<BOOL:${OPEL_WERROR}>:-Werror>)

if(OPEL_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Fuzz builds (clang): everything instrumented for coverage; the fuzz targets link libFuzzer.
if(OPEL_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(OPEL_CLANG_TIDY)
  find_program(OPEL_CLANG_TIDY_EXE NAMES clang-tidy-14 clang-tidy REQUIRED)
endif()

# Applies warnings and (optionally) clang-tidy to a project target: its lint checks
# (bugprone, performance, modernize, naming). The path-sensitive static analyzer
# (clang-analyzer-*) costs about four times the lint on a file full of Asio, Beast or
# GoogleTest templates and was most of CI's build time; it runs where opel_analyze() asks
# for it: the pure core (base, engine) and the store, which holds SQLite's raw handles. The
# rest runs under ASan and UBSan in the test suite, and the decoders under the fuzzers.
function(opel_target_defaults target)
  target_link_libraries(${target} PRIVATE opel_warnings)
  if(OPEL_CLANG_TIDY)
    set_target_properties(${target} PROPERTIES
      CXX_CLANG_TIDY "${OPEL_CLANG_TIDY_EXE};--checks=-clang-analyzer-*")
  endif()
endfunction()

# clang-tidy with the static analyzer as well, for `target` (after opel_target_defaults).
function(opel_analyze target)
  if(OPEL_CLANG_TIDY)
    set_target_properties(${target} PROPERTIES CXX_CLANG_TIDY "${OPEL_CLANG_TIDY_EXE}")
  endif()
endfunction()

# opel_library(NAME name SRCS ... [DEPS ...] [PRIVATE_DEPS ...])
# A static library opel_<name> with the alias opel::<name>, includes rooted at services/.
function(opel_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target opel_${ARG_NAME})
  add_library(${target} STATIC ${ARG_SRCS})
  add_library(opel::${ARG_NAME} ALIAS ${target})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/services)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  opel_target_defaults(${target})
endfunction()

# opel_test(NAME name SRCS ... [DEPS ...] [LABELS unit|integration|system])
# A GoogleTest executable whose tests are discovered into CTest with the given labels.
function(opel_test)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  opel_target_defaults(${ARG_NAME})
  # A test file costs clang-tidy about as much as compiling it (GoogleTest's templates), and
  # test code is most of the build: CI compiles it (test files and tests/support) with every
  # warning as an error and lints the code it tests (libraries, daemons, the command), to keep
  # a clean build and the suite under 15 minutes. -DOPEL_CLANG_TIDY_TESTS=ON lints it too.
  if(NOT OPEL_CLANG_TIDY_TESTS)
    set_target_properties(${ARG_NAME} PROPERTIES CXX_CLANG_TIDY "")
  endif()
  # Unit tests run as one CTest test per executable: each is milliseconds, and a process per
  # test (a sanitized start-up each) cost more than the tests. GoogleTest names every failure
  # in the output. Tests that start processes (integration, system) stay one CTest test each,
  # so they run in parallel and each has its own timeout.
  if(ARG_LABELS STREQUAL "unit")
    add_test(NAME ${ARG_NAME} COMMAND ${ARG_NAME} --gtest_brief=1)
    set_tests_properties(${ARG_NAME} PROPERTIES LABELS unit TIMEOUT 300)
  else()
    gtest_discover_tests(${ARG_NAME}
      PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT 120
      DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

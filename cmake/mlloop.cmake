# Helpers in the spirit of LevelDB's leveldb_test(): one call per library, test or benchmark.

set(MLLOOP_WARNINGS -Wall -Wextra -Wpedantic)
# GCC 12 reports a false -Wrestrict inside std::string at -O3 (GCC bug 105329).
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  list(APPEND MLLOOP_WARNINGS -Wno-restrict)
endif()
if(MLLOOP_WERROR)
  list(APPEND MLLOOP_WARNINGS -Werror)
endif()

# mlloop_add_library(NAME SOURCES a.cc b.cc DEPS mlloop_core ...)
# Builds static library mlloop_NAME; headers are included from the src/ root.
function(mlloop_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(mlloop_${name} STATIC ${ARG_SOURCES})
  target_include_directories(mlloop_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(mlloop_${name} PRIVATE ${MLLOOP_WARNINGS})
  target_link_libraries(mlloop_${name} PUBLIC ${ARG_DEPS})
endfunction()

# mlloop_add_test(MODULE SOURCES a_test.cc ... DEPS ...)
# One binary per module (MODULE_test), tests discovered by CTest.
function(mlloop_add_test module)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${module}_test ${ARG_SOURCES})
  target_compile_options(${module}_test PRIVATE ${MLLOOP_WARNINGS})
  target_include_directories(${module}_test PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${module}_test PRIVATE ${ARG_DEPS} mlloop_testutil GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${module}_test PRIVATE
    MLLOOP_SOURCE_DIR="${PROJECT_SOURCE_DIR}" MLLOOP_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${module}_test DISCOVERY_TIMEOUT 60
                       WORKING_DIRECTORY ${PROJECT_BINARY_DIR})
endfunction()

# mlloop_add_bench(NAME SOURCES a_bench.cc DEPS ...)
function(mlloop_add_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${MLLOOP_WARNINGS})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  target_compile_definitions(${name} PRIVATE MLLOOP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endfunction()

# skald_library(<target> <dir> DEPS <targets...>)
# One CMake library per source folder: every *.cc directly in <dir> (main.cc
# excluded). The DEPS list is the folder's allowed dependencies, so the link
# graph enforces DESIGN.md's layering. A folder without sources yet becomes an
# INTERFACE library so dependents still link.
function(skald_library name dir)
  cmake_parse_arguments(A "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${dir}/*.cc)
  list(FILTER srcs EXCLUDE REGEX "/main\\.cc$")
  if(srcs)
    add_library(${name} STATIC ${srcs})
    target_include_directories(${name} PUBLIC ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/gen)
    target_link_libraries(${name} PUBLIC ${A_DEPS})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR}/gen)
    target_link_libraries(${name} INTERFACE ${A_DEPS})
  endif()
endfunction()

# skald_test_dir(<dir> <lib>): one doctest binary from the *_test.cc files
# directly in tests/<dir>, linked against <lib>, registered with CTest. One
# binary per subsystem keeps a failing subsystem from hiding the others.
function(skald_test_dir dir lib)
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${dir}/*_test.cc)
  if(NOT srcs)
    return()
  endif()
  string(REPLACE "/" "_" name "${dir}_tests")
  add_executable(${name} ${CMAKE_SOURCE_DIR}/tests/doctest_main.cc ${srcs})
  target_link_libraries(${name} PRIVATE ${lib} doctest::doctest)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES ENVIRONMENT
    "SKALD_SHARED_DIR=${CMAKE_SOURCE_DIR}/../shared;SKALD_SOURCE_DIR=${CMAKE_SOURCE_DIR}"
    TIMEOUT 300)
endfunction()

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

# skald_test(<target> <dir...> DEPS <targets...>): one doctest binary from every
# *_test.cc below the given test folders, registered with CTest.
function(skald_test name)
  cmake_parse_arguments(A "" "" "DIRS;DEPS" ${ARGN})
  set(srcs ${CMAKE_SOURCE_DIR}/tests/doctest_main.cc)
  foreach(d ${A_DIRS})
    file(GLOB_RECURSE s CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/${d}/*_test.cc)
    list(APPEND srcs ${s})
  endforeach()
  add_executable(${name} ${srcs})
  target_link_libraries(${name} PRIVATE ${A_DEPS} doctest::doctest)
  target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR})
  add_test(NAME ${name} COMMAND ${name} --duration=false)
  set_tests_properties(${name} PROPERTIES ENVIRONMENT
    "SKALD_SHARED_DIR=${CMAKE_SOURCE_DIR}/../shared;SKALD_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()

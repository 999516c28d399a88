# package.pkg_config: a plain Makefile (test/consumer_make/Makefile) builds the
# consumer with `pkg-config --cflags sockmodel` against the installed prefix.
# Inputs (-D): PREFIX, DATADIR, MAKEFILE, CXX, OUT_DIR, VERSION.
cmake_policy(VERSION 3.21)
find_program(MAKE_EXECUTABLE NAMES make gmake REQUIRED)
find_program(PKG_CONFIG_EXECUTABLE NAMES pkg-config pkgconf REQUIRED)
set(pc "${PREFIX}/${DATADIR}/pkgconfig/sockmodel.pc")
if(NOT EXISTS "${pc}")
    message(FATAL_ERROR "install is missing ${pc}")
endif()
set(ENV{PKG_CONFIG_PATH} "${PREFIX}/${DATADIR}/pkgconfig")
# Only the installed file: no system sockmodel.pc can stand in for it.
set(ENV{PKG_CONFIG_LIBDIR} "${PREFIX}/${DATADIR}/pkgconfig")

execute_process(COMMAND "${PKG_CONFIG_EXECUTABLE}" --modversion sockmodel
    OUTPUT_VARIABLE v OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT v STREQUAL VERSION)
    message(FATAL_ERROR "pkg-config --modversion sockmodel: '${v}' (exit ${rc}), want ${VERSION}")
endif()
execute_process(COMMAND "${PKG_CONFIG_EXECUTABLE}" --cflags sockmodel
    OUTPUT_VARIABLE cflags OUTPUT_STRIP_TRAILING_WHITESPACE)
# The include directory must be the installed one (the prefix is found from
# the .pc file's own place, so `cmake --install --prefix` relocates it).
file(REAL_PATH "${PREFIX}/include" want_inc)
string(REGEX MATCH "-I([^ ]*)" _ "${cflags}")
if(NOT CMAKE_MATCH_1 OR NOT EXISTS "${CMAKE_MATCH_1}/sockmodel/sockmodel.hpp")
    message(FATAL_ERROR "pkg-config --cflags sockmodel: '${cflags}' does not name the installed headers")
endif()
file(REAL_PATH "${CMAKE_MATCH_1}" got_inc)
if(NOT got_inc STREQUAL want_inc)
    message(FATAL_ERROR "pkg-config --cflags sockmodel: ${got_inc}, want ${want_inc}")
endif()
message(STATUS "pkg-config --cflags sockmodel: ${cflags}")

file(REMOVE_RECURSE "${OUT_DIR}")
file(MAKE_DIRECTORY "${OUT_DIR}")
execute_process(
    COMMAND "${MAKE_EXECUTABLE}" -f "${MAKEFILE}" "OUT=${OUT_DIR}" "CXX=${CXX}"
        "PKG_CONFIG=${PKG_CONFIG_EXECUTABLE}"
    RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "make -f ${MAKEFILE} failed (${rc})")
endif()
execute_process(COMMAND "${OUT_DIR}/consumer" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${OUT_DIR}/consumer exited with ${rc}")
endif()

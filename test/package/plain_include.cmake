# package.plain_include: the headers must work with nothing but -I (no CMake).
# Inputs (-D): CXX, INCLUDE_DIR, SOURCE, OUTPUT.
cmake_policy(VERSION 3.21)
execute_process(
    COMMAND "${CXX}" -std=c++20 "-I${INCLUDE_DIR}" "${SOURCE}" -o "${OUTPUT}"
    RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "compiling ${SOURCE} with only -I${INCLUDE_DIR} failed (${rc})")
endif()
execute_process(COMMAND "${OUTPUT}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${OUTPUT} exited with ${rc}")
endif()

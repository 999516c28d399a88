# cmake -P script behind sockmodel_add_compile_fail_test(); see
# SockmodelCompileFail.cmake. Inputs (-D): CXX, CXX_ID, SOURCE, INCLUDE_DIRS
# ("|"-separated), EXPECT_HARNESS_FAILURE (optional, self-checks only).
cmake_policy(VERSION 3.21)

foreach(var CXX SOURCE)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
        message(FATAL_ERROR "compile_fail_check.cmake: -D${var}=... is required")
    endif()
endforeach()

# Report a harness verdict (details printed verbatim, NOTICE doesn't reflow).
# A normal test fails (FATAL_ERROR: exit 1). A self-check (run under
# WILL_FAIL) expecting exactly this reason also exits 1; one expecting a
# different reason exits 0 so that CTest flags it.
function(harness_fail reason details)
    message(NOTICE "compile-fail FAILED (${reason}): ${SOURCE}\n${details}")
    if(EXPECT_HARNESS_FAILURE AND NOT reason STREQUAL EXPECT_HARNESS_FAILURE)
        message(NOTICE "self-check: harness failed for '${reason}' but '${EXPECT_HARNESS_FAILURE}' was expected")
        set(_exit_zero TRUE PARENT_SCOPE)
        return()
    endif()
    message(FATAL_ERROR "compile-fail FAILED (${reason})")
endfunction()

# --- find the single "// expect-error: <substring>" line -----------------------
# ";" would split CMake lists, so hide it while scanning lines.
file(READ "${SOURCE}" content)
string(REPLACE ";" "<SOCKMODEL_SEMI>" content "${content}")
string(REGEX MATCHALL "//[ \t]*expect-error:[^\n]*" expect_lines "${content}")
list(LENGTH expect_lines n_expect)
if(NOT n_expect EQUAL 1)
    harness_fail(no-expect-line
        "expected exactly one line '// expect-error: <substring>' in the file, found ${n_expect}")
    if(_exit_zero)
        return()
    endif()
endif()
string(REGEX REPLACE "^//[ \t]*expect-error:" "" expected "${expect_lines}")
string(REPLACE "<SOCKMODEL_SEMI>" ";" expected "${expected}")
string(STRIP "${expected}" expected)
if(expected STREQUAL "")
    harness_fail(no-expect-line "the '// expect-error:' line has an empty substring")
    if(_exit_zero)
        return()
    endif()
endif()

# --- compile -------------------------------------------------------------------
set(flags -std=c++20 -fsyntax-only)
# No source snippets in diagnostics: the expect-error comment must not be able
# to match itself. No colours: escape codes would break the substring search.
if(CXX_ID MATCHES "Clang")
    list(APPEND flags -fno-caret-diagnostics -fno-color-diagnostics)
else()
    list(APPEND flags -fno-diagnostics-show-caret -fdiagnostics-color=never)
endif()
string(REPLACE "|" ";" include_dirs "${INCLUDE_DIRS}")
foreach(dir IN LISTS include_dirs)
    list(APPEND flags "-I${dir}")
endforeach()

# C locale: GCC then quotes with ASCII ' instead of UTF-8 curly quotes.
set(ENV{LC_ALL} C)

# The passing twin: the same TU with its fault fixed (-DSOCKMODEL_COMPILE_FAIL_TWIN)
# must compile, so the failure above is known to come from that fault alone.
if(TWIN)
    execute_process(
        COMMAND "${CXX}" ${flags} -DSOCKMODEL_COMPILE_FAIL_TWIN "${SOURCE}"
        RESULT_VARIABLE rc
        OUTPUT_VARIABLE output
        ERROR_VARIABLE output)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "compile-fail twin FAILED: ${SOURCE} with -DSOCKMODEL_COMPILE_FAIL_TWIN "
                            "does not compile:\n${output}")
    endif()
    return()
endif()

execute_process(
    COMMAND "${CXX}" ${flags} "${SOURCE}"
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)   # same variable: stdout and stderr combined

# First ~40 lines of compiler output, for the failure report.
string(REPLACE ";" "<SOCKMODEL_SEMI>" head "${output}")
string(REPLACE "\n" ";" head "${head}")
list(LENGTH head n_lines)
if(n_lines GREATER 40)
    list(SUBLIST head 0 40 head)
    list(APPEND head "... (${n_lines} lines in total)")
endif()
string(REPLACE ";" "\n" head "${head}")
string(REPLACE "<SOCKMODEL_SEMI>" ";" head "${head}")
string(REPLACE ";" " " cmdline "${CXX};${flags};${SOURCE}")
set(report "expected error substring: ${expected}\ncommand: ${cmdline}\ncompiler output (first 40 lines):\n${head}")

if(rc EQUAL 0)
    harness_fail(compiled-successfully "${report}")
elseif(NOT rc MATCHES "^[0-9]+$")
    # e.g. "No such file or directory": the compiler never ran.
    message(FATAL_ERROR "compile-fail: could not run the compiler '${CXX}': ${rc}")
else()
    string(FIND "${output}" "${expected}" pos)
    if(pos EQUAL -1)
        harness_fail(message-not-found "${report}")
    else()
        if(EXPECT_HARNESS_FAILURE)
            # Self-check wanted a harness failure but the TU passed: exit 0
            # so WILL_FAIL reports it.
            message("self-check: harness passed but '${EXPECT_HARNESS_FAILURE}' was expected")
            return()
        endif()
        message(STATUS "compile-fail ok: ${SOURCE}\n  compiler exited ${rc} with expected diagnostic: ${expected}")
    endif()
endif()

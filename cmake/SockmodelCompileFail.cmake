# Compile-fail tests: each TU must be rejected by the compiler with a specific
# diagnostic, named in the TU itself by exactly one line
#
#     // expect-error: <substring>
#
# The check (compile_fail_check.cmake) runs
#     ${CMAKE_CXX_COMPILER} -std=c++20 -fsyntax-only -I<repo>/include ... <TU>
# and passes only if the compiler exits non-zero AND its combined output
# contains <substring> (plain substring, not a regex; compiled in the C locale
# with caret/source snippets disabled, so the comment itself can't match).
#
#   sockmodel_add_compile_fail_test(<file.cpp>
#       [PREFIX <prefix>]              # test name = <prefix>.<stem>; default compile-fail
#       [EXPECT_HARNESS_FAILURE <why>]) # self-checks only, see below
#
# EXPECT_HARNESS_FAILURE sets WILL_FAIL TRUE, so the CTest test passes exactly
# when the harness reports failure, and <why> (compiled-successfully,
# message-not-found or no-expect-line) pins the reason: a failure for any other
# reason makes the check exit 0, which WILL_FAIL turns into a CTest failure.

set(_SOCKMODEL_COMPILE_FAIL_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/compile_fail_check.cmake")

function(sockmodel_add_compile_fail_test file)
    cmake_parse_arguments(PARSE_ARGV 1 arg "" "PREFIX;EXPECT_HARNESS_FAILURE" "")
    if(arg_UNPARSED_ARGUMENTS)
        message(FATAL_ERROR "sockmodel_add_compile_fail_test: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
    endif()
    if(NOT arg_PREFIX)
        set(arg_PREFIX compile-fail)
    endif()

    get_filename_component(src "${file}" ABSOLUTE)
    get_filename_component(stem "${file}" NAME_WE)
    set(name "${arg_PREFIX}.${stem}")

    # Include dirs: our headers plus Boost's unless the compiler already
    # searches it. "|"-separated: a ";" list would be split by add_test.
    set(include_dirs "${PROJECT_SOURCE_DIR}/include")
    get_target_property(boost_dirs Boost::headers INTERFACE_INCLUDE_DIRECTORIES)
    foreach(dir IN LISTS boost_dirs)
        if(dir AND NOT dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
            list(APPEND include_dirs "${dir}")
        endif()
    endforeach()
    string(REPLACE ";" "|" include_dirs "${include_dirs}")

    add_test(NAME "${name}"
        COMMAND "${CMAKE_COMMAND}"
            "-DCXX=${CMAKE_CXX_COMPILER}"
            "-DCXX_ID=${CMAKE_CXX_COMPILER_ID}"
            "-DSOURCE=${src}"
            "-DINCLUDE_DIRS=${include_dirs}"
            "-DEXPECT_HARNESS_FAILURE=${arg_EXPECT_HARNESS_FAILURE}"
            -P "${_SOCKMODEL_COMPILE_FAIL_SCRIPT}")
    set_tests_properties("${name}" PROPERTIES LABELS compile-fail TIMEOUT 300)
    if(arg_EXPECT_HARNESS_FAILURE)
        set_tests_properties("${name}" PROPERTIES WILL_FAIL TRUE)
    else()
        # Every case has a passing twin: the same TU, fault fixed, compiles.
        add_test(NAME "${arg_PREFIX}-twin.${stem}"
            COMMAND "${CMAKE_COMMAND}"
                "-DCXX=${CMAKE_CXX_COMPILER}"
                "-DCXX_ID=${CMAKE_CXX_COMPILER_ID}"
                "-DSOURCE=${src}"
                "-DINCLUDE_DIRS=${include_dirs}"
                -DTWIN=1
                -P "${_SOCKMODEL_COMPILE_FAIL_SCRIPT}")
        set_tests_properties("${arg_PREFIX}-twin.${stem}" PROPERTIES LABELS compile-fail TIMEOUT 300)
    endif()
endfunction()

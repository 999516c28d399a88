# Golden tests for tools/sockmodel-trace, run as `cmake -P` scripts by CTest.
#
#   -DMODE=golden   -DTOOL=... -DGOLDEN_DIR=... -DCASE=name -DOUT_DIR=...
#       Runs the tool with the case's arguments, compares stdout byte for byte
#       with its expected output (unified diff on mismatch), then checks that
#       the kernel functions of its order section are entered in that order in
#       --format json. SOCKMODEL_UPDATE_GOLDEN=1 (environment, or
#       -DSOCKMODEL_UPDATE_GOLDEN=ON at configure time) rewrites the expected
#       output instead of comparing.
#   -DMODE=compare  ... -DCASE=name -DAS=root|user|userns
#       Runs the case with --compare-host --as AS; the host must agree (exit 0).
#   -DMODE=json_parses -DCASES=a,b,c   every --format json line must parse.
#   -DMODE=dot_renders -DCASES=a,b,c   --format dot must render with dot -Tsvg.
#   -DMODE=bad_input                   bad input: exit 2, one line on stderr.
#   -DMODE=host_refusal                the host refuses to mirror the model task
#       (--compare-host with --rlimit-nofile above the host's hard RLIMIT_NOFILE):
#       exit 4, the model's trace on stdout, one "host refused" line on stderr.
#       Needs root without CAP_SYS_RESOURCE (which could raise the limit).
#
# A case is one file, <case>.golden, in three sections, each opened by its
# marker line:
#
#   === args ===       one command-line argument per line, verbatim (no shell
#                      quoting needed); lines starting with '#' are comments,
#                      empty lines are skipped. Arguments cannot contain ';'
#                      (CMake's list separator).
#   === order ===      kernel functions that must be entered in this order (a
#                      subsequence of the --format json enter events); "!fn"
#                      must never be entered; '#' lines are comments, "#~ fn"
#                      marks a kernel function on the path the model does not
#                      trace (reported, not checked).
#   === expected ===   the tool's stdout, byte for byte, to the end of the file.
cmake_minimum_required(VERSION 3.21)

foreach(var MODE TOOL)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "run_golden.cmake: -D${var}=... is required")
    endif()
endforeach()
if(NOT EXISTS "${TOOL}")
    message(FATAL_ERROR "golden: the tool was not built: ${TOOL}")
endif()

# The sections of a case: <prefix>_ARGS_TEXT, <prefix>_ORDER_TEXT,
# <prefix>_EXPECTED and <prefix>_HEAD (everything before the expected output).
function(golden_read case prefix)
    set(file "${GOLDEN_DIR}/${case}.golden")
    if(NOT EXISTS "${file}")
        message(FATAL_ERROR "golden: no such case: ${file}")
    endif()
    file(READ "${file}" text)
    string(FIND "${text}" "=== args ===\n" a)
    string(FIND "${text}" "\n=== order ===\n" o)
    string(FIND "${text}" "\n=== expected ===\n" e)
    if(NOT a EQUAL 0 OR o EQUAL -1 OR e EQUAL -1 OR NOT o LESS e)
        message(FATAL_ERROR "golden: ${file}: want the sections '=== args ===' (first line), "
            "'=== order ===' and '=== expected ===', in that order")
    endif()
    math(EXPR args_len "${o} + 1 - 13")
    math(EXPR order_at "${o} + 15")
    math(EXPR order_len "${e} + 1 - ${order_at}")
    math(EXPR head_len "${e} + 18")
    string(SUBSTRING "${text}" 13 ${args_len} args_text)
    string(SUBSTRING "${text}" ${order_at} ${order_len} order_text)
    string(SUBSTRING "${text}" 0 ${head_len} head)
    string(SUBSTRING "${text}" ${head_len} -1 expected)
    set(${prefix}_ARGS_TEXT "${args_text}" PARENT_SCOPE)
    set(${prefix}_ORDER_TEXT "${order_text}" PARENT_SCOPE)
    set(${prefix}_HEAD "${head}" PARENT_SCOPE)
    set(${prefix}_EXPECTED "${expected}" PARENT_SCOPE)
endfunction()

# The non-comment lines of a section, as a CMake list.
function(golden_lines file text out_var)
    # Comments go before the text becomes a list: they may hold ';'.
    string(REGEX REPLACE "(^|\n)#[^\n]*" "\\1" text "${text}")
    if(text MATCHES ";")
        message(FATAL_ERROR "golden: ${file}: arguments and function names cannot contain ';'")
    endif()
    set(lines_out "")
    string(REPLACE "\n" ";" lines "${text}")
    foreach(line IN LISTS lines)
        string(STRIP "${line}" line)
        if(NOT line STREQUAL "")
            list(APPEND lines_out "${line}")
        endif()
    endforeach()
    set(${out_var} "${lines_out}" PARENT_SCOPE)
endfunction()

# The arguments of a case, as a CMake list.
function(golden_read_args case out_var)
    golden_read("${case}" g)
    golden_lines("${GOLDEN_DIR}/${case}.golden" "${g_ARGS_TEXT}" args)
    set(${out_var} "${args}" PARENT_SCOPE)
endfunction()

# Print a unified diff of two files, with diff -u when there is one.
function(golden_diff expected actual)
    find_program(DIFF_EXECUTABLE diff)
    if(DIFF_EXECUTABLE)
        execute_process(COMMAND "${DIFF_EXECUTABLE}" -u "${expected}" "${actual}"
            OUTPUT_VARIABLE d ERROR_VARIABLE d)
        message("${d}")
    else()
        file(READ "${expected}" e)
        file(READ "${actual}" a)
        message("--- expected\n${e}\n+++ actual\n${a}")
    endif()
endfunction()

# The kernel functions of every enter event in --format json output, in order.
function(golden_enters json out_var)
    string(REGEX MATCHALL "{\"event\":\"enter\",\"depth\":[0-9]+,\"fn\":\"[^\"]*\"" enters "${json}")
    set(fns "")
    foreach(e IN LISTS enters)
        string(REGEX REPLACE ".*\"fn\":\"([^\"]*)\"$" "\\1" fn "${e}")
        list(APPEND fns "${fn}")
    endforeach()
    set(${out_var} "${fns}" PARENT_SCOPE)
endfunction()

# The order section: each plain line must be entered after the previous one;
# "!fn" must never be entered; "#" lines (including "#~ fn") are comments.
function(golden_check_order case args order_text)
    set(order_file "${GOLDEN_DIR}/${case}.golden")
    execute_process(COMMAND "${TOOL}" --format json ${args}
        OUTPUT_VARIABLE json ERROR_VARIABLE err RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "golden.${case}: --format json exited ${rc}: ${err}")
    endif()
    golden_enters("${json}" actual)
    list(LENGTH actual n)
    list(JOIN actual " " actual_text)

    set(untraced "")
    string(REGEX MATCHALL "(^|\n)[ \t]*#~[ \t]*[A-Za-z0-9_]+" marks "${order_text}")
    foreach(m IN LISTS marks)
        string(REGEX REPLACE ".*#~[ \t]*" "" m "${m}")
        list(APPEND untraced "${m}")
    endforeach()
    string(REGEX REPLACE "(^|\n)[ \t]*#[^\n]*" "\\1" order_text "${order_text}")
    golden_lines("${order_file}" "${order_text}" lines)
    set(pos 0)
    set(prev "(start)")
    set(errors "")
    foreach(line IN LISTS lines)
        if(line MATCHES "^!(.*)$")
            string(STRIP "${CMAKE_MATCH_1}" fn)
            list(FIND actual "${fn}" where)
            if(NOT where EQUAL -1)
                string(APPEND errors "  ${fn} must not be entered, but is (enter #${where})\n")
            endif()
            continue()
        endif()
        set(found -1)
        set(i ${pos})
        while(i LESS n)
            list(GET actual ${i} fn)
            if(fn STREQUAL line)
                set(found ${i})
                break()
            endif()
            math(EXPR i "${i} + 1")
        endwhile()
        if(found EQUAL -1)
            list(FIND actual "${line}" anywhere)
            if(anywhere EQUAL -1)
                string(APPEND errors "  ${line} (after ${prev}) is never entered\n")
            else()
                string(APPEND errors "  ${line} is entered (#${anywhere}) but not after ${prev} (#${pos} on)\n")
            endif()
        else()
            math(EXPR pos "${found} + 1")
            set(prev "${line}")
        endif()
    endforeach()
    if(NOT errors STREQUAL "")
        message(FATAL_ERROR "golden.${case}: the model's call order is not the kernel's "
            "(${order_file}, === order ===):\n${errors}enter events: ${actual_text}")
    endif()
    if(untraced)
        list(JOIN untraced ", " u)
        message(STATUS "golden.${case}: kernel functions on this path the model does not trace: ${u}")
    endif()
endfunction()

function(golden_case case)
    golden_read("${case}" g)
    set(file "${GOLDEN_DIR}/${case}.golden")
    golden_lines("${file}" "${g_ARGS_TEXT}" args)
    execute_process(COMMAND "${TOOL}" ${args}
        OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "golden.${case}: sockmodel-trace exited ${rc}\nstdout:\n${out}\nstderr:\n${err}")
    endif()
    if("$ENV{SOCKMODEL_UPDATE_GOLDEN}" STREQUAL "1" OR SOCKMODEL_UPDATE_GOLDEN)
        file(WRITE "${file}" "${g_HEAD}${out}")
        message(STATUS "golden.${case}: rewrote the expected output of ${file}")
    elseif(NOT out STREQUAL g_EXPECTED)
        file(MAKE_DIRECTORY "${OUT_DIR}")
        set(expected "${OUT_DIR}/${case}.expected")
        set(actual "${OUT_DIR}/${case}.actual")
        file(WRITE "${expected}" "${g_EXPECTED}")
        file(WRITE "${actual}" "${out}")
        golden_diff("${expected}" "${actual}")
        message(FATAL_ERROR "golden.${case}: output differs from ${file}'s expected section (actual output: "
            "${actual}; SOCKMODEL_UPDATE_GOLDEN=1 rewrites the expectation)")
    endif()
    golden_check_order("${case}" "${args}" "${g_ORDER_TEXT}")
endfunction()

function(golden_compare case as)
    golden_read_args("${case}" args)
    execute_process(COMMAND "${TOOL}" --compare-host ${args} --as "${as}"
        OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
    if(rc EQUAL 2 AND err MATCHES "needs root")
        message("golden: SKIPPED: ${err}")
        return()
    endif()
    string(REGEX MATCH "host: [^\n]*" line "${out}")
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "golden.compare_host.${case}.${as}: exit ${rc}\n${out}${err}")
    endif()
    if(NOT line MATCHES "; agree")
        message(FATAL_ERROR "golden.compare_host.${case}.${as}: no agreement line\n${out}${err}")
    endif()
    message(STATUS "${line}")
endfunction()

function(golden_json_parses cases)
    find_program(PYTHON3 python3)
    if(NOT PYTHON3)
        message("golden: SKIPPED: python3 not found")
        return()
    endif()
    foreach(case IN LISTS cases)
        golden_read_args("${case}" args)
        execute_process(
            COMMAND "${TOOL}" --format json ${args}
            COMMAND "${PYTHON3}" -c "import json,sys; [json.loads(l) for l in sys.stdin]"
            RESULTS_VARIABLE rcs ERROR_VARIABLE err)
        if(NOT rcs STREQUAL "0;0")
            message(FATAL_ERROR "golden.json_parses: ${case}: exit codes ${rcs}\n${err}")
        endif()
        # Every line an object with the four keys, in order.
        execute_process(COMMAND "${TOOL}" --format json ${args} OUTPUT_VARIABLE json)
        string(REGEX REPLACE "\n$" "" json "${json}")
        string(REPLACE ";" "," json "${json}")
        string(REPLACE "\n" ";" lines "${json}")
        foreach(l IN LISTS lines)
            if(NOT l MATCHES "^{\"event\":\"(enter|note|exit|result)\",\"depth\":[0-9]+,\"fn\":\"[^\"]*\",\"text\":\".*}$")
                message(FATAL_ERROR "golden.json_parses: ${case}: unexpected line: ${l}")
            endif()
        endforeach()
        message(STATUS "${case}: ok")
    endforeach()
endfunction()

function(golden_dot_renders cases)
    find_program(DOT_EXECUTABLE dot)
    if(NOT DOT_EXECUTABLE)
        message("golden: SKIPPED: Graphviz dot not found")
        return()
    endif()
    file(MAKE_DIRECTORY "${OUT_DIR}")
    foreach(case IN LISTS cases)
        golden_read_args("${case}" args)
        if(case STREQUAL "default")
            set(svg "${OUT_DIR}/trace.svg")
        else()
            set(svg "${OUT_DIR}/${case}.svg")
        endif()
        file(REMOVE "${svg}")
        execute_process(
            COMMAND "${TOOL}" --format dot ${args}
            COMMAND "${DOT_EXECUTABLE}" -Tsvg -o "${svg}"
            RESULTS_VARIABLE rcs ERROR_VARIABLE err)
        if(NOT rcs STREQUAL "0;0" OR NOT err STREQUAL "")
            message(FATAL_ERROR "golden.dot_renders: ${case}: exit codes ${rcs}\n${err}")
        endif()
        file(READ "${svg}" text LIMIT 4096)
        if(NOT text MATCHES "<svg")
            message(FATAL_ERROR "golden.dot_renders: ${case}: ${svg} is not SVG")
        endif()
        message(STATUS "${case}: ${svg}")
    endforeach()
endfunction()

# Each entry: a name, then the arguments ('|'-separated here), then a piece of
# the expected message.
function(golden_bad_input)
    set(checks
        "unknown family|AF_FOO|SOCK_STREAM|0|unknown family 'AF_FOO'"
        "bad number|AF_INET|12abc|0|bad type number '12abc'"
        "bad family number|0x|SOCK_STREAM|0|bad family number '0x'"
        "bad option|--bogus|unknown option '--bogus'"
        "unknown type name|AF_INET|SOCK_FOO|0|unknown type 'SOCK_FOO'"
        "unknown protocol|AF_INET|SOCK_STREAM|IPPROTO_FOO|unknown protocol 'IPPROTO_FOO'"
        "unknown netlink protocol|AF_NETLINK|SOCK_RAW|NETLINK_FOO|unknown protocol 'NETLINK_FOO'"
        "number out of range|AF_INET|SOCK_STREAM|99999999999|protocol number out of range"
        "wrong argument count|AF_INET|SOCK_STREAM|expected FAMILY TYPE PROTOCOL"
        "missing option value|--fill-fds|option '--fill-fds' needs a value"
        "bad option value|--as|admin|bad --as value 'admin'"
        "unknown ABI|--abi|vax|unknown ABI 'vax'"
        "unknown format|--format|xml|unknown format 'xml'"
        "unknown capability|--caps|net_foo|unknown capability 'net_foo'"
        "bad ping range|--ping-group|5|bad --ping-group value '5'"
        "compare with a foreign ABI|--compare-host|--abi|mips|--compare-host needs the host ABI")
    set(failures "")
    foreach(check IN LISTS checks)
        string(REPLACE "|" ";" parts "${check}")
        list(POP_FRONT parts name)
        list(POP_BACK parts want)
        execute_process(COMMAND "${TOOL}" ${parts}
            OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
        string(REGEX MATCHALL "\n" newlines "${err}")
        list(LENGTH newlines nl)
        string(FIND "${err}" "${want}" at)
        if(NOT rc EQUAL 2)
            string(APPEND failures "  ${name}: exit ${rc}, want 2\n")
        elseif(NOT out STREQUAL "")
            string(APPEND failures "  ${name}: wrote to stdout: ${out}\n")
        elseif(NOT nl EQUAL 1 OR NOT err MATCHES "^sockmodel-trace: [^\n]+\n$")
            string(APPEND failures "  ${name}: stderr is not one 'sockmodel-trace: ...' line: ${err}\n")
        elseif(at EQUAL -1)
            string(APPEND failures "  ${name}: stderr lacks '${want}': ${err}")
        else()
            message(STATUS "${name}: ${err}")
        endif()
    endforeach()
    if(NOT failures STREQUAL "")
        message(FATAL_ERROR "golden.bad_input:\n${failures}")
    endif()
endfunction()

function(golden_host_refusal)
    execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT uid STREQUAL "0")
        message("golden: SKIPPED: --compare-host needs root")
        return()
    endif()
    file(READ "/proc/self/status" status)
    string(REGEX MATCH "CapEff:[ \t]*([0-9a-f]+)" _ "${status}")
    math(EXPR sys_resource "(0x${CMAKE_MATCH_1} >> 24) & 1")   # CAP_SYS_RESOURCE = 24
    execute_process(COMMAND sh -c "ulimit -Hn" OUTPUT_VARIABLE hard OUTPUT_STRIP_TRAILING_WHITESPACE)
    file(READ "/proc/sys/fs/nr_open" nr_open)
    string(STRIP "${nr_open}" nr_open)
    if(sys_resource OR NOT hard MATCHES "^[0-9]+$" OR hard GREATER_EQUAL nr_open)
        message("golden: SKIPPED: the host would let the child raise RLIMIT_NOFILE "
                "(CAP_SYS_RESOURCE ${sys_resource}, hard limit ${hard}, fs.nr_open ${nr_open})")
        return()
    endif()
    math(EXPR above "${hard} + 1")
    execute_process(COMMAND "${TOOL}" --rlimit-nofile ${above} --compare-host AF_INET SOCK_STREAM 0
        OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
    string(REGEX MATCHALL "\n" newlines "${err}")
    list(LENGTH newlines nl)
    set(want "sockmodel-trace: host refused: --compare-host: setrlimit (setup) failed: EPERM")
    if(NOT rc EQUAL 4)
        message(FATAL_ERROR "golden.host_refusal: exit ${rc}, want 4; stderr: ${err}")
    elseif(NOT out MATCHES "socket\\(AF_INET, SOCK_STREAM, IPPROTO_IP\\) = 3\n$")
        message(FATAL_ERROR "golden.host_refusal: the model's trace is not on stdout: ${out}")
    elseif(NOT nl EQUAL 1)
        message(FATAL_ERROR "golden.host_refusal: stderr is not one line: ${err}")
    endif()
    string(FIND "${err}" "${want}" at)
    if(at EQUAL -1)
        message(FATAL_ERROR "golden.host_refusal: stderr lacks '${want}': ${err}")
    endif()
    message(STATUS "host_refusal (hard limit ${hard}, asked ${above}): ${err}")
endfunction()

if(MODE STREQUAL "golden")
    golden_case("${CASE}")
elseif(MODE STREQUAL "compare")
    golden_compare("${CASE}" "${AS}")
elseif(MODE STREQUAL "json_parses")
    string(REPLACE "," ";" cases "${CASES}")
    golden_json_parses("${cases}")
elseif(MODE STREQUAL "dot_renders")
    string(REPLACE "," ";" cases "${CASES}")
    golden_dot_renders("${cases}")
elseif(MODE STREQUAL "bad_input")
    golden_bad_input()
elseif(MODE STREQUAL "host_refusal")
    golden_host_refusal()
else()
    message(FATAL_ERROR "run_golden.cmake: unknown MODE '${MODE}'")
endif()

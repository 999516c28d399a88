# sockmodel-trace built with examples/can's AF_CAN (sockmodel-trace-can):
#   --inject list      lists the family's fault point beside the library's;
#   AF_CAN SOCK_RAW CAN_RAW            parses the family's protocol name,
#                      and traces can_create and raw_init;
#   --inject can_raw_init_uniq ...     fails raw_init with -ENOMEM and unwinds
#                      as net/can/af_can.c's can_create does (the sock freed,
#                      then can_put_proto), then __sock_create's
#                      out_sock_release.
# Usage: cmake -DTOOL=<sockmodel-trace-can> -P check_trace_tool.cmake
if(NOT TOOL)
    message(FATAL_ERROR "check_trace_tool.cmake: pass -DTOOL=<path to sockmodel-trace-can>")
endif()

# run(NAME EXPECTED_EXIT ARGS...): the tool's output in ${NAME}.
function(run name want)
    execute_process(COMMAND "${TOOL}" ${ARGN} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
    message("--- ${TOOL} ${ARGN}\n${out}${err}")
    if(NOT rc EQUAL want)
        message(FATAL_ERROR "${TOOL} ${ARGN}: exit ${rc}, want ${want}")
    endif()
    set(${name} "${out}" PARENT_SCOPE)
endfunction()

# in_order(TEXT ENTRIES...): each entry found after the previous one.
function(in_order text)
    set(rest "${text}")
    foreach(entry IN LISTS ARGN)
        string(FIND "${rest}" "${entry}" at)
        if(at EQUAL -1)
            message(FATAL_ERROR "missing, or out of order: '${entry}'")
        endif()
        string(LENGTH "${entry}" len)
        math(EXPR at "${at} + ${len}")
        string(SUBSTRING "${rest}" ${at} -1 rest)
    endforeach()
endfunction()

run(list 0 --inject list)
in_order("${list}" "sk_prot_alloc" "can_raw_init_uniq           raw_init                 alloc_percpu(struct uniqframe) returns NULL")

run(ok 0 AF_CAN SOCK_RAW CAN_RAW)
in_order("${ok}"
    "__sys_socket(AF_CAN, SOCK_RAW, CAN_RAW) → 3"
    "can_create(SOCK_RAW, CAN_RAW, kern=0) → 0"
    "can_get_proto(CAN_RAW) → ok"
    "sk_alloc(CAN_RAW) → ok"
    "raw_init() → 0"
    "can_put_proto(CAN_RAW)"
    "socket(AF_CAN, SOCK_RAW, CAN_RAW) = 3")

run(fail 0 --inject can_raw_init_uniq AF_CAN SOCK_RAW CAN_RAW)
in_order("${fail}"
    "__sys_socket(AF_CAN, SOCK_RAW, CAN_RAW) → -12 ENOMEM"
    "raw_init() → -12 ENOMEM"
    "FAULT_INJECTION: can_raw_init_uniq"
    "__sk_free()"
    "can_put_proto(CAN_RAW)"
    "out_sock_release"
    "socket(AF_CAN, SOCK_RAW, CAN_RAW) = -1 ENOMEM")

# Runs can-trace and checks its output: it succeeded, it names can_create, and
# the functions of each call appear in the order net/socket.c, net/can/af_can.c,
# net/can/raw.c and net/core/sock.c call them (written from the kernel source,
# not from the tool's output). Usage: cmake -DEXE=<can-trace> -P check_trace.cmake
if(NOT EXE)
    message(FATAL_ERROR "check_trace.cmake: pass -DEXE=<path to can-trace>")
endif()
execute_process(COMMAND "${EXE}" OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
message("${out}${err}")
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "can-trace exited with ${rc}")
endif()

# Each entry must be found after the previous one (errno numbers are left out:
# they are the host's).
set(order
    # socket(AF_CAN, SOCK_RAW, CAN_RAW)
    "__sys_socket(AF_CAN, SOCK_RAW, CAN_RAW) → 0"
    "__sys_socket_create(AF_CAN, SOCK_RAW, CAN_RAW)"
    "__sock_create(AF_CAN, SOCK_RAW, CAN_RAW, kern=0)"
    "security_socket_create(AF_CAN, SOCK_RAW, CAN_RAW, kern=0) → 0"
    "sock_alloc() → ok"
    "can_create(SOCK_RAW, CAN_RAW, kern=0) → 0"
    "· proto_tab[1]: CAN_RAW, sock->ops = &raw_ops"
    "can_get_proto(CAN_RAW) → ok"
    "sk_alloc(CAN_RAW) → ok"
    "sk_prot_alloc(CAN_RAW) → ok"
    "sock_init_data()"
    "raw_init() → 0"
    "can_put_proto(CAN_RAW)"
    "security_socket_post_create(AF_CAN, SOCK_RAW, CAN_RAW, kern=0) → 0"
    "sock_map_fd(0) → 0"
    "get_unused_fd_flags(0) → 0"
    "sock_alloc_file(0) → ok"
    "alloc_file_pseudo(\"CAN_RAW\") → ok"
    "fd_install(0)"
    # socket(AF_CAN, SOCK_DGRAM, CAN_RAW): the type check, after the lookup
    "__sys_socket(AF_CAN, SOCK_DGRAM, CAN_RAW) → -" "EPROTOTYPE"
    "sock_alloc() → ok"
    "can_create(SOCK_DGRAM, CAN_RAW, kern=0) → -" "EPROTOTYPE"
    "· proto_tab[1]: CAN_RAW is SOCK_RAW, not SOCK_DGRAM: -EPROTOTYPE"
    "goto out_module_put"
    "sock_release()"
    # socket(AF_CAN, SOCK_RAW, 9): the range check, first
    "__sys_socket(AF_CAN, SOCK_RAW, 9) → -" "EINVAL"
    "can_create(SOCK_RAW, 9, kern=0) → -" "EINVAL"
    "· protocol outside 0..CAN_NPROTO-1"
    # close(0)
    "close(0) → 0"
    "file_close_fd(0) → ok"
    "__fput()"
    "sock_close() → 0"
    "__sock_release()"
    "· raw_ops->release"
    "raw_release() → 0"
    "__sk_free()"
    "__sk_destruct()"
    "can_sock_destruct()"
    "sk_prot_free(CAN_RAW)"
    # the fault points: the path's, then the family's own
    "fault points:"
    "sock_alloc"
    "can_raw_init_uniq           raw_init                 alloc_percpu(struct uniqframe) returns NULL"
    # socket(AF_CAN, SOCK_RAW, CAN_RAW) with raw_init's alloc_percpu failing:
    # can_create releases the sk (sock_orphan, sock_put), then out_module_put
    "__sys_socket(AF_CAN, SOCK_RAW, CAN_RAW) → -" "ENOMEM"
    "can_create(SOCK_RAW, CAN_RAW, kern=0) → -" "ENOMEM"
    "raw_init() → -" "ENOMEM"
    "· FAULT_INJECTION: can_raw_init_uniq: alloc_percpu(struct uniqframe) returns NULL"
    "can_put_proto(CAN_RAW)"
    "goto out_module_put"
    # the summary
    "socket(AF_CAN, SOCK_RAW, CAN_RAW) = 0"
    "socket(AF_CAN, SOCK_DGRAM, CAN_RAW) = -1 EPROTOTYPE"
    "socket(AF_CAN, SOCK_RAW, 9) = -1 EINVAL"
    "close(0) = 0"
    "socket(AF_CAN, SOCK_RAW, CAN_RAW) = -1 ENOMEM"
    "passed, 0 failed")

set(rest "${out}")
set(previous "(start)")
foreach(item IN LISTS order)
    string(FIND "${rest}" "${item}" at)
    if(at EQUAL -1)
        string(FIND "${out}" "${item}" anywhere)
        if(anywhere EQUAL -1)
            message(FATAL_ERROR "can-trace: \"${item}\" is missing from the output")
        endif()
        message(FATAL_ERROR "can-trace: \"${item}\" comes before \"${previous}\", not after it")
    endif()
    string(LENGTH "${item}" len)
    math(EXPR next "${at} + ${len}")
    string(SUBSTRING "${rest}" ${next} -1 rest)
    set(previous "${item}")
endforeach()
list(LENGTH order n)
message("can-trace: ${n} lines found in the kernel's order: ok")

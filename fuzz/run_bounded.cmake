# Runs the fuzzer for SECONDS over a fresh copy of CORPUS in WORK_DIR, with a
# fixed seed; fails when libFuzzer reports a crash, a leak or a timeout.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/corpus" "${WORK_DIR}/artifacts")
file(GLOB seeds "${CORPUS}/*")
file(COPY ${seeds} DESTINATION "${WORK_DIR}/corpus")
execute_process(
    COMMAND "${FUZZER}" -max_total_time=${SECONDS} -seed=1 -max_len=512 -timeout=10 -rss_limit_mb=2048
        -print_final_stats=1 "-artifact_prefix=${WORK_DIR}/artifacts/" "${WORK_DIR}/corpus"
    RESULT_VARIABLE rc
    OUTPUT_VARIABLE out
    ERROR_VARIABLE out)
string(REGEX MATCH "Done [0-9]+ runs in [0-9]+ second\\(s\\)" done "${out}")
if(NOT rc EQUAL 0)
    message("${out}")
    message(FATAL_ERROR "fuzz: the fuzzer exited ${rc}; the input is in ${WORK_DIR}/artifacts/")
endif()
if(NOT done)
    message("${out}")
    message(FATAL_ERROR "fuzz: no 'Done N runs' line")
endif()
message(STATUS "fuzz: ${done}")

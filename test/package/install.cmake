# package.install: install the build tree into a fresh prefix.
# Inputs (-D): BUILD_DIR, PREFIX, CONFIG (may be empty).
cmake_policy(VERSION 3.21)
file(REMOVE_RECURSE "${PREFIX}")
set(config_args)
if(CONFIG)
    set(config_args --config "${CONFIG}")
endif()
execute_process(
    COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}" ${config_args}
    RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cmake --install failed (${rc})")
endif()
foreach(f include/sockmodel/sockmodel.hpp
          share/cmake/sockmodel/sockmodelConfig.cmake
          share/cmake/sockmodel/sockmodelConfigVersion.cmake
          share/cmake/sockmodel/sockmodelTargets.cmake
          share/pkgconfig/sockmodel.pc)
    if(NOT EXISTS "${PREFIX}/${f}")
        message(FATAL_ERROR "install is missing ${PREFIX}/${f}")
    endif()
endforeach()

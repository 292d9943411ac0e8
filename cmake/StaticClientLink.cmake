# Short client commands (sidecarctl; a caller runs one per question) start in
# a few milliseconds when linked against the static archives of gRPC,
# protobuf, Abseil, OpenSSL, c-ares, re2 and zlib that Debian ships, with
# libstdc++ static too: linked against the shared ones, the loader maps about
# 57 libraries and applies ~15,000 relocations, and each page it touches is a
# fault; `sidecarctl --help` took 24-30 ms of CPU that way and about 6 ms
# static (issue 12; perf stat, bench/README.md). Only the C library stays
# shared, so name lookups (NSS) work as in any program.
#
#   sidecard_link_client_statically(<target>)
#
# links <target> (which must not link sidecard_client or sidecard_proto by
# target) against them, or against the shared libraries when a static archive
# is missing, in sanitizer and fuzzing builds (their runtimes want shared
# libraries) or with -DSIDECARD_STATIC_CLIENTS=OFF.
option(SIDECARD_STATIC_CLIENTS
       "link sidecarctl against Debian's static gRPC, protobuf and Abseil archives" ON)

# The static archives a gRPC client needs, in link order (each after the
# ones that use it; Abseil's as one group, as they use each other), into
# `out`; empty when one is missing.
function(sidecard_static_client_archives out)
  set(${out} "" PARENT_SCOPE)
  get_target_property(grpcxx_location gRPC::grpc++ LOCATION)
  get_filename_component(libdir "${grpcxx_location}" DIRECTORY)
  set(archives)
  foreach(name grpc++ grpc upb address_sorting re2 cares gpr protobuf ssl crypto z)
    set(archive "${libdir}/lib${name}.a")
    if(NOT EXISTS "${archive}")
      message(STATUS "sidecarctl links shared libraries: no ${archive}")
      return()
    endif()
    list(APPEND archives "${archive}")
  endforeach()
  file(GLOB absl_archives "${libdir}/libabsl_*.a")
  if(NOT absl_archives)
    message(STATUS "sidecarctl links shared libraries: no Abseil archives in ${libdir}")
    return()
  endif()
  set(${out} ${archives} -Wl,--start-group ${absl_archives} -Wl,--end-group PARENT_SCOPE)
endfunction()

function(sidecard_link_client_statically target)
  set(archives)
  if(SIDECARD_STATIC_CLIENTS AND NOT SIDECARD_SANITIZE AND NOT SIDECARD_FUZZ)
    sidecard_static_client_archives(archives)
  endif()
  if(NOT archives)
    target_link_libraries(${target} PRIVATE sidecard_client)
    return()
  endif()
  # sidecard_client's own code and its headers, without its link interface
  # (which names the shared gRPC and protobuf).
  add_dependencies(${target} sidecard_client)
  target_include_directories(
    ${target} PRIVATE $<TARGET_PROPERTY:sidecard_client,INTERFACE_INCLUDE_DIRECTORIES>
                      $<TARGET_PROPERTY:sidecard_proto,INTERFACE_INCLUDE_DIRECTORIES>)
  target_link_libraries(
    ${target} PRIVATE $<TARGET_FILE:sidecard_client> $<TARGET_FILE:sidecard_proto>
                      $<TARGET_FILE:sidecard_json_escape> ${archives} Threads::Threads
                      ${CMAKE_DL_LIBS} m rt)
  # Not a position-independent executable: as a PIE the loader applies
  # about 40,000 relative relocations (vtables, descriptor tables of the
  # static archives) before main, half of `sidecarctl --help`'s 11 ms of CPU;
  # without, 6 ms, the Rust tool's start-up (perf stat -r 20). The price is no
  # address randomisation of the client's own code, for a process that lives
  # for one call.
  target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc -no-pie)
endfunction()

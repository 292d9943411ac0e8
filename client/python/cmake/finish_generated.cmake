# Moves protoc's Python output into the `sidecard._gen` package.
#
#   cmake -DIN_DIR=<protoc output> -DOUT_DIR=<build>/python/sidecard/_gen
#         -DMODULES=a/b_pb2.py,... -DPACKAGES=.,a,a/b -P finish_generated.cmake
#
# protoc names generated modules after the .proto paths (`sidecar.v1`,
# `grpc.health.v1`) and imports them absolutely (`from sidecar.v1 import
# sidecar_pb2`). Under `sidecard._gen` those imports, and the module names the
# messages record for themselves, get the `sidecard._gen.` prefix, so nothing
# needs a top-level `sidecar` or `grpc.health` package. Each package directory
# gets an empty __init__.py. Fails if a generated import is left unrewritten.
string(REPLACE "," ";" modules "${MODULES}")
string(REPLACE "," ";" packages "${PACKAGES}")
set(generated_roots "sidecar\\.v1|grpc\\.health\\.v1")

foreach(module IN LISTS modules)
  file(READ ${IN_DIR}/${module} text)
  string(REGEX REPLACE "(^|\n)from (${generated_roots}) import" "\\1from sidecard._gen.\\2 import"
         text "${text}")
  string(REGEX REPLACE "(BuildTopDescriptorsAndMessages\\(DESCRIPTOR, ')(${generated_roots})\\."
         "\\1sidecard._gen.\\2." text "${text}")
  if(text MATCHES "(^|\n)(from|import) (${generated_roots})")
    message(FATAL_ERROR "${module}: a generated import was not rewritten into sidecard._gen")
  endif()
  file(WRITE ${OUT_DIR}/${module} "${text}")
endforeach()

foreach(package IN LISTS packages)
  file(WRITE ${OUT_DIR}/${package}/__init__.py "")
endforeach()

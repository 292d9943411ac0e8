# Builds one wheel of the Python package, offline, from a fresh staging tree.
#
#   cmake -DPYTHON=/usr/bin/python3 -DMANIFEST=<file> -DSTAGE=<dir> -DDIST=<dir>
#         -DWHEEL=<name>-<version>-py3-none-any.whl -P build_wheel.cmake
#
# MANIFEST lists what the staging tree holds, one file per line:
# `<path in the tree>|<absolute source>` (written by CMakeLists.txt). The tree
# is made anew each time, so a file removed from the sources never lingers in
# a wheel. Older wheels of the same distribution are removed from DIST first
# (a stale higher version would win `pip install --find-links`). Then
#   PYTHON -m pip wheel --no-deps --no-build-isolation --no-index
# builds it with the system's setuptools and wheel (Debian 12:
# python3-setuptools, python3-wheel, python3-pip): no network, no PyPI.
foreach(var PYTHON MANIFEST STAGE DIST WHEEL)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "build_wheel.cmake: -D${var}=... is required")
  endif()
endforeach()

file(REMOVE_RECURSE ${STAGE})
file(MAKE_DIRECTORY ${STAGE} ${DIST})
file(STRINGS ${MANIFEST} entries)
foreach(entry IN LISTS entries)
  string(FIND "${entry}" "|" bar)
  string(SUBSTRING "${entry}" 0 ${bar} destination)
  math(EXPR bar "${bar} + 1")
  string(SUBSTRING "${entry}" ${bar} -1 source)
  get_filename_component(directory ${STAGE}/${destination} DIRECTORY)
  file(MAKE_DIRECTORY ${directory})
  file(COPY_FILE ${source} ${STAGE}/${destination})
endforeach()

string(REGEX REPLACE "-[^-]+-py3-none-any\\.whl$" "" distribution "${WHEEL}")
file(GLOB old_wheels ${DIST}/${distribution}-*-py3-none-any.whl)
if(old_wheels)
  file(REMOVE ${old_wheels})
endif()

# The caller's PYTHONPATH (e.g. <build>/python) must not change what is built;
# --isolated ignores PIP_* variables and pip's configuration files.
unset(ENV{PYTHONPATH})
set(ENV{PYTHONDONTWRITEBYTECODE} 1)
execute_process(
  COMMAND ${PYTHON} -m pip --isolated wheel --no-deps --no-build-isolation --no-index
          --disable-pip-version-check --no-cache-dir --quiet --wheel-dir ${DIST} ${STAGE}
  RESULT_VARIABLE status
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
if(NOT status EQUAL 0 OR NOT EXISTS ${DIST}/${WHEEL})
  message(FATAL_ERROR "building ${WHEEL} failed (status ${status}):\n${output}")
endif()

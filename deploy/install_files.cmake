# Runs at install time (install(SCRIPT) from deploy/install.cmake), when the
# real prefix is known: installs the systemd unit with its paths pointing into
# that prefix, and the configuration where the prefix says (see install.cmake).
# Expects SIDECARD_DEPLOY_DIR, SIDECARD_BINDIR, SIDECARD_DOCDIR and
# SIDECARD_SCRATCH_DIR. file(INSTALL) adds $DESTDIR itself.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(confdir "/etc/sidecard")
else()
  set(confdir "${CMAKE_INSTALL_PREFIX}/etc/sidecard")
endif()

file(READ "${SIDECARD_DEPLOY_DIR}/sidecard.service" unit)
string(REPLACE "/usr/bin/sidecard " "${CMAKE_INSTALL_PREFIX}/${SIDECARD_BINDIR}/sidecard " unit
               "${unit}")
string(REPLACE "/etc/sidecard/" "${confdir}/" unit "${unit}")
string(REPLACE "/usr/share/doc/sidecard/" "${CMAKE_INSTALL_PREFIX}/${SIDECARD_DOCDIR}/" unit
               "${unit}")
# One scratch copy per destination: installs into different prefixes may run
# at once (the tests do).
string(MD5 destination "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
set(scratch "${SIDECARD_SCRATCH_DIR}/${destination}")
file(MAKE_DIRECTORY "${scratch}")
file(WRITE "${scratch}/sidecard.service" "${unit}")
file(INSTALL "${scratch}/sidecard.service" DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
file(REMOVE_RECURSE "${scratch}")

# An administrator's configuration is never replaced (the .deb marks it a
# conffile, so dpkg asks instead).
if(EXISTS "$ENV{DESTDIR}${confdir}/sidecard.conf")
  message(STATUS "Keeping: $ENV{DESTDIR}${confdir}/sidecard.conf")
else()
  file(INSTALL "${SIDECARD_DEPLOY_DIR}/sidecard.conf" DESTINATION "${confdir}")
endif()

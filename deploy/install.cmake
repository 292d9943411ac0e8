# What `cmake --install` puts where, and how CPack makes the .deb. Included
# from the top CMakeLists.txt. With the prefix P (/usr for the package,
# /usr/local by default, any staging directory for tests):
#
#   P/bin/sidecard, P/bin/sidecarctl             the daemon and its client
#   P/bin/sportball-sidecar-rust,
#   P/bin/image-sidecar-rust                     the old tool's command line (native)
#   P/libexec/sidecard/rust-cli                  its Python implementation (SIDECARD_AUTOSTART)
#   P/lib/systemd/system/sidecard.service        the unit, its paths pointing into P
#   /etc/sidecard/sidecard.conf (P = /usr),      the configuration, from
#   P/etc/sidecard/sidecard.conf (otherwise)     deploy/sidecard.conf; never overwritten
#   P/share/doc/sidecard/                        OPERATING.md, CHANGELOG.md, copyright (LICENSE),
#                                                examples/ (config, Kubernetes, container/:
#                                                the Containerfile)
#   P/share/man/man8/sidecard.8,
#   P/share/man/man1/sidecarctl.1                the manuals (docs/man, version filled in)
#   P/share/bash-completion/completions/sidecarctl,
#   P/share/zsh/vendor-completions/_sidecarctl   completion (deploy/completion)
#   P/share/sidecard/proto/sidecar/v1/*.proto    the contract, for clients in other languages
#   P/include/sidecard/                          C++ client headers (client/cpp/...) and
#                                                the generated ones (sidecar/v1, grpc/health/v1)
#   P/<libdir>/libsidecard_{client,proto,json_escape}.a,
#   P/<libdir>/cmake/sidecard/                   find_package(sidecard CONFIG) → sidecard::client
#   P/lib/python3/dist-packages/sidecard/        the Python package (Debian's path)
#   P/share/sidecard/python-compat/              opt-in shims for old imports (PYTHONPATH)
#
# The configuration goes to /etc only for the /usr prefix (FHS: /usr is the
# distribution's, its configuration lives in /etc); a /usr/local or staging
# install keeps it under its prefix, so such an install never touches /etc.
# Both decisions are taken at install time (install_files.cmake), so
# `cmake --install --prefix DIR` and CPack get them right.

# --- unit and configuration (paths rewritten at install time) -----------------
install(CODE "set(SIDECARD_DEPLOY_DIR \"${CMAKE_CURRENT_LIST_DIR}\")
set(SIDECARD_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
set(SIDECARD_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
set(SIDECARD_SCRATCH_DIR \"${PROJECT_BINARY_DIR}/deploy-install\")")
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/install_files.cmake)

# --- documentation and examples ---------------------------------------------------
install(FILES ${CMAKE_CURRENT_LIST_DIR}/OPERATING.md ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Debian's name for the licence of a package.
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME copyright)

# --- manuals, completion, the contract ----------------------------------------------
foreach(page sidecard.8 sidecarctl.1)
  configure_file(${PROJECT_SOURCE_DIR}/docs/man/${page}.in ${PROJECT_BINARY_DIR}/man/${page} @ONLY)
  string(REGEX REPLACE ".*\\." "" section ${page})
  install(FILES ${PROJECT_BINARY_DIR}/man/${page} DESTINATION ${CMAKE_INSTALL_MANDIR}/man${section})
endforeach()
install(FILES ${CMAKE_CURRENT_LIST_DIR}/completion/sidecarctl.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME sidecarctl)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/completion/_sidecarctl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)
file(GLOB sidecard_protos ${PROJECT_SOURCE_DIR}/proto/sidecar/v1/*.proto)
install(FILES ${sidecard_protos} DESTINATION ${CMAKE_INSTALL_DATADIR}/sidecard/proto/sidecar/v1)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/sidecard.conf ${CMAKE_CURRENT_LIST_DIR}/kubernetes/sidecard.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/kubernetes/sidecard-daemonset.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/container/Containerfile
              ${CMAKE_CURRENT_LIST_DIR}/container/sidecard.conf
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/container)

# --- the Python package -------------------------------------------------------------
if(TARGET sidecard_python)
  set(python_build ${PROJECT_BINARY_DIR}/python)
  install(DIRECTORY ${python_build}/sidecard DESTINATION lib/python3/dist-packages
          PATTERN __pycache__ EXCLUDE)
  # The shims would shadow real `sportball` modules: opt in with PYTHONPATH.
  install(DIRECTORY ${python_build}/compat/ DESTINATION ${CMAKE_INSTALL_DATADIR}/sidecard/python-compat
          PATTERN __pycache__ EXCLUDE)
  install(PROGRAMS ${python_build}/libexec/sidecard/rust-cli
          DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/sidecard)
endif()
if(TARGET sidecard_rust_cli)
  install(TARGETS sidecard_rust_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(CODE "file(CREATE_LINK sportball-sidecar-rust
                \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/image-sidecar-rust\"
                SYMBOLIC)")
endif()

# --- the .deb (cpack -G DEB in the build directory) ---------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sidecard)
set(CPACK_PACKAGE_VENDOR "sidecard")
set(CPACK_PACKAGE_CONTACT "sidecard maintainers <sidecard@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "gRPC daemon serving the sidecar files of a photo library")
set(CPACK_PACKAGE_DESCRIPTION
    "sidecard owns the .bin, .rkyv and .json sidecar files that the sportball pipeline writes \
beside every photo: it validates, counts, cleans up, reads, saves, exports and converts them \
over gRPC (Unix socket or TCP). Includes sidecarctl, the C++ client library and CMake \
package, the Python client, a hardened systemd unit and an example configuration.")
# Install as the package will be laid out: prefix /usr under a DESTDIR, so
# that install_files.cmake sees the real prefix and puts the config in /etc.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3, python3-grpcio, python3-protobuf")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_LIST_DIR}/debian/postinst ${CMAKE_CURRENT_LIST_DIR}/debian/prerm
    ${CMAKE_CURRENT_LIST_DIR}/debian/postrm ${CMAKE_CURRENT_LIST_DIR}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)  # the debug information stays in the build tree
include(CPack)

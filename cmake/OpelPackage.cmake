# Install rules (FHS, prefix /usr) and the Debian package built from them by CPack:
#   /usr/bin/opel, opel-escalatord, opel-notifyd, opel-webd
#   /etc/opel/...                      the shipped configuration (conffiles: kept on upgrade)
#   /usr/share/opel/web/...            the wallboard's page
#   /usr/lib/systemd/system/*.service  hardened Type=notify units
#   /usr/lib/sysusers.d/opel.conf      the "opel" system user (made by the postinst)
#   /usr/share/doc/opel/...            README and the sample sitreps
install(TARGETS opel opel-escalatord opel-notifyd opel-webd
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/
  DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/opel
  PATTERN samples EXCLUDE)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/samples/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/samples)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/web/ DESTINATION ${CMAKE_INSTALL_DATADIR}/opel/web)
install(FILES
  ${PROJECT_SOURCE_DIR}/deploy/opel-escalatord.service
  ${PROJECT_SOURCE_DIR}/deploy/opel-notifyd.service
  ${PROJECT_SOURCE_DIR}/deploy/opel-webd.service
  DESTINATION lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/opel.sysusers RENAME opel.conf
  DESTINATION lib/sysusers.d)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/deploy/README.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Every shipped configuration file is a conffile: an upgrade keeps the operator's edits.
file(GLOB_RECURSE opel_config_files RELATIVE ${PROJECT_SOURCE_DIR}/config
  ${PROJECT_SOURCE_DIR}/config/*)
set(opel_conffiles "")
foreach(file IN LISTS opel_config_files)
  if(NOT file MATCHES "^samples/")
    string(APPEND opel_conffiles "${CMAKE_INSTALL_FULL_SYSCONFDIR}/opel/${file}\n")
  endif()
endforeach()
file(WRITE ${PROJECT_BINARY_DIR}/debian/conffiles "${opel_conffiles}")
configure_file(${PROJECT_SOURCE_DIR}/deploy/debian/postinst ${PROJECT_BINARY_DIR}/debian/postinst
  COPYONLY FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
  WORLD_READ WORLD_EXECUTE)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME opel)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "OPEL escalation service maintainers <opel@example.nhs.uk>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "OPEL escalation service: sitreps in, OPEL levels, alerts and a live wallboard out")
set(CPACK_PACKAGE_DESCRIPTION
  "Hospital flow teams send site status reports over ZeroMQ or HTTP; opel-escalatord computes\n\
OPEL levels per the action cards, rolls them up site, locality, ICS, region, stores every\n\
sitrep and publishes alerts; opel-notifyd e-mails and posts them; opel-webd serves the live\n\
wallboard. The opel command checks configurations, submits, acknowledges and queries.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_COMPRESSION_TYPE zstd)  # fast to make; dpkg in bookworm reads it
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends from the binaries' libraries (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  "${PROJECT_BINARY_DIR}/debian/conffiles;${PROJECT_BINARY_DIR}/debian/postinst")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

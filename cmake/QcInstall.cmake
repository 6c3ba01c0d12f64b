# Install rules of the runtime: public headers, libqcompress.so (+ the static libqcompress.a), the CMake package
# (find_package(qcompress) -> qcompress::runtime, qcompress::runtime_static) and the pkg-config file qcompress.pc.
# Used by runtime/CMakeLists.txt, so `cmake --install` of the runtime alone and of the whole project ship the same.
include_guard(GLOBAL)
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(QC_INSTALL_DIR ${CMAKE_CURRENT_LIST_DIR})

function(qc_install_runtime)
  set(cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/qcompress)
  # Only the API headers; everything else under runtime/ is private and not installed.
  install(FILES
      ${CMAKE_CURRENT_SOURCE_DIR}/include/qcompress/qcompress.h
      ${CMAKE_CURRENT_SOURCE_DIR}/include/qcompress/runtime.h
      ${CMAKE_CURRENT_SOURCE_DIR}/include/qcompress/status.h
      ${CMAKE_CURRENT_SOURCE_DIR}/include/qcompress/export.h
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/qcompress COMPONENT runtime)
  install(TARGETS qc_status qc_runtime_shared EXPORT qcompressTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT runtime
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(TARGETS qc_runtime EXPORT qcompressStaticTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime)
  install(EXPORT qcompressTargets NAMESPACE qcompress:: DESTINATION ${cmake_dir} COMPONENT runtime)
  install(EXPORT qcompressStaticTargets NAMESPACE qcompress:: DESTINATION ${cmake_dir} COMPONENT runtime)

  configure_package_config_file(${QC_INSTALL_DIR}/qcompressConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/qcompressConfig.cmake INSTALL_DESTINATION ${cmake_dir})
  # 0.x releases may break the API between minor versions, so only the same major.minor is compatible.
  write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/qcompressConfigVersion.cmake
    VERSION ${QC_RUNTIME_VERSION} COMPATIBILITY SameMinorVersion)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/qcompressConfig.cmake
      ${CMAKE_CURRENT_BINARY_DIR}/qcompressConfigVersion.cmake
      # The static library needs xxHash; Debian ships it without a CMake package, so ours comes along.
      ${QC_INSTALL_DIR}/FindxxHash.cmake
    DESTINATION ${cmake_dir} COMPONENT runtime)

  # The .pc finds its prefix relative to itself, so `cmake --install --prefix` anywhere gives a working file.
  file(RELATIVE_PATH QC_PC_PREFIX_FROM_PCFILEDIR /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
  string(REGEX REPLACE "/$" "" QC_PC_PREFIX_FROM_PCFILEDIR "${QC_PC_PREFIX_FROM_PCFILEDIR}")
  configure_file(${QC_INSTALL_DIR}/qcompress.pc.in ${CMAKE_CURRENT_BINARY_DIR}/qcompress.pc @ONLY)
  install(FILES ${CMAKE_CURRENT_BINARY_DIR}/qcompress.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
    COMPONENT runtime)
endfunction()

# date::date-tz, time zones for cron schedules: Debian's libdate-tz, built to read /usr/share/zoneinfo (USE_OS_TZDB=1) and
# never download. Without its CMake package, the same target is made by hand with the same definitions.
find_package(date CONFIG QUIET)
if(NOT TARGET date::date-tz)
  find_path(DATE_TZ_INCLUDE_DIR date/tz.h REQUIRED)
  find_library(DATE_TZ_LIBRARY date-tz REQUIRED)
  add_library(date::date-tz UNKNOWN IMPORTED)
  set_target_properties(date::date-tz PROPERTIES
    IMPORTED_LOCATION ${DATE_TZ_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${DATE_TZ_INCLUDE_DIR}
    INTERFACE_COMPILE_DEFINITIONS "USE_OS_TZDB=1;HAS_STRING_VIEW=1;ONLY_C_LOCALE=1"
    INTERFACE_LINK_LIBRARIES Threads::Threads)
endif()

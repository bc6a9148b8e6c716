# Finds Debian's libfccp (Fast C++ CSV Parser, header-only: <libfccp/csv.h>).
# Defines FastCppCsvParser_FOUND and the imported target FastCppCsvParser::FastCppCsvParser.
find_path(FastCppCsvParser_INCLUDE_DIR NAMES libfccp/csv.h)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(FastCppCsvParser REQUIRED_VARS FastCppCsvParser_INCLUDE_DIR)
if(FastCppCsvParser_FOUND AND NOT TARGET FastCppCsvParser::FastCppCsvParser)
  add_library(FastCppCsvParser::FastCppCsvParser INTERFACE IMPORTED)
  set_target_properties(FastCppCsvParser::FastCppCsvParser PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES ${FastCppCsvParser_INCLUDE_DIR})
  find_package(Threads REQUIRED)
  target_link_libraries(FastCppCsvParser::FastCppCsvParser INTERFACE Threads::Threads)
endif()
mark_as_advanced(FastCppCsvParser_INCLUDE_DIR)

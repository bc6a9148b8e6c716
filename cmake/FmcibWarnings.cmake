# Warnings every fmcib target compiles with (the build must stay clean).
function(fmcib_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow)
  # A unity build includes each .cpp into a batch file, so g++ takes the pimpl structs defined in
  # a .cpp (ResNet::Layers, CsvRecordReader::Impl) for header classes and warns that their fields
  # use file-local types; each is still defined in exactly one source.
  if(CMAKE_UNITY_BUILD AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
  endif()
endfunction()

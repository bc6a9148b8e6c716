# Warnings every fmcib target compiles with (the build must stay clean).
function(fmcib_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow)
endfunction()

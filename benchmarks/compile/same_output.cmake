# cmake -DA=<program> -DB=<program> -P same_output.cmake: both exit 0 and print the same line
# after their "name: " prefix (the checksum of the rows they read back).
foreach(_p A B)
  execute_process(COMMAND ${${_p}} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "${${_p}} exited with ${_rc}: ${_out}")
  endif()
  string(REGEX REPLACE "^[^:]*: " "" _out "${_out}")
  set(_out_${_p} "${_out}")
endforeach()
if(NOT _out_A STREQUAL _out_B)
  message(FATAL_ERROR "outputs differ: '${_out_A}' vs '${_out_B}'")
endif()
message(STATUS "same output: ${_out_A}")

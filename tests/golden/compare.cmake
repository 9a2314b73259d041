# Runs `opel evaluate --config CONFIG INPUT` and compares its standard output with EXPECTED,
# and its exit code with EXPECTED_EXIT. On a difference prints a unified diff and fails.
execute_process(
  COMMAND ${OPEL} evaluate --config ${CONFIG} ${INPUT}
  OUTPUT_VARIABLE actual
  ERROR_VARIABLE errors
  RESULT_VARIABLE code)
if(NOT code EQUAL EXPECTED_EXIT)
  message(FATAL_ERROR "opel evaluate exited ${code}, expected ${EXPECTED_EXIT}\n${errors}")
endif()
file(READ ${EXPECTED} expected)
if(NOT actual STREQUAL expected)
  get_filename_component(name ${EXPECTED} NAME)
  set(actual_file ${CMAKE_CURRENT_BINARY_DIR}/${name}.actual)
  file(WRITE ${actual_file} "${actual}")
  execute_process(COMMAND diff -u ${EXPECTED} ${actual_file} OUTPUT_VARIABLE diff)
  string(SUBSTRING "${diff}" 0 6000 diff)
  message(FATAL_ERROR "output differs from ${EXPECTED} (actual in ${actual_file}):\n${diff}")
endif()

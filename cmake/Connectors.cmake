# synchub_connector(NAME SOURCES ... [LIBS ...]) adds one connector folder's sources to
# the connectors library and registers it in the generated registry_all.cpp
# (explicit registration: nothing for the linker to strip). Each connector
# can be left out with -DSYNCHUB_CONNECTOR_<NAME>=OFF.
set_property(GLOBAL PROPERTY SYNCHUB_CONNECTORS "")
set_property(GLOBAL PROPERTY SYNCHUB_CONNECTOR_SOURCES "")
set_property(GLOBAL PROPERTY SYNCHUB_CONNECTOR_LIBS "")

function(synchub_connector name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  string(TOUPPER ${name} upper)
  option(SYNCHUB_CONNECTOR_${upper} "Build the ${name} connector" ON)
  if(NOT SYNCHUB_CONNECTOR_${upper})
    return()
  endif()
  set(sources "")
  foreach(src ${ARG_SOURCES})
    list(APPEND sources ${CMAKE_CURRENT_SOURCE_DIR}/${src})
  endforeach()
  set_property(GLOBAL APPEND PROPERTY SYNCHUB_CONNECTORS ${name})
  set_property(GLOBAL APPEND PROPERTY SYNCHUB_CONNECTOR_SOURCES ${sources})
  set_property(GLOBAL APPEND PROPERTY SYNCHUB_CONNECTOR_LIBS ${ARG_LIBS})
endfunction()

function(synchub_generate_registry out)
  get_property(names GLOBAL PROPERTY SYNCHUB_CONNECTORS)
  set(SYNCHUB_CONNECTOR_DECLS "")
  set(SYNCHUB_CONNECTOR_CALLS "")
  foreach(name ${names})
    string(APPEND SYNCHUB_CONNECTOR_DECLS "void register_${name}(Registry& registry);\n")
    string(APPEND SYNCHUB_CONNECTOR_CALLS "  register_${name}(registry);\n")
  endforeach()
  configure_file(${PROJECT_SOURCE_DIR}/connectors/registry_all.cpp.in ${out} @ONLY)
endfunction()

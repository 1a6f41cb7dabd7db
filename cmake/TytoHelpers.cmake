# Helpers shared by every Tyto library, module and test.

# -Wrestrict: GCC 12 reports false positives inside std::string (GCC bug 105329).
set(TYTO_WARNINGS -Wall -Wextra -Wno-unused-parameter -Wno-restrict -Wno-missing-field-initializers)

# tyto_add_library(NAME SOURCES … [PUBLIC_DEPS …] [PRIVATE_DEPS …])
# One static library per platform area or module, with the project's include paths and warnings.
function(tyto_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  target_compile_options(${name} PRIVATE ${TYTO_WARNINGS})
endfunction()

# tyto_embed(TARGET tgt FUNCTION fn BASE_DIR dir FILES f1 f2 …)
# Compiles files into the binary. Generates a source defining
#   std::span<const tyto::EmbeddedFile> fn();
# whose entries carry each file's path relative to BASE_DIR and its bytes. The bytes are pulled in
# with the assembler's .incbin; the generated source also holds each file's SHA-256, so ccache and
# make both see a change of content.
function(tyto_embed)
  cmake_parse_arguments(ARG "" "TARGET;FUNCTION;BASE_DIR" "FILES" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/embedded_${ARG_FUNCTION}.cpp)
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DFUNCTION=${ARG_FUNCTION} -DBASE_DIR=${ARG_BASE_DIR}
            "-DFILES=${ARG_FILES}" -P ${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake
    DEPENDS ${ARG_FILES} ${PROJECT_SOURCE_DIR}/cmake/EmbedFiles.cmake
    COMMENT "Embedding ${ARG_FUNCTION}"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE ${out})
endfunction()

# tyto_embed_folders(TARGET tgt PREFIX name DIR dir)
# Embeds dir/migrations, dir/pipelines and dir/console (each may be absent) as the functions
# embedded_<name>_migrations(), embedded_<name>_pipelines() and embedded_<name>_console().
function(tyto_embed_folders)
  cmake_parse_arguments(ARG "" "TARGET;PREFIX;DIR" "" ${ARGN})
  foreach(kind migrations pipelines console)
    file(GLOB_RECURSE files CONFIGURE_DEPENDS ${ARG_DIR}/${kind}/*)
    list(FILTER files EXCLUDE REGEX "(README\\.md|~)$")
    list(SORT files)
    tyto_embed(TARGET ${ARG_TARGET} FUNCTION embedded_${ARG_PREFIX}_${kind} BASE_DIR ${ARG_DIR}/${kind} FILES ${files})
  endforeach()
endfunction()

# tyto_add_product(NAME SOURCES … [DEPS …] [DIR dir] [TESTS_ONLY])
# A product (src/products/<name>/, see docs/architecture.md "Adding a product"): the library
# tyto_product_<name> with the product's migrations/, pipelines/ and console/ folders embedded, and the
# option TYTO_PRODUCT_<NAME> (default ON) so a build can leave it out. When it is on, the tyto binary
# is compiled with TYTO_WITH_<NAME>=1, which main.cpp's line for the product checks. TESTS_ONLY: a product
# the tests link into a server of their own (tests/products/example), never into tyto.
function(tyto_add_product name)
  cmake_parse_arguments(ARG "TESTS_ONLY" "DIR" "SOURCES;DEPS" ${ARGN})
  string(TOUPPER ${name} upper)
  option(TYTO_PRODUCT_${upper} "Build the ${name} product" ON)
  if(NOT TYTO_PRODUCT_${upper})
    message(STATUS "Product ${name}: left out (TYTO_PRODUCT_${upper}=OFF)")
    return()
  endif()
  if(NOT ARG_DIR)
    set(ARG_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  endif()
  set(target tyto_product_${name})
  tyto_add_library(${target} SOURCES ${ARG_SOURCES} PUBLIC_DEPS tyto_api tyto_mail ${ARG_DEPS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  tyto_embed_folders(TARGET ${target} PREFIX ${name} DIR ${ARG_DIR})
  if(ARG_TESTS_ONLY)
    return()
  endif()
  set_property(GLOBAL APPEND PROPERTY TYTO_PRODUCT_TARGETS ${target})
  set_property(GLOBAL APPEND PROPERTY TYTO_PRODUCT_DEFINITIONS TYTO_WITH_${upper}=1)
endfunction()

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

# QvkShaders.cmake — the build-time shader pipeline (docs/adding_an_op.md).
#
# For each variant V of shaders/<op>.comp:
#   1. qvk_shadergen prelude V  -> <gen>/preludes/V/prelude.glsl   (from the C++ descriptor)
#   2. glslangValidator -V      -> <gen>/spv/V.spv                 (depfile tracks common/*.glsl)
#   3. spirv-val, spirv-dis --raw-id, qvk_shadergen check -> V.checked (fails the build if a
#      float op lacks NoContraction or a banned instruction appears)
#   4. qvk_shadergen embed      -> <gen>/include/qvk/shaders/V.hpp
# and finally the registry header <gen>/include/qvk/shaders/registry.hpp.
# Everything generated lives in the build tree; the include folder is added to
# qvk::qvk's BUILD_INTERFACE and installed next to the headers.

find_program(QVK_GLSLANG glslangValidator REQUIRED)
find_program(QVK_SPIRV_VAL spirv-val REQUIRED)
find_program(QVK_SPIRV_DIS spirv-dis REQUIRED)

set(QVK_SHADER_GEN_DIR ${PROJECT_BINARY_DIR}/generated)
set(QVK_SHADER_INCLUDE_DIR ${QVK_SHADER_GEN_DIR}/include)
set(QVK_SHADER_TARGET_ENV vulkan1.2)  # SPIR-V 1.5: no LocalSizeId, so no maintenance4 needed

# qvk_add_shader_variant(<variant> <source .comp>) — appends the embedded header to QVK_SHADER_HEADERS.
function(qvk_add_shader_variant variant source)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/${source})
  set(pre_dir ${QVK_SHADER_GEN_DIR}/preludes/${variant})
  set(prelude ${pre_dir}/prelude.glsl)
  set(spv ${QVK_SHADER_GEN_DIR}/spv/${variant}.spv)
  set(asm ${QVK_SHADER_GEN_DIR}/spv/${variant}.spvasm)
  set(stamp ${QVK_SHADER_GEN_DIR}/spv/${variant}.checked)
  set(header ${QVK_SHADER_INCLUDE_DIR}/qvk/shaders/${variant}.hpp)
  file(MAKE_DIRECTORY ${pre_dir} ${QVK_SHADER_GEN_DIR}/spv ${QVK_SHADER_INCLUDE_DIR}/qvk/shaders)

  add_custom_command(OUTPUT ${prelude}
    COMMAND qvk_shadergen prelude ${variant} ${prelude}
    DEPENDS qvk_shadergen
    COMMENT "Prelude of shader variant ${variant}" VERBATIM)
  add_custom_command(OUTPUT ${spv}
    COMMAND ${QVK_GLSLANG} -V --quiet --target-env ${QVK_SHADER_TARGET_ENV}
            -I${pre_dir} -I${CMAKE_CURRENT_SOURCE_DIR}/common
            --depfile ${spv}.d -o ${spv} ${src}
    DEPENDS ${src} ${prelude}
    DEPFILE ${spv}.d
    COMMENT "glslang: ${variant}" VERBATIM)
  add_custom_command(OUTPUT ${stamp} ${asm}
    COMMAND ${QVK_SPIRV_VAL} --target-env ${QVK_SHADER_TARGET_ENV} ${spv}
    COMMAND ${QVK_SPIRV_DIS} --raw-id -o ${asm} ${spv}
    COMMAND qvk_shadergen check ${asm} ${stamp}
    DEPENDS ${spv} qvk_shadergen
    COMMENT "SPIR-V validation and numerics check: ${variant}" VERBATIM)
  add_custom_command(OUTPUT ${header}
    COMMAND qvk_shadergen embed ${variant} ${spv} ${header}
    DEPENDS ${spv} ${stamp} qvk_shadergen
    COMMENT "Embedding ${variant}" VERBATIM)
  set(QVK_SHADER_HEADERS ${QVK_SHADER_HEADERS} ${header} PARENT_SCOPE)
  set(QVK_SHADER_VARIANTS ${QVK_SHADER_VARIANTS} ${variant} PARENT_SCOPE)
endfunction()

# qvk_finish_shaders() — the registry, the ALL target qvk_shaders, include dir and install rule.
function(qvk_finish_shaders)
  set(registry ${QVK_SHADER_INCLUDE_DIR}/qvk/shaders/registry.hpp)
  add_custom_command(OUTPUT ${registry}
    COMMAND qvk_shadergen registry ${registry} ${QVK_SHADER_VARIANTS}
    DEPENDS ${QVK_SHADER_HEADERS} qvk_shadergen
    COMMENT "Shader registry" VERBATIM)
  add_custom_target(qvk_shaders ALL DEPENDS ${registry} ${QVK_SHADER_HEADERS})
  target_include_directories(qvk INTERFACE $<BUILD_INTERFACE:${QVK_SHADER_INCLUDE_DIR}>)
  install(DIRECTORY ${QVK_SHADER_INCLUDE_DIR}/qvk/shaders DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/qvk)
endfunction()

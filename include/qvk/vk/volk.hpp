// qvk/vk/volk.hpp — how qvk reaches Vulkan: through volk (no link-time
// dependency on the loader; libvulkan.so.1 is opened at run time).
//
// Instance-level functions come from volk's global pointers, used only while a
// vk::Device is constructed (it keeps its own destroy functions); device-level
// functions are loaded per device into a VolkDeviceTable held by vk::Device,
// so qvk works on several devices at once and on a device the caller created
// (the caller's own volk globals, if any, are never repointed to our device).
//
// volk's definitions must be compiled exactly once in the program: include
// <qvk/vk/volk_impl.hpp> in one .cpp file, unless the program already
// compiles volk itself (then do not).
#pragma once

#include <volk.h>

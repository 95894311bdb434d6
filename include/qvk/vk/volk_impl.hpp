// qvk/vk/volk_impl.hpp — include in exactly ONE .cpp file of a program that
// uses qvk/vk and does not already compile volk (see qvk/vk/volk.hpp). It
// emits volk's function-pointer definitions and loader code.
#pragma once

#ifdef VOLK_H_
#error "include <qvk/vk/volk_impl.hpp> before any other qvk/vk or volk header in its .cpp file"
#endif
#define VOLK_IMPLEMENTATION
#include <volk.h>

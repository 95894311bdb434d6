// The one translation unit of the test program that compiles volk.
#include "qvk/vk/volk_impl.hpp"

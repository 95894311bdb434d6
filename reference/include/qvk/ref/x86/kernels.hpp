// qvk/ref/x86/kernels.hpp — the x86 SIMD kernels of the CPU reference, compiled for
// AVX2 (namespace x86_avx2) and for AVX-512 with VNNI (x86_avx512) in one header: the
// .inc files are included twice, each time in its own namespace under a
// `#pragma GCC target` region, so the rest of the program keeps the baseline ISA and
// cpu_isa() picks a version at run time. Every header they use is included here first,
// outside the target regions (their inline functions must not pick up the wider ISA).
// QVK_X86_VNNI is 1 in the AVX-512 build: 32 registers, VNNI dot instructions, 64-byte
// vectors where they pay (decode and prefill GEMMs, attention).
//
// Bits: integer sums are exact, so their order is free. Every float op is the IEEE op
// of the portable code (vaddps/vsubps/vmulps round exactly like their scalar forms,
// vcvtdq2ps like float(int32)), followed by the contract's flush done with integer
// compares — or without it where the flush provably cannot fire (each such place
// says why). Each SIMD lane holds an independent output (rows or tokens) or an
// independent logical lane of one canonical reduction, and sees its terms in the
// canonical order. bench/qvk_kernel_check compares every kernel with the portable
// code; bench/check_bits.sh compares whole-model logits with recorded hashes.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define QVK_REF_HAVE_X86 1

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "qvk/model/weights.hpp"
#include "qvk/numerics/exp.hpp"
#include "qvk/numerics/flush.hpp"
#include "qvk/numerics/half.hpp"
#include "qvk/numerics/recip.hpp"
#include "qvk/numerics/rsqrt.hpp"
#include "qvk/ops/plan.hpp"
#include "qvk/quant/detail/k_scales.hpp"
#include "qvk/quant/q8_act.hpp"
#include "qvk/quant/type.hpp"
#include "qvk/ref/act_blocks.hpp"
#include "qvk/ref/thread_pool.hpp"

// GCC 12's AVX-512 intrinsics seed unused pass-through operands with a self-initialized
// "undefined" vector, which -Wmaybe-uninitialized reports (GCC bug 105593, fixed in 13).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,f16c,bmi,bmi2,popcnt"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,f16c,bmi,bmi2,popcnt")
#endif
namespace qvk::ref::x86_avx2 {
#define QVK_X86_VNNI 0
#include "qvk/ref/x86/simd.inc"
#include "qvk/ref/x86/gemm_blocks.inc"
#include "qvk/ref/x86/act_quant.inc"
#include "qvk/ref/x86/gemm_paths.inc"
#include "qvk/ref/x86/gemm_vnni.inc"
#include "qvk/ref/x86/gemm.inc"
#include "qvk/ref/x86/ops.inc"
#undef QVK_X86_VNNI
}  // namespace qvk::ref::x86_avx2
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(                                                                                   \
    __attribute__((target("avx2,f16c,bmi,bmi2,popcnt,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"))), \
    apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,f16c,bmi,bmi2,popcnt,avx512f,avx512bw,avx512vl,avx512dq,avx512vnni")
#endif
namespace qvk::ref::x86_avx512 {
#define QVK_X86_VNNI 1
#include "qvk/ref/x86/simd.inc"
#include "qvk/ref/x86/gemm_blocks.inc"
#include "qvk/ref/x86/act_quant.inc"
#include "qvk/ref/x86/gemm_paths.inc"
#include "qvk/ref/x86/gemm_vnni.inc"
#include "qvk/ref/x86/gemm.inc"
#include "qvk/ref/x86/ops.inc"
#undef QVK_X86_VNNI
}  // namespace qvk::ref::x86_avx512
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif

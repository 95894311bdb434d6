// qvk_custom_runtime — what a runtime author writes: its own VkInstance, VkDevice,
// queue, command pool and fence (plain Vulkan through volk), adopted into qvk;
// qvk's RMSNorm(+residual) -> QuantizeAct -> Gemv Q8_0 (gate, up) -> SwiGLU
// recorded into ONE command buffer of the program's own, submitted on its own
// queue. The result is recomputed on the CPU with qvk's installed headers only
// (numerics, quant) and compared bit for bit.
//
// usage: qvk_custom_runtime [DEVICE-NAME-SUBSTRING]
// exit: 0 bit-identical, 1 failure (no device, Vulkan error, mismatch), 2 usage.
#include <qvk/vk/volk_impl.hpp>  // this program's one translation unit that compiles volk

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <qvk/numerics/exp.hpp>
#include <qvk/numerics/recip.hpp>
#include <qvk/numerics/reduce.hpp>
#include <qvk/numerics/rsqrt.hpp>
#include <qvk/ops/gemv.hpp>
#include <qvk/ops/quantize_act.hpp>
#include <qvk/ops/rmsnorm.hpp>
#include <qvk/ops/swiglu.hpp>
#include <qvk/quant/q8_0.hpp>
#include <qvk/quant/q8_act.hpp>
#include <qvk/vk/buffer.hpp>
#include <qvk/vk/record.hpp>

namespace {

using namespace qvk;
using Norm = ops::RmsNorm<64, /*AddResidual=*/true>;
using Quant = ops::QuantizeAct<32>;
using Proj = ops::Gemv<quant::Type::Q8_0>;
using Glu = ops::SwiGlu<256>;
constexpr std::uint32_t kHidden = 256, kFfn = 512;
constexpr float kEps = 1e-6f;

struct Fail {
  std::string what;
};
void ok(VkResult r, const char* what) {
  if (r != VK_SUCCESS) throw Fail{std::string(what) + " failed: VkResult " + std::to_string(int(r))};
}
template <class T>
T zeroed(VkStructureType type) {  // a Vulkan info structure: all zero but its sType
  T t{};
  t.sType = type;
  return t;
}
std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Known data: a fixed LCG, values in [-scale, scale).
std::vector<float> data(std::size_t n, std::uint32_t seed, float scale) {
  std::vector<float> v(n);
  for (float& f : v) {
    seed = seed * 1664525u + 1013904223u;
    f = (float(seed >> 8) / float(1u << 24) * 2.0f - 1.0f) * scale;
  }
  return v;
}
std::vector<quant::Q8_0::Block> quantize_q8_0(const std::vector<float>& w) {
  std::vector<quant::Q8_0::Block> b(w.size() / 32);
  for (std::size_t k = 0; k < b.size(); ++k) quant::Q8_0::quantize(&w[32 * k], b[k]);
  return b;
}

// ---- the CPU twin, from installed headers only (the contract of docs/numerics.md) ----
using numerics::add;
using numerics::mul;
std::vector<float> cpu_gemv_q8_0(const std::vector<quant::Q8_0::Block>& w, const std::vector<quant::Q8Act32>& a,
                                 std::size_t rows) {
  const std::size_t nb = a.size();
  std::vector<float> y(rows);
  for (std::size_t r = 0; r < rows; ++r)  // per block: (da·dw)·float(Σ q·c); blocks summed over kDotLanes
    y[r] = numerics::strided_sum<ops::kDotLanes>(nb, [&](std::size_t k) {
      const quant::Q8_0::Block& b = w[r * nb + k];
      std::int32_t s = 0;
      for (int i = 0; i < 32; ++i) s += std::int32_t(b.qs[i]) * std::int32_t(a[k].qs[i]);
      return mul(mul(a[k].d, numerics::f16_bits_to_f32(b.d)), float(s));
    });
  return y;
}
std::vector<float> cpu_ffn(std::vector<float> x, const std::vector<float>& res, const std::vector<float>& norm_w,
                           const std::vector<quant::Q8_0::Block>& gate, const std::vector<quant::Q8_0::Block>& up) {
  for (std::size_t i = 0; i < kHidden; ++i) x[i] = add(x[i], res[i]);  // the fused residual
  const float ss = numerics::strided_sum<ops::kNormLanes>(kHidden, [&](std::size_t i) { return mul(x[i], x[i]); });
  const float rs = numerics::rsqrt(add(mul(ss, Norm::push_constants({1, kHidden, kEps}).inv_n), kEps));
  std::vector<float> y(kHidden);
  for (std::size_t i = 0; i < kHidden; ++i) y[i] = mul(mul(x[i], rs), numerics::flush(norm_w[i]));
  std::vector<quant::Q8Act32> act(kHidden / 32);
  for (std::size_t k = 0; k < act.size(); ++k) quant::quantize_q8_act(&y[32 * k], act[k]);
  const std::vector<float> g = cpu_gemv_q8_0(gate, act, kFfn), u = cpu_gemv_q8_0(up, act, kFfn);
  std::vector<float> out(kFfn);
  for (std::size_t i = 0; i < kFfn; ++i) {  // g·sigmoid(g)·u, sigmoid = recip(1 + exp(−g))
    const float neg = std::bit_cast<float>(std::bit_cast<std::uint32_t>(g[i]) ^ 0x80000000u);
    out[i] = mul(mul(g[i], numerics::recip(add(1.0f, numerics::exp(neg)))), u[i]);
  }
  return out;
}

// ---- the runtime's own Vulkan objects ----
struct Runtime {
  VkInstance instance = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  std::uint32_t family = 0;
  VolkDeviceTable fn{};
  std::string name;
  ~Runtime() {
    if (device) fn.vkDestroyDevice(device, nullptr);
    if (instance) vkDestroyInstance(instance, nullptr);
  }
};

void create_runtime(Runtime& rt, const std::string& want) {
  if (volkInitialize() != VK_SUCCESS) throw Fail{"no Vulkan loader (libvulkan.so.1) found"};
  if (volkGetInstanceVersion() < VK_API_VERSION_1_3) throw Fail{"the Vulkan loader is older than 1.3"};
  auto app = zeroed<VkApplicationInfo>(VK_STRUCTURE_TYPE_APPLICATION_INFO);
  app.pApplicationName = "qvk_custom_runtime";
  app.apiVersion = VK_API_VERSION_1_3;
  auto ici = zeroed<VkInstanceCreateInfo>(VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO);
  ici.pApplicationInfo = &app;
  const VkResult r = vkCreateInstance(&ici, nullptr, &rt.instance);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER) throw Fail{"no Vulkan device: the loader found no Vulkan 1.3 driver (ICD)"};
  ok(r, "vkCreateInstance");
  volkLoadInstanceOnly(rt.instance);

  std::uint32_t n = 0;
  ok(vkEnumeratePhysicalDevices(rt.instance, &n, nullptr), "vkEnumeratePhysicalDevices");
  std::vector<VkPhysicalDevice> all(n);
  ok(vkEnumeratePhysicalDevices(rt.instance, &n, all.data()), "vkEnumeratePhysicalDevices");
  std::string seen;
  int best = 99;  // among devices with 1.3, push descriptors, a compute queue (and the name): a GPU before lavapipe
  for (VkPhysicalDevice pd : all) {
    VkPhysicalDeviceProperties p{};
    vkGetPhysicalDeviceProperties(pd, &p);
    seen += std::string(" '") + p.deviceName + "'";
    std::uint32_t ne = 0, nq = 0;
    vkEnumerateDeviceExtensionProperties(pd, nullptr, &ne, nullptr);
    std::vector<VkExtensionProperties> ext(ne);
    vkEnumerateDeviceExtensionProperties(pd, nullptr, &ne, ext.data());
    const bool push = std::any_of(ext.begin(), ext.end(), [](const VkExtensionProperties& e) {
      return std::strcmp(e.extensionName, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME) == 0;
    });
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, nullptr);
    std::vector<VkQueueFamilyProperties> q(nq);
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &nq, q.data());
    std::uint32_t fam = 0;
    while (fam < nq && !(q[fam].queueFlags & VK_QUEUE_COMPUTE_BIT)) ++fam;
    if (p.apiVersion < VK_API_VERSION_1_3 || !push || fam == nq) continue;
    if (!want.empty() && lower(p.deviceName).find(lower(want)) == std::string::npos) continue;
    const int rank = p.deviceType == VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU     ? 0
                     : p.deviceType == VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU ? 1
                     : p.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU            ? 3
                                                                              : 2;
    if (rank < best) best = rank, rt.physical = pd, rt.family = fam, rt.name = p.deviceName;
  }
  if (!rt.physical)
    throw Fail{"no Vulkan device with Vulkan 1.3, VK_KHR_push_descriptor and a compute queue" +
               (want.empty() ? std::string() : " whose name contains '" + want + "'") +
               (seen.empty() ? "; the loader lists none (is an ICD installed?)" : "; devices:" + seen)};

  const float priority = 1.0f;
  auto qci = zeroed<VkDeviceQueueCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO);
  qci.queueFamilyIndex = rt.family;
  qci.queueCount = 1;
  qci.pQueuePriorities = &priority;
  const char* exts[] = {VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME};
  auto dci = zeroed<VkDeviceCreateInfo>(VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO);
  dci.queueCreateInfoCount = 1;
  dci.pQueueCreateInfos = &qci;
  dci.enabledExtensionCount = 1;
  dci.ppEnabledExtensionNames = exts;
  ok(vkCreateDevice(rt.physical, &dci, nullptr, &rt.device), "vkCreateDevice");
  volkLoadDeviceTable(&rt.fn, rt.device);  // our own table: no volk globals repointed
  rt.fn.vkGetDeviceQueue(rt.device, rt.family, 0, &rt.queue);
}

int run(const std::string& want) {
  Runtime rt;
  create_runtime(rt, want);
  vk::Device qdev(vk::AdoptedDevice{rt.instance, rt.physical, rt.device, rt.queue, rt.family});
  vk::PipelineCache pipelines(qdev);
  vk::Recorder rec(qdev, pipelines);

  const std::vector<float> x = data(kHidden, 1, 2.0f), res = data(kHidden, 2, 0.5f), norm_w = data(kHidden, 3, 1.5f);
  const auto gate = quantize_q8_0(data(std::size_t(kFfn) * kHidden, 4, 0.08f));
  const auto up = quantize_q8_0(data(std::size_t(kFfn) * kHidden, 5, 0.08f));

  using B = vk::Buffer;
  B bx(qdev, 4 * kHidden), bres(qdev, 4 * kHidden), bw(qdev, 4 * kHidden), by(qdev, 4 * kHidden);
  B bact(qdev, 4 * ops::ActLayout{32, kHidden}.words());
  B bgate(qdev, 4 * ops::weight_words(quant::Type::Q8_0, kFfn, kHidden));
  B bup(qdev, 4 * ops::weight_words(quant::Type::Q8_0, kFfn, kHidden));
  B bg(qdev, 4 * kFfn), bu(qdev, 4 * kFfn), bout(qdev, 4 * kFfn);
  vk::upload(qdev, bx, std::span<const float>(x));
  vk::upload(qdev, bres, std::span<const float>(res));
  vk::upload(qdev, bw, std::span<const float>(norm_w));
  vk::upload(qdev, bgate, std::as_bytes(std::span(gate)));
  vk::upload(qdev, bup, std::as_bytes(std::span(up)));

  // One command buffer from our own pool, five qvk ops, our own queue and fence.
  auto pci = zeroed<VkCommandPoolCreateInfo>(VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
  pci.queueFamilyIndex = rt.family;
  VkCommandPool pool = VK_NULL_HANDLE;
  ok(rt.fn.vkCreateCommandPool(rt.device, &pci, nullptr, &pool), "vkCreateCommandPool");
  auto ai = zeroed<VkCommandBufferAllocateInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
  ai.commandPool = pool;
  ai.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  ai.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  auto fci = zeroed<VkFenceCreateInfo>(VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
  try {
    ok(rt.fn.vkAllocateCommandBuffers(rt.device, &ai, &cmd), "vkAllocateCommandBuffers");
    ok(rt.fn.vkCreateFence(rt.device, &fci, nullptr, &fence), "vkCreateFence");
    auto bi = zeroed<VkCommandBufferBeginInfo>(VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
    bi.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    ok(rt.fn.vkBeginCommandBuffer(cmd, &bi), "vkBeginCommandBuffer");
    vk::record<Norm>(rec, cmd, {vk::whole(bx), vk::whole(bres), vk::whole(bw), vk::whole(by)}, {1, kHidden, kEps});
    vk::record<Quant>(rec, cmd, {vk::whole(by), vk::whole(bact)}, {kHidden});
    vk::record<Proj>(rec, cmd, {vk::whole(bgate), vk::whole(bact), vk::whole(bg)}, {kFfn, kHidden});
    vk::record<Proj>(rec, cmd, {vk::whole(bup), vk::whole(bact), vk::whole(bu)}, {kFfn, kHidden});
    vk::record<Glu>(rec, cmd, {vk::whole(bg), vk::whole(bu), vk::whole(bout)}, {kFfn});
    ok(rt.fn.vkEndCommandBuffer(cmd), "vkEndCommandBuffer");
    auto si = zeroed<VkSubmitInfo>(VK_STRUCTURE_TYPE_SUBMIT_INFO);
    si.commandBufferCount = 1;
    si.pCommandBuffers = &cmd;
    ok(rt.fn.vkQueueSubmit(rt.queue, 1, &si, fence), "vkQueueSubmit");
    ok(rt.fn.vkWaitForFences(rt.device, 1, &fence, VK_TRUE, UINT64_MAX), "vkWaitForFences");
  } catch (...) {
    rt.fn.vkDeviceWaitIdle(rt.device);
    if (fence) rt.fn.vkDestroyFence(rt.device, fence, nullptr);
    rt.fn.vkDestroyCommandPool(rt.device, pool, nullptr);
    throw;
  }
  rt.fn.vkDestroyFence(rt.device, fence, nullptr);
  rt.fn.vkDestroyCommandPool(rt.device, pool, nullptr);

  std::vector<float> gpu(kFfn);
  vk::download(qdev, bout, std::span<float>(gpu));  // records its own barrier before the copy
  const std::vector<float> cpu = cpu_ffn(x, res, norm_w, gate, up);

  std::uint64_t hash = 1469598103934665603ull;  // FNV-1a of the output bits
  double sum = 0;
  std::size_t bad = kFfn, nonzero = 0;
  for (std::size_t i = 0; i < kFfn; ++i) {
    const std::uint32_t b = std::bit_cast<std::uint32_t>(gpu[i]);
    for (int k = 0; k < 4; ++k) hash = (hash ^ ((b >> (8 * k)) & 0xffu)) * 1099511628211ull;
    sum += gpu[i];
    nonzero += gpu[i] != 0.0f;
    if (bad == kFfn && b != std::bit_cast<std::uint32_t>(cpu[i])) bad = i;
  }
  std::printf("qvk_custom_runtime: device '%s', %llu dispatches in one command buffer\n", rt.name.c_str(),
              static_cast<unsigned long long>(rec.dispatches()));
  std::printf("  x[%u] -> RmsNorm(+residual) -> QuantizeAct -> Gemv Q8_0 gate/up [%u x %u] -> SwiGLU -> out[%u]\n",
              kHidden, kFfn, kHidden, kFfn);
  std::printf("  out[0..3] = %.9g %.9g %.9g %.9g, sum %.9g, %zu nonzero, bits fnv1a %016llx\n", gpu[0], gpu[1], gpu[2],
              gpu[3], sum, nonzero, static_cast<unsigned long long>(hash));
  if (bad != kFfn) {
    std::fprintf(stderr, "qvk_custom_runtime: FAIL: out[%zu] GPU 0x%08x != CPU 0x%08x\n", bad,
                 std::bit_cast<std::uint32_t>(gpu[bad]), std::bit_cast<std::uint32_t>(cpu[bad]));
    return 1;
  }
  if (nonzero == 0) {
    std::fprintf(stderr, "qvk_custom_runtime: FAIL: the output is all zero\n");
    return 1;
  }
  std::printf("  bit-identical to the CPU twin (%u of %u values)\n", kFfn, kFfn);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 2 || (argc == 2 && (argv[1][0] == '-' || argv[1][0] == '\0'))) {
    std::fprintf(stderr, "usage: qvk_custom_runtime [DEVICE-NAME-SUBSTRING]\n");
    return 2;
  }
  try {
    return run(argc == 2 ? argv[1] : "");
  } catch (const Fail& f) {
    std::fprintf(stderr, "qvk_custom_runtime: %s\n", f.what.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qvk_custom_runtime: %s\n", e.what());
  }
  return 1;
}

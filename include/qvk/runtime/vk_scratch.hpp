// qvk/runtime/vk_scratch.hpp — the Vulkan runtime's activation buffers.
//
// A region is one device buffer, named by the role it plays in a step
// ("buf:H", "gemm:Q+K", "norm:Q", "act256", "logits", ...) and created on first
// request. The same name in every layer gives the same region, so a step's
// scratch does not grow with the layer count, exactly as the CPU reference
// reuses its named row buffers. Sizes are fixed at the first request; asking
// for the same name with another size is a logic error. Buffers are rounded up
// to 16 bytes (a kernel may read its last elements as one 16-byte vector).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "qvk/vk/buffer.hpp"
#include "qvk/vk/record.hpp"

namespace qvk::runtime {

class VkScratch {
 public:
  struct Region {
    std::size_t id;  // index in creation order
    vk::BufferRange range;
  };

  explicit VkScratch(vk::Device& d) : device_(d) {}

  Region region(const std::string& name, std::uint64_t bytes) {
    if (bytes == 0) throw std::logic_error("scratch region '" + name + "' of 0 bytes");
    if (auto it = index_.find(name); it != index_.end()) {
      if (requested_[it->second] != bytes)
        throw std::logic_error("scratch region '" + name + "' requested with " + std::to_string(bytes) +
                               " bytes, created with " + std::to_string(requested_[it->second]));
      return regions_[it->second];
    }
    const std::uint64_t rounded = (bytes + 15) / 16 * 16;
    buffers_.push_back(std::make_unique<vk::Buffer>(device_, rounded));
    const Region r{regions_.size(), vk::whole(*buffers_.back())};
    regions_.push_back(r);
    requested_.push_back(bytes);
    names_.push_back(name);
    index_.emplace(name, r.id);
    bytes_ += rounded;
    return r;
  }

  const std::string& name(std::size_t id) const { return names_.at(id); }
  std::size_t count() const { return regions_.size(); }
  std::uint64_t bytes() const { return bytes_; }

 private:
  vk::Device& device_;
  std::vector<std::unique_ptr<vk::Buffer>> buffers_;
  std::vector<Region> regions_;
  std::vector<std::uint64_t> requested_;
  std::vector<std::string> names_;
  std::map<std::string, std::size_t> index_;
  std::uint64_t bytes_ = 0;
};

}  // namespace qvk::runtime

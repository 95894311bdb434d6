// qvk/gguf/detail/mapping.hpp — maps a whole file read-only (POSIX mmap,
// MAP_PRIVATE). Model files are gigabytes; mapping lets tensor views point
// straight into the page cache instead of copying.
#pragma once

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "qvk/gguf/error.hpp"

namespace qvk::gguf::detail {

struct Mapped {
  const std::byte* base = nullptr;
  std::uint64_t size = 0;
};

inline void unmap_file(const std::byte* base, std::uint64_t size) noexcept {
  if (base != nullptr) ::munmap(const_cast<std::byte*>(base), static_cast<std::size_t>(size));
}

// Throws Error for a missing/unreadable path, a directory or other non-regular
// file, and an empty file (mmap cannot map 0 bytes, and no GGUF is empty).
inline Mapped map_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    throw Error(path, "file", "expected a readable file, found open() failing: " + std::string(std::strerror(err)));
  }
  struct CloseOnExit {
    int fd;
    ~CloseOnExit() { ::close(fd); }
  } closer{fd};

  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    throw Error(path, "file", "expected a file whose size can be read, found fstat() failing: " +
                                  std::string(std::strerror(err)));
  }
  if (S_ISDIR(st.st_mode)) throw Error(path, "file", "expected a regular file, found a directory");
  if (!S_ISREG(st.st_mode)) throw Error(path, "file", "expected a regular file, found a special file");
  if (st.st_size == 0)
    throw Error(path, "header", "expected a GGUF header (at least 24 bytes), found an empty file");

  const auto size = static_cast<std::uint64_t>(st.st_size);
  void* p = ::mmap(nullptr, static_cast<std::size_t>(size), PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    throw Error(path, "file", "expected a mappable file, found mmap() failing: " + std::string(std::strerror(err)));
  }
  return {static_cast<const std::byte*>(p), size};
}

}  // namespace qvk::gguf::detail

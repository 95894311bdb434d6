// qvk/gguf/error.hpp — the one exception type for bad model files.
//
// Every failure names the file, the item (metadata key or tensor name, or a
// structural part such as "header") and what was expected versus found, so a
// user can tell which file is broken and why without a debugger.
#pragma once

#include <stdexcept>
#include <string>

namespace qvk::gguf {

class Error : public std::runtime_error {
 public:
  Error(std::string file, std::string item, std::string detail)
      : std::runtime_error(file + ": " + item + ": " + detail),
        file_(std::move(file)), item_(std::move(item)), detail_(std::move(detail)) {}
  const std::string& file() const noexcept { return file_; }
  const std::string& item() const noexcept { return item_; }
  const std::string& detail() const noexcept { return detail_; }

 private:
  std::string file_, item_, detail_;
};

}  // namespace qvk::gguf

// qvk_tokenizer_split_dump qwen2|qwen35 — reads NUL-terminated UTF-8 strings
// from stdin and prints, per string, the byte lengths of its pre-tokenizer
// words on one line. Used by check_split_against_regex.py.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include "qvk/tokenizer/pre_tokenizer.hpp"

int main(int argc, char** argv) {
  const auto pre = argc == 2 ? qvk::tokenizer::pre_tokenizer_from_name(argv[1]) : std::nullopt;
  if (!pre) {
    std::fprintf(stderr, "usage: %s qwen2|qwen35 < strings\n", argv[0]);
    return 2;
  }
  const std::string all{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  for (std::size_t pos = 0; pos < all.size();) {
    std::size_t end = all.find('\0', pos);
    if (end == std::string::npos) end = all.size();
    for (const auto w : qvk::tokenizer::split_words(std::string_view(all).substr(pos, end - pos), *pre))
      std::printf("%zu ", w.size());
    std::printf("\n");
    pos = end + 1;
  }
}

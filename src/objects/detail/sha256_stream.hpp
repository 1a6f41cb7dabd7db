// SHA-256 over data that arrives in pieces (core/hash.hpp hashes one buffer at once).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace tyto::objects::detail {

class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void update(std::string_view data);
  std::string hex_digest();  // lowercase hex; call once, after the last update

 private:
  struct Context;
  std::unique_ptr<Context> context_;
};

}  // namespace tyto::objects::detail

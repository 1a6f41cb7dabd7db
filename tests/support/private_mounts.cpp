#include "support/private_mounts.hpp"

#include <catch2/catch.hpp>

#include <sched.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace tyto::test {

PrivateMounts::PrivateMounts() {
  if (::unshare(CLONE_NEWNS) != 0) {
    FAIL("cannot make a private mount namespace (unshare(CLONE_NEWNS) needs CAP_SYS_ADMIN): " << std::strerror(errno));
  }
  // Nothing mounted here may propagate back to the machine's namespace.
  if (::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    FAIL("cannot make / private in the new mount namespace: " << std::strerror(errno));
  }
}

PrivateMounts::~PrivateMounts() {
  for (auto it = mounted_.rbegin(); it != mounted_.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
}

void PrivateMounts::bind(const std::filesystem::path& dir) {
  if (::mount(dir.c_str(), dir.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    FAIL("cannot bind-mount " << dir << ": " << std::strerror(errno));
  }
  mounted_.push_back(dir);
}

void PrivateMounts::set_read_only(const std::filesystem::path& dir, bool read_only) {
  const unsigned long flags = MS_REMOUNT | MS_BIND | (read_only ? MS_RDONLY : 0);
  if (::mount(nullptr, dir.c_str(), nullptr, flags, nullptr) != 0) {
    FAIL("cannot remount " << dir << (read_only ? " read-only: " : " writable: ") << std::strerror(errno));
  }
}

void PrivateMounts::tmpfs(const std::filesystem::path& dir, std::size_t bytes) {
  const std::string options = "size=" + std::to_string(bytes) + ",mode=0755";
  if (::mount("tyto-test", dir.c_str(), "tmpfs", 0, options.c_str()) != 0) {
    FAIL("cannot mount a tmpfs on " << dir << ": " << std::strerror(errno));
  }
  mounted_.push_back(dir);
}

}  // namespace tyto::test

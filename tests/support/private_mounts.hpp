// Real file-system faults for tests, which run as root: root ignores permission bits, but not a read-only
// mount or a full file system. PrivateMounts moves the calling thread (and every thread and process it
// starts afterwards) into a mount namespace of its own, where a directory can be remounted read-only or
// replaced by a small tmpfs that fills up, without touching the rest of the machine.
//
// Needs CAP_SYS_ADMIN (unshare(CLONE_NEWNS)); fails the test, never skips it, when that is refused.
// ctest runs each test case in a process of its own, so the namespace ends with the case.
#pragma once

#include <cstddef>
#include <filesystem>
#include <vector>

namespace tyto::test {

class PrivateMounts {
 public:
  PrivateMounts();
  ~PrivateMounts();  // unmounts everything it mounted
  PrivateMounts(const PrivateMounts&) = delete;
  PrivateMounts& operator=(const PrivateMounts&) = delete;

  // Makes dir a mount point of its own (a bind mount onto itself), so it can be remounted read-only.
  void bind(const std::filesystem::path& dir);
  // Remounts a bound dir read-only (true) or writable again (false).
  void set_read_only(const std::filesystem::path& dir, bool read_only);
  // Mounts an empty tmpfs of `bytes` bytes on dir: writing more fails with ENOSPC.
  void tmpfs(const std::filesystem::path& dir, std::size_t bytes);

 private:
  std::vector<std::filesystem::path> mounted_;
};

}  // namespace tyto::test

#include "tyto/api/zip_writer.hpp"

#include "tyto/core/error.hpp"
#include "tyto/core/time.hpp"

#include <archive.h>
#include <archive_entry.h>

namespace tyto::api {

struct ZipWriter::Impl {
  archive* a = archive_write_new();
  std::string error() const {
    const char* e = a ? archive_error_string(a) : nullptr;
    return e ? e : "unknown error";
  }
};

ZipWriter::ZipWriter(const std::filesystem::path& path) : impl_(std::make_unique<Impl>()) {
  if (!impl_->a || archive_write_set_format_zip(impl_->a) != ARCHIVE_OK ||
      archive_write_open_filename(impl_->a, path.c_str()) != ARCHIVE_OK) {
    throw Error(ErrorCode::kInternal, "cannot create the archive: " + impl_->error());
  }
}

ZipWriter::~ZipWriter() {
  if (impl_->a) archive_write_free(impl_->a);
}

void ZipWriter::begin(const std::string& name, std::uint64_t size) {
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(), archive_entry_free);
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0644);
  archive_entry_set_mtime(e.get(), static_cast<time_t>(now_micros() / 1'000'000), 0);
  if (archive_write_header(impl_->a, e.get()) != ARCHIVE_OK) {
    throw Error(ErrorCode::kInternal, "archive: " + impl_->error());
  }
}

void ZipWriter::write(std::string_view bytes) {
  if (archive_write_data(impl_->a, bytes.data(), bytes.size()) < 0) {
    throw Error(ErrorCode::kInternal, "archive: " + impl_->error());
  }
}

void ZipWriter::add(const std::string& name, std::string_view bytes) {
  begin(name, bytes.size());
  write(bytes);
}

void ZipWriter::close() {
  if (archive_write_close(impl_->a) != ARCHIVE_OK) throw Error(ErrorCode::kInternal, "archive: " + impl_->error());
}

}  // namespace tyto::api

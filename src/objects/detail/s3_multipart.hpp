// One S3 multipart upload: CreateMultipartUpload, UploadPart for each part in order,
// CompleteMultipartUpload, or AbortMultipartUpload when anything goes wrong (so no parts linger).
#pragma once

#include "objects/detail/s3_client.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::objects::detail {

class MultipartUpload {
 public:
  // Starts the upload; throws like S3Client::throw_for.
  MultipartUpload(S3Client& client, std::string_view key, std::string content_type);
  MultipartUpload(const MultipartUpload&) = delete;
  MultipartUpload& operator=(const MultipartUpload&) = delete;

  // Sends the next part (numbered from 1). Every part but the last must be at least 5 MiB; at most 10 000.
  void upload_part(std::string_view data);

  // Assembles the parts into the object and returns its metadata.
  ObjectInfo complete();

  // Discards the upload and its parts. Never throws: it runs on error paths.
  void abort() noexcept;

 private:
  S3Client& client_;
  std::string key_;
  std::string content_type_;
  std::string upload_id_;
  std::vector<std::string> etags_;  // of the parts, in order, as S3 sent them
  std::uint64_t size_ = 0;
};

}  // namespace tyto::objects::detail

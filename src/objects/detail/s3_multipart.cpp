#include "objects/detail/s3_multipart.hpp"

#include "objects/detail/names.hpp"
#include "objects/detail/xml.hpp"
#include "tyto/core/time.hpp"

#include <fmt/format.h>

namespace tyto::objects::detail {
namespace {

constexpr std::size_t kMaxParts = 10'000;

// S3 may answer CompleteMultipartUpload with 200 and an <Error> body (it fails after the status went out).
bool is_error_body(std::string_view body) { return body.find("<Error>") != std::string_view::npos; }

}  // namespace

MultipartUpload::MultipartUpload(S3Client& client, std::string_view key, std::string content_type)
    : client_(client), key_(key), content_type_(std::move(content_type)) {
  S3Request request{"POST", key_, {{"uploads", ""}}, {{"content-type", content_type_}}};
  request.idempotent = false;  // a repeat would start a second upload
  HttpResponse response = client_.execute(request);
  if (response.status / 100 != 2) client_.throw_for(response, "CreateMultipartUpload", key_);
  upload_id_ = xml::text(response.body, "UploadId").value_or("");
  if (upload_id_.empty()) {
    throw Error(ErrorCode::kInternal,
                fmt::format("S3 CreateMultipartUpload \"{}\" answered without an UploadId", printable(key_)));
  }
}

void MultipartUpload::upload_part(std::string_view data) {
  if (etags_.size() >= kMaxParts) {
    throw validation_error(fmt::format("object \"{}\" needs more than 10000 parts: raise part_size", printable(key_)),
                           {{"part_size", "too small for this object"}});
  }
  std::string number = std::to_string(etags_.size() + 1);
  S3Request request{"PUT", key_, {{"partNumber", number}, {"uploadId", upload_id_}}, {}, data};
  HttpResponse response = client_.execute(request);
  if (response.status / 100 != 2) client_.throw_for(response, "UploadPart " + number + " of", key_);
  etags_.push_back(response.header("etag"));
  size_ += data.size();
}

ObjectInfo MultipartUpload::complete() {
  std::string body = "<CompleteMultipartUpload>";
  for (std::size_t i = 0; i < etags_.size(); ++i) {
    body += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, xml::escape(etags_[i]));
  }
  body += "</CompleteMultipartUpload>";
  S3Request request{"POST", key_, {{"uploadId", upload_id_}}, {{"content-type", "application/xml"}}, body};
  request.idempotent = false;
  HttpResponse response = client_.execute(request);
  if (response.status / 100 != 2 || is_error_body(response.body)) {
    if (response.status / 100 == 2) response.status = 500;  // the error arrived inside a 200
    client_.throw_for(response, "CompleteMultipartUpload", key_);
  }
  return ObjectInfo{key_, size_, unquote_etag(xml::text(response.body, "ETag").value_or("")), content_type_,
                    now_micros()};
}

void MultipartUpload::abort() noexcept {
  try {
    S3Request request{"DELETE", key_, {{"uploadId", upload_id_}}};
    client_.execute(request);
  } catch (...) {
    // The bucket's lifecycle rules are the backstop for uploads that could not be aborted.
  }
}

}  // namespace tyto::objects::detail

#include "tyto/objects/artifacts.hpp"

#include "tyto/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace tyto::objects {
namespace {

pipeline::Artifact artifact_of(const Object& o) {
  return {o.id, o.purpose, o.filename, o.content_type, static_cast<std::uint64_t>(o.size), o.sha256};
}

class CatalogArtifacts final : public pipeline::Artifacts {
 public:
  CatalogArtifacts(Catalog& catalog, std::string tenant_id, std::optional<std::string> owner_id)
      : catalog_(catalog), tenant_id_(std::move(tenant_id)), owner_id_(std::move(owner_id)) {}

  pipeline::Artifact put(const pipeline::NewArtifact& what, std::string_view bytes) override {
    NewObject spec{tenant_id_, owner_id_, what.purpose, what.filename, what.content_type, std::nullopt};
    if (what.retention) spec.retention_hours = static_cast<int>(what.retention->count());
    std::size_t offset = 0;
    try {
      return artifact_of(catalog_.put_object(spec, [&](char* buf, std::size_t cap) {
        const std::size_t n = std::min(cap, bytes.size() - offset);
        std::memcpy(buf, bytes.data() + offset, n);
        offset += n;
        return n;
      }));
    } catch (const Error& e) {
      if (e.code() == ErrorCode::kValidationFailed) throw pipeline::StageError("invalid_artifact", e.what(), false);
      throw pipeline::StageError("artifact_store_failed", e.what(), true);
    }
  }

  std::string get(std::string_view object_id, std::size_t max_bytes) override {
    const Object o = find(object_id);
    if (static_cast<std::uint64_t>(o.size) > max_bytes) {
      throw pipeline::StageError(
          "artifact_too_large",
          fmt::format("object {} has {} bytes, more than the {} asked for", o.id, o.size, max_bytes), false);
    }
    std::string out;
    out.reserve(static_cast<std::size_t>(o.size));
    catalog_.store().get(o.key, 0, std::nullopt, [&](std::string_view chunk) { out.append(chunk); });
    return out;
  }

  pipeline::Artifact stat(std::string_view object_id) override { return artifact_of(find(object_id)); }

 private:
  Object find(std::string_view object_id) {
    auto o = catalog_.get_object(tenant_id_, object_id);  // another tenant's id reads as unknown
    if (!o) throw pipeline::StageError("not_found", fmt::format("no object {} in this tenant", object_id), false);
    return *o;
  }

  Catalog& catalog_;
  std::string tenant_id_;
  std::optional<std::string> owner_id_;
};

}  // namespace

std::unique_ptr<pipeline::Artifacts> catalog_artifacts(Catalog& catalog, std::string tenant_id,
                                                       std::optional<std::string> owner_id) {
  return std::make_unique<CatalogArtifacts>(catalog, std::move(tenant_id), std::move(owner_id));
}

}  // namespace tyto::objects

// Personal data: what each part of Tyto keeps about a user, so that GET /api/v1/me/export and
// DELETE /api/v1/me cover all of it. The platform's own tables are contributors like any product's;
// the export and the deletion loop over every contributor of the build, so none can be forgotten.
#pragma once

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tyto::storage {
class Session;
}

namespace tyto::api {

// One contributor's part of the export archive.
struct ExportPart {
  nlohmann::json data;                  // under data["<section>"] in tyto-export.json
  std::vector<std::string> object_ids;  // objects whose bytes go into the archive (deduplicated by id)
};

// Work that must wait until the deletion committed (removing bytes from the object store): a rolled
// back deletion must not have lost them.
using AfterCommit = std::vector<std::function<void()>>;

class PersonalData {
 public:
  virtual ~PersonalData() = default;

  // The section of the archive: "account", "jobs", "music.edits". Unique across the build.
  virtual std::string_view section() const = 0;

  // Everything this contributor keeps about the user, in every tenant. Runs on a job thread (the
  // export job), outside any transaction.
  virtual ExportPart export_user(const std::string& user_id) = 0;

  // Deletes (or anonymises, where a record must stay) the user's data inside the deletion's write
  // transaction; queues what must happen after the commit. Throwing rolls the whole deletion back.
  // Contributors erase in reverse list order: products first, the account last.
  virtual void erase_user(storage::Session& tx, const std::string& user_id, AfterCommit& after_commit) = 0;
};

}  // namespace tyto::api

// libFuzzer target: arbitrary bytes as a document and a patch, fed to every patch mechanism
// (JSON patch, merge patch, strategic merge patch, server-side apply, managedFields tracking).
// They must never crash, hang or leak, whatever the input. Not part of the CMake build; e.g.
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address -Isrc src/api/patch_fuzz.cc \
//     src/api/{json_patch,merge_patch,strategic_merge_patch,apply,patch_meta}.cc src/base/json.cc \
//     -lboost_json -labsl_... && ./a.out -max_total_time=30
// Input: "<doc>\0<patch>" (without a NUL byte, the input is split in the middle).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/apply.h"
#include "api/json_patch.h"
#include "api/merge_patch.h"
#include "api/strategic_merge_patch.h"
#include "boost/json/stream_parser.hpp"

namespace {

namespace json = boost::json;

// Guesses list semantics from the field name so that every code path is reachable.
class FuzzMeta : public skiff::api::PatchMeta {
 public:
  skiff::api::FieldPatchInfo Lookup(const std::vector<std::string_view>& path) const override {
    skiff::api::FieldPatchInfo info;
    if (path.empty()) return info;
    std::string_view last = path.back();
    if (last == "finalizers" || last == "f") {
      info.merge = true;
      info.list_type = "set";
    } else if (last == "selector" || last == "m") {
      info.atomic_map = true;
    } else if (last == "ports" || last == "p") {
      info.merge = true;
      info.merge_key = "port";
      info.list_type = "map";
      info.list_map_keys = {"port", "protocol"};
    } else if (!last.empty() && last.back() == 's') {
      info.merge = true;
      info.retain_keys = true;
      info.merge_key = "name";
      info.list_type = "map";
      info.list_map_keys = {"name"};
    }
    return info;
  }
};

json::value ParseOrNull(std::string_view text) {
  json::parse_options options;
  options.max_depth = 64;
  json::stream_parser parser({}, options);
  boost::system::error_code ec;
  parser.write(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (ec) return nullptr;
  return parser.release();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = input.find('\0');
  std::string_view doc_text =
      split == std::string_view::npos ? input.substr(0, size / 2) : input.substr(0, split);
  std::string_view patch_text =
      split == std::string_view::npos ? input.substr(size / 2) : input.substr(split + 1);
  json::value doc = ParseOrNull(doc_text);
  json::value patch = ParseOrNull(patch_text);
  static const FuzzMeta* meta = new FuzzMeta();

  (void)skiff::api::ApplyJsonPatch(doc, patch);
  (void)skiff::api::ApplyMergePatch(doc, patch);
  (void)skiff::api::CreateMergePatch(doc, patch);
  (void)skiff::api::ApplyStrategicMergePatch(doc, patch, *meta);
  (void)skiff::api::ApplyStrategicMergePatch(doc, patch, skiff::api::EmptyPatchMeta());

  auto applied = skiff::api::ServerSideApply(&doc, patch, "fuzz", false, *meta, "v1", "2026-01-01T00:00:00Z");
  if (applied.ok()) {
    // A second apply by another manager walks the managedFields the first one wrote.
    (void)skiff::api::ServerSideApply(&*applied, doc, "other", false, *meta, "v1", "2026-01-01T00:00:01Z");
    (void)skiff::api::ServerSideApply(&*applied, patch, "fuzz", true, *meta, "v1", "2026-01-01T00:00:01Z");
  } else {
    (void)skiff::api::ApplyConflictsFromStatus(applied.status());
  }
  (void)skiff::api::ServerSideApply(nullptr, patch, "fuzz", true, *meta, "v1", "2026-01-01T00:00:00Z");
  json::value updated = patch;
  skiff::api::UpdateManagedFields(&doc, updated, "fuzz", "Update", "v1", "2026-01-01T00:00:00Z", *meta);
  json::value again = doc;
  skiff::api::UpdateManagedFields(&updated, again, "fuzz2", "Update", "v1", "2026-01-01T00:00:01Z", *meta,
                                  "status");
  return 0;
}

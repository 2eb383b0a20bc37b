#include "api/patch_meta.h"

namespace skiff::api {
namespace {

class NoPatchMeta : public PatchMeta {
 public:
  FieldPatchInfo Lookup(const std::vector<std::string_view>&) const override { return {}; }
};

}  // namespace

const PatchMeta& EmptyPatchMeta() {
  static const NoPatchMeta* meta = new NoPatchMeta();
  return *meta;
}

}  // namespace skiff::api

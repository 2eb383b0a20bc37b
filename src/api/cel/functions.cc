#include "api/cel/functions.h"
#include "base/strings.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace skiff::api::cel {

const FunctionRegistry& FunctionRegistry::Get() {
  static const FunctionRegistry* registry = [] {
    auto* r = new FunctionRegistry();
    RegisterCoreFunctions(*r);
    RegisterTimeFunctions(*r);
    RegisterStringFunctions(*r);
    RegisterListFunctions(*r);
    RegisterQuantityFunctions(*r);
    RegisterFormatFunctions(*r);
    RegisterNetFunctions(*r);
    RegisterAuthzFunctions(*r);
    return r;
  }();
  return *registry;
}

void FunctionRegistry::Add(FunctionDecl decl) { by_name_[decl.name].push_back(std::move(decl)); }

const FunctionDecl* FunctionRegistry::Find(std::string_view name, bool member, int arg_count,
                                           const Value* receiver) const {
  auto it = by_name_.find(base::Av(name));
  if (it == by_name_.end()) return nullptr;
  const FunctionDecl* fallback = nullptr;
  for (const FunctionDecl& d : it->second) {
    if (d.member != member || arg_count < d.min_args || arg_count > d.max_args) continue;
    if (!d.receiver || receiver == nullptr || receiver->kind() == *d.receiver) return &d;
    if (fallback == nullptr) fallback = &d;  // reports "no such overload" with the receiver's type
  }
  return fallback;
}

bool FunctionRegistry::Known(std::string_view name, bool member) const {
  auto it = by_name_.find(base::Av(name));
  if (it == by_name_.end()) return false;
  for (const FunctionDecl& d : it->second) {
    if (d.member == member) return true;
  }
  return false;
}

absl::Status EvalError(std::string_view message) { return absl::InvalidArgumentError(base::Av(message)); }

absl::Status NoSuchOverload(std::string_view function, const std::vector<Value>& args) {
  return absl::InvalidArgumentError(absl::StrCat(
      "no such overload: ", base::Av(function), "(",
      absl::StrJoin(args, ", ", [](std::string* out, const Value& v) { out->append(v.TypeNameOf()); }), ")"));
}

std::vector<uint32_t> CodePoints(std::string_view s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    unsigned char c = s[i];
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len && i + k < s.size(); ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back(cp);
    i += len;
  }
  return out;
}

std::string FromCodePoints(const std::vector<uint32_t>& cps, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end && i < cps.size(); ++i) {
    uint32_t cp = cps[i];
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

int64_t TraversalCost(size_t bytes) { return 1 + static_cast<int64_t>(bytes / 10); }

}  // namespace skiff::api::cel

// String helpers bridging std::string_view and this abseil build, whose absl::string_view is its
// own type (not an alias of std::string_view), so absl::StrCat/StrSplit/... need a conversion.
// Thread-safety: pure functions. Never fails.
#ifndef SKIFF_BASE_STRINGS_H_
#define SKIFF_BASE_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace skiff::base {

inline absl::string_view Av(std::string_view s) { return absl::string_view(s.data(), s.size()); }

}  // namespace skiff::base

#endif  // SKIFF_BASE_STRINGS_H_

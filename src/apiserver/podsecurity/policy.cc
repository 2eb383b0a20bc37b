#include "apiserver/podsecurity/policy.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/go_format.h"
#include "base/strings.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::podsecurity {

const char* LevelName(Level level) {
  switch (level) {
    case Level::kPrivileged:
      return "privileged";
    case Level::kBaseline:
      return "baseline";
    case Level::kRestricted:
      return "restricted";
  }
  return "";
}

absl::StatusOr<Level> ParseLevel(std::string_view text) {
  for (Level level : {Level::kPrivileged, Level::kBaseline, Level::kRestricted}) {
    if (text == LevelName(level)) return level;
  }
  return absl::InvalidArgumentError("must be one of privileged, baseline, restricted");
}

std::string Version::String() const { return latest ? "latest" : absl::StrCat("v1.", minor); }

absl::StatusOr<Version> ParseVersion(std::string_view text) {
  if (text == "latest") return Version::Latest();
  auto bad = absl::InvalidArgumentError(R"(must be "latest" or "v1.x")");
  if (text.size() < 4 || text.substr(0, 3) != "v1.") return bad;
  std::string_view digits = text.substr(3);
  if (digits.size() > 1 && digits[0] == '0') return bad;  // ^v1\.([0-9]|[1-9][0-9]*)$
  for (char c : digits) {
    if (c < '0' || c > '9') return bad;
  }
  int minor = 0;
  if (!absl::SimpleAtoi(absl::string_view(digits.data(), digits.size()), &minor)) return bad;
  return Version::V1(minor);
}

std::string LevelVersion::String() const { return absl::StrCat(LevelName(level), ":", version.String()); }

namespace {

// The label's string value, or null when the label is absent.
const boost::json::string* Label(const boost::json::value& labels, std::string_view key) {
  const auto* object = labels.if_object();
  if (!object) return nullptr;
  const auto* value = object->if_contains(key);
  return value ? value->if_string() : nullptr;
}

void AddError(std::vector<api::StatusCause>* errors, std::string_view label, std::string_view value,
              const absl::Status& status) {
  if (!errors) return;
  errors->push_back({"FieldValueInvalid",
                     absl::StrCat("Invalid value: ", api::GoQuote(value), ": ", status.message()),
                     absl::StrCat("metadata.labels[", base::Av(label), "]")});
}

// Reads one level label into *level; a bad value leaves `fallback`. True when the label was valid.
bool ReadLevel(const boost::json::value& labels, std::string_view label, Level fallback, Level* level,
               std::vector<api::StatusCause>* errors) {
  const auto* text = Label(labels, label);
  if (!text) return false;
  auto parsed = ParseLevel(std::string_view(*text));
  if (!parsed.ok()) {
    AddError(errors, label, *text, parsed.status());
    *level = fallback;
    return false;
  }
  *level = *parsed;
  return true;
}

// Reads one version label into *version (latest when bad). True when the label was present.
bool ReadVersion(const boost::json::value& labels, std::string_view label, Version* version,
                 std::vector<api::StatusCause>* errors) {
  const auto* text = Label(labels, label);
  if (!text) return false;
  auto parsed = ParseVersion(std::string_view(*text));
  if (!parsed.ok()) AddError(errors, label, *text, parsed.status());
  *version = parsed.ok() ? *parsed : Version::Latest();
  return true;
}

}  // namespace

Policy PolicyFromLabels(const boost::json::value& labels, const Policy& defaults,
                        std::vector<api::StatusCause>* errors) {
  Policy p = defaults;
  bool has_enforce_level = ReadLevel(labels, kEnforceLabel, Level::kRestricted, &p.enforce.level, errors);
  ReadVersion(labels, kEnforceVersionLabel, &p.enforce.version, errors);
  // Audit and warn fail open: a bad level means privileged.
  ReadLevel(labels, kAuditLabel, Level::kPrivileged, &p.audit.level, errors);
  ReadVersion(labels, kAuditVersionLabel, &p.audit.version, errors);
  bool has_warn_level = Label(labels, kWarnLabel) != nullptr;
  ReadLevel(labels, kWarnLabel, Level::kPrivileged, &p.warn.level, errors);
  bool has_warn_version = ReadVersion(labels, kWarnVersionLabel, &p.warn.version, errors);
  if (!has_warn_level && has_enforce_level && p.enforce.level > p.warn.level) {
    p.warn.level = p.enforce.level;
    if (!has_warn_version) p.warn.version = p.enforce.version;
  }
  return p;
}

}  // namespace skiff::apiserver::podsecurity

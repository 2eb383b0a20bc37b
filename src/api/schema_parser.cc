#include "api/schema_parser.h"

#include <cctype>
#include <charconv>
#include <utility>

#include "api/schema_strings.h"
#include "boost/json/parse.hpp"

namespace skiff::api {
namespace {

using namespace schema_internal;  // NOLINT: small local helpers

struct Token {
  std::string text;  // unescaped content for quoted tokens, raw text otherwise
  bool quoted = false;
};

// Splits a line into whitespace-separated tokens. Double quotes group (with \" escapes) both as
// whole tokens ("a description") and inside tokens (default="25%"). A token starting with '#'
// ends the line (trailing comment).
absl::StatusOr<std::vector<Token>> Tokenize(std::string_view line) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size() || line[i] == '#') break;
    Token token;
    token.quoted = line[i] == '"';
    bool in_quotes = false;
    while (i < line.size() && (in_quotes || (line[i] != ' ' && line[i] != '\t'))) {
      char c = line[i];
      if (c == '"') {
        in_quotes = !in_quotes;
        if (!token.quoted) token.text.push_back(c);  // keep quotes inside attribute values
      } else if (c == '\\' && in_quotes && i + 1 < line.size()) {
        ++i;
        if (!token.quoted) token.text.push_back('\\');
        token.text.push_back(line[i]);
      } else {
        token.text.push_back(c);
      }
      ++i;
    }
    if (in_quotes) return absl::InvalidArgumentError("unterminated quoted string");
    tokens.push_back(std::move(token));
  }
  return tokens;
}

struct ScalarEntry {
  std::string_view name;
  ScalarKind kind;
};
constexpr ScalarEntry kScalars[] = {
    {"string", ScalarKind::kString},     {"int32", ScalarKind::kInt32},
    {"int64", ScalarKind::kInt64},       {"bool", ScalarKind::kBool},
    {"number", ScalarKind::kNumber},     {"bytes", ScalarKind::kBytes},
    {"time", ScalarKind::kTime},         {"microtime", ScalarKind::kMicroTime},
    {"quantity", ScalarKind::kQuantity}, {"intorstring", ScalarKind::kIntOrString},
    {"any", ScalarKind::kAny},           {"duration", ScalarKind::kDuration},
};

bool IsIdentifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-')) {
      return false;
    }
  }
  return true;
}

bool IsStringLike(const FieldType& t) {
  if (t.kind != FieldType::Kind::kScalar) return false;
  switch (t.scalar) {
    case ScalarKind::kString:
    case ScalarKind::kBytes:
    case ScalarKind::kTime:
    case ScalarKind::kMicroTime:
    case ScalarKind::kDuration:
      return true;
    default:
      return false;
  }
}

// `default=` values: a JSON literal, or a bare word taken as a string. String-typed fields keep
// the literal text even if it looks like a number (default=1 on a string field is "1").
boost::json::value ParseDefault(std::string_view text, const FieldType& type) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec) return boost::json::value(text);
  if (IsStringLike(type) && !v.is_string()) return boost::json::value(text);
  return v;
}

absl::Status ApplyAttribute(std::string_view attr, FieldSchema& field) {
  std::string_view key = attr, value;
  bool has_value = false;
  if (size_t eq = attr.find('='); eq != std::string_view::npos) {
    key = attr.substr(0, eq);
    value = attr.substr(eq + 1);
    has_value = true;
  }
  auto need_int = [&](std::optional<int64_t>& out) -> absl::Status {
    int64_t n;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return absl::InvalidArgumentError(Cat("attribute ", key, " needs an integer"));
    }
    out = n;
    return absl::OkStatus();
  };
  if (!has_value) {
    if (key == "required")
      field.required = true;
    else if (key == "readonly")
      field.readonly = true;
    else if (key == "immutable")
      field.immutable = true;
    else if (key == "retainKeys")
      field.retain_keys = true;
    else
      return absl::InvalidArgumentError(Cat("unknown attribute \"", attr, "\""));
    return absl::OkStatus();
  }
  if (key == "default") {
    field.default_value = ParseDefault(value, field.type);
  } else if (key == "enum") {
    for (std::string_view v : Split(value, '|')) {
      ConsumePrefix(v, "\"");
      ConsumeSuffix(v, "\"");
      field.enum_values.emplace_back(v);
    }
  } else if (key == "min") {
    return need_int(field.min);
  } else if (key == "max") {
    return need_int(field.max);
  } else if (key == "minlen") {
    return need_int(field.min_len);
  } else if (key == "maxlen") {
    return need_int(field.max_len);
  } else if (key == "merge") {
    field.merge_key = std::string(value);
  } else if (key == "listType") {
    if (value != "atomic" && value != "set" && value != "map") {
      return absl::InvalidArgumentError(Cat("listType must be atomic, set or map: ", value));
    }
    field.list_type = std::string(value);
  } else if (key == "listMapKeys") {
    for (std::string_view k : Split(value, ',')) field.list_map_keys.emplace_back(k);
  } else if (key == "mapType") {
    if (value != "atomic" && value != "granular") {
      return absl::InvalidArgumentError(Cat("mapType must be atomic or granular: ", value));
    }
    field.map_type = std::string(value);
  } else if (key == "format") {
    field.format = std::string(value);
  } else {
    return absl::InvalidArgumentError(Cat("unknown attribute \"", key, "\""));
  }
  return absl::OkStatus();
}

absl::Status LineError(std::string_view file, int line, std::string_view message) {
  return absl::InvalidArgumentError(Cat(file, ":", line, ": ", message));
}

}  // namespace

absl::StatusOr<FieldType> ParseFieldType(std::string_view text) {
  FieldType t;
  if (ConsumePrefix(text, "[]")) {
    absl::StatusOr<FieldType> elem = ParseFieldType(text);
    if (!elem.ok()) return elem.status();
    t.kind = FieldType::Kind::kList;
    t.elem = std::make_shared<FieldType>(*std::move(elem));
    return t;
  }
  if (ConsumePrefix(text, "map[")) {
    if (!ConsumeSuffix(text, "]")) {
      return absl::InvalidArgumentError("map type must look like map[<element type>]");
    }
    absl::StatusOr<FieldType> elem = ParseFieldType(text);
    if (!elem.ok()) return elem.status();
    t.kind = FieldType::Kind::kMap;
    t.elem = std::make_shared<FieldType>(*std::move(elem));
    return t;
  }
  for (const ScalarEntry& s : kScalars) {
    if (text == s.name) {
      t.kind = FieldType::Kind::kScalar;
      t.scalar = s.kind;
      return t;
    }
  }
  if (!IsIdentifier(text)) {
    return absl::InvalidArgumentError(Cat("bad type \"", text, "\""));
  }
  t.kind = FieldType::Kind::kStruct;
  t.type_name = std::string(text);
  return t;
}

absl::StatusOr<ParsedSchemaFile> ParseSchemaFile(std::string_view file_name, std::string_view text) {
  ParsedSchemaFile out;
  std::string package;
  TypeSchema* current = nullptr;
  int line_no = 0;
  for (std::string_view line : Split(text, '\n', /*skip_empty=*/false)) {
    ++line_no;
    ConsumeSuffix(line, "\r");
    absl::StatusOr<std::vector<Token>> tokens_or = Tokenize(line);
    if (!tokens_or.ok()) return LineError(file_name, line_no, std::string(tokens_or.status().message()));
    std::vector<Token>& tokens = *tokens_or;
    if (tokens.empty()) continue;
    bool indented = line[0] == ' ' || line[0] == '\t';

    // The description, if any, is the last token and the only quoted one.
    std::string description;
    if (tokens.back().quoted) {
      description = tokens.back().text;
      tokens.pop_back();
    }
    for (const Token& t : tokens) {
      if (t.quoted) return LineError(file_name, line_no, "the description must be the last token");
    }
    if (tokens.empty()) return LineError(file_name, line_no, "a line cannot be only a description");

    if (indented) {
      if (current == nullptr) return LineError(file_name, line_no, "field outside of a type");
      if (tokens.size() < 2) return LineError(file_name, line_no, "a field needs a name and a type");
      FieldSchema field;
      field.name = tokens[0].text;
      field.line = line_no;
      field.description = std::move(description);
      if (!IsIdentifier(field.name)) {
        return LineError(file_name, line_no, Cat("bad field name \"", field.name, "\""));
      }
      absl::StatusOr<FieldType> type = ParseFieldType(tokens[1].text);
      if (!type.ok()) return LineError(file_name, line_no, std::string(type.status().message()));
      field.type = *std::move(type);
      for (size_t i = 2; i < tokens.size(); ++i) {
        if (absl::Status s = ApplyAttribute(tokens[i].text, field); !s.ok()) {
          return LineError(file_name, line_no, std::string(s.message()));
        }
      }
      if (current->field_index.count(field.name)) {
        return LineError(file_name, line_no, Cat("duplicate field \"", field.name, "\""));
      }
      current->field_index.emplace(field.name, current->fields.size());
      current->fields.push_back(std::move(field));
      continue;
    }

    const std::string& keyword = tokens[0].text;
    if (keyword == "package") {
      if (tokens.size() != 2 || !IsIdentifier(tokens[1].text)) {
        return LineError(file_name, line_no, "expected: package <dotted.name>");
      }
      package = tokens[1].text;
      current = nullptr;
    } else if (keyword == "type") {
      if (tokens.size() < 2 || !IsIdentifier(tokens[1].text)) {
        return LineError(file_name, line_no, "expected: type <Name> [attributes] \"<description>\"");
      }
      if (package.empty()) return LineError(file_name, line_no, "type before any package line");
      auto type = std::make_unique<TypeSchema>();
      type->name = tokens[1].text;
      type->package = package;
      type->full_name = Cat(package, ".", type->name);
      type->description = std::move(description);
      type->file = std::string(file_name);
      type->line = line_no;
      for (size_t i = 2; i < tokens.size(); ++i) {
        std::string_view attr = tokens[i].text;
        if (ConsumePrefix(attr, "mapType=") && (attr == "atomic" || attr == "granular")) {
          type->map_type = std::string(attr);
        } else {
          return LineError(file_name, line_no, Cat("unknown type attribute \"", tokens[i].text, "\""));
        }
      }
      current = type.get();
      out.types.push_back(std::move(type));
    } else if (keyword == "kind") {
      if (tokens.size() < 2) return LineError(file_name, line_no, "expected: kind <Kind> group=..");
      if (package.empty()) return LineError(file_name, line_no, "kind before any package line");
      KindDeclaration kind;
      kind.gvk.kind = tokens[1].text;
      kind.package = package;
      kind.file = std::string(file_name);
      kind.line = line_no;
      bool has_group = false;
      for (size_t i = 2; i < tokens.size(); ++i) {
        std::string_view attr = tokens[i].text;
        std::string_view value;
        auto take = [&](std::string_view prefix) {
          if (attr.substr(0, prefix.size()) != prefix) return false;
          value = attr.substr(prefix.size());
          if (value == "\"\"") value = "";
          return true;
        };
        if (take("group=")) {
          kind.gvk.group = std::string(value);
          has_group = true;
        } else if (take("version=")) {
          kind.gvk.version = std::string(value);
        } else if (take("type=")) {
          kind.type_name = std::string(value);
        } else {
          return LineError(file_name, line_no, Cat("unknown kind attribute \"", attr, "\""));
        }
      }
      if (!has_group || kind.gvk.version.empty()) {
        return LineError(file_name, line_no, "a kind needs group= and version=");
      }
      if (kind.type_name.empty()) kind.type_name = kind.gvk.kind;
      out.kinds.push_back(std::move(kind));
      current = nullptr;
    } else {
      return LineError(file_name, line_no, Cat("unknown keyword \"", keyword, "\""));
    }
  }
  return out;
}

}  // namespace skiff::api

#include "api/codec.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <istream>
#include <streambuf>
#include <string>
#include <unordered_map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "api/go_format.h"
#include "api/protobuf_decode.h"
#include "base/json.h"
#include "base/strings.h"
#include "boost/json.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

size_t SkipDigits(std::string_view s, size_t i) {
  while (i < s.size() && IsDigit(s[i])) ++i;
  return i;
}

size_t SkipSign(std::string_view s, size_t i) { return i < s.size() && (s[i] == '-' || s[i] == '+') ? i + 1 : i; }

// [-+]?[0-9]+
bool IsYamlInt(std::string_view s) {
  size_t start = SkipSign(s, 0);
  size_t end = SkipDigits(s, start);
  return end > start && end == s.size();
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool IsYamlFloat(std::string_view s) {
  size_t i = SkipSign(s, 0);
  size_t int_start = i;
  i = SkipDigits(s, i);
  bool int_digits = i > int_start;
  if (i < s.size() && s[i] == '.') {
    size_t frac_start = ++i;
    i = SkipDigits(s, i);
    if (!int_digits && i == frac_start) return false;
  } else if (!int_digits) {
    return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t exp_start = SkipSign(s, i + 1);
    i = SkipDigits(s, exp_start);
    if (i == exp_start) return false;
  }
  return i == s.size();
}

// Resolves a plain scalar by YAML 1.2's core schema (as Kubernetes' YAML decoder does): numbers
// that fit no int64/uint64/finite double stay strings.
json::value PlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (IsYamlInt(s)) {
    int64_t v;
    if (absl::SimpleAtoi(s, &v)) return v;
    uint64_t u;
    if (s[0] != '-' && absl::SimpleAtoi(s, &u)) return u;
  }
  if (IsYamlFloat(s)) {
    double d;
    if (absl::SimpleAtod(s, &d) && std::isfinite(d)) return d;
  }
  return json::string(s);
}

// Limits of one YAML document.
constexpr size_t kMaxYamlBytes = 3 * 1024 * 1024;  // Kubernetes' request body limit
constexpr size_t kMaxDepth = 256;                   // as base::ParseJson
// Alias expansion budget, in cost units (~bytes of memory): every node costs kNodeCost plus its
// scalar (or map key) bytes. Copies made for anchors and aliases may cost at most
// kAliasFloor + kAliasPerInputByte * input size.
constexpr size_t kNodeCost = 32;
constexpr size_t kAliasFloor = 1024 * 1024;
constexpr size_t kAliasPerInputByte = 8;

// yaml-cpp 0.7 keeps every token of a possible implicit key queued until the key is resolved, and
// (unlike libyaml) never gives up on a key after 1024 characters: a whole flow collection at a
// key position, or a long line of anchors, tags or quoted scalars, is tokenized before the parser
// sees its first token, at ~250 bytes per token (a 3 MiB "[[[[..." took 775 MB). PacedInput feeds
// yaml-cpp the input in chunks and stops when the text read past the parser's latest event holds
// more than kMaxPendingUnits characters that can start a token; every queued token starts at one
// (plain scalars and implicit keys at most double that), so the queue stays below ~100 MB.
// Large scalars are one token but are counted too: a single scalar with more than
// kMaxPendingUnits punctuation characters (about 600 KB of JSON in a block scalar) is refused.
constexpr size_t kMaxPendingUnits = 256 * 1024;
constexpr size_t kChunkBytes = 4096;

class PacedInput : public std::streambuf {
 public:
  explicit PacedInput(std::string_view text) : text_(text) {
    // yaml-cpp positions are byte offsets only for UTF-8; for UTF-16/32 (a BOM or NUL bytes up
    // front) the parser's progress is not trusted and everything read counts as pending.
    trust_marks_ = text.size() < 2 || !(text[0] == '\0' || text[1] == '\0' || static_cast<uint8_t>(text[0]) >= 0xFE);
    chunk_prefix_.reserve(text.size() / kChunkBytes + 2);
    chunk_prefix_.push_back(0);
    for (size_t start = 0; start < text.size(); start += kChunkBytes) {
      chunk_prefix_.push_back(chunk_prefix_.back() + Units(start, std::min(text.size(), start + kChunkBytes)));
    }
  }

  // The parser has consumed everything before `pos` (an event's position).
  void Consumed(int pos) {
    if (trust_marks_ && pos > 0) consumed_ = std::max(consumed_, std::min(static_cast<size_t>(pos), fed_));
  }
  bool exceeded() const { return exceeded_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
    if (fed_ >= text_.size()) return traits_type::eof();
    // Units in [consumed_, fed_): whole chunks from the prefix sums, the partial one counted.
    size_t first = consumed_ / kChunkBytes;
    size_t pending = chunk_prefix_[fed_ / kChunkBytes] - chunk_prefix_[first] - Units(first * kChunkBytes, consumed_);
    if (pending > kMaxPendingUnits) {
      exceeded_ = true;
      return traits_type::eof();
    }
    size_t n = std::min(kChunkBytes, text_.size() - fed_);
    char* begin = const_cast<char*>(text_.data() + fed_);
    setg(begin, begin, begin + n);
    fed_ += n;
    return traits_type::to_int_type(*begin);
  }

 private:
  bool Blank(size_t i) const { return i >= text_.size() || text_[i] == ' ' || text_[i] == '\t' || text_[i] == '\n' || text_[i] == '\r'; }

  // Characters that can start a yaml-cpp token: indicators, quotes, "- " (block entries and
  // "---") and the last dot of "...".
  size_t Units(size_t from, size_t to) const {
    size_t n = 0;
    for (size_t i = from; i < to; ++i) {
      switch (text_[i]) {
        case '[': case ']': case '{': case '}': case ',': case '?': case ':': case '&': case '*':
        case '!': case '|': case '>': case '\'': case '"': case '%':
          ++n;
          break;
        case '-':
          n += Blank(i + 1) ? 1 : 0;
          break;
        case '.':
          n += (i >= 2 && text_[i - 1] == '.' && text_[i - 2] == '.' && Blank(i + 1)) ? 1 : 0;
          break;
        default:
          break;
      }
    }
    return n;
  }

  std::string_view text_;
  std::vector<size_t> chunk_prefix_;  // units in the chunks before chunk i
  size_t fed_ = 0;                    // bytes handed to yaml-cpp
  size_t consumed_ = 0;               // bytes the parser is known to be past
  bool trust_marks_ = true;
  bool exceeded_ = false;
};

std::string PositionError(const YAML::Mark& mark, std::string_view what) {
  return absl::StrCat("invalid YAML at line ", mark.line + 1, ", column ", mark.column + 1, ": ", base::Av(what));
}

// Builds JSON directly from yaml-cpp's parse events (no YAML::Node graph, no recursion). Aliases
// are expanded by copying the anchored value, within the alias budget.
// The first error stops the build; later events are ignored (yaml-cpp still reads the rest).
class JsonBuilder : public YAML::EventHandler {
 public:
  JsonBuilder(size_t input_size, PacedInput* input)
      : input_(input), alias_budget_(kAliasFloor + kAliasPerInputByte * input_size) {}

  const absl::Status& status() const { return status_; }
  json::value TakeRoot() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark& mark) override { input_->Consumed(mark.pos); }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    input_->Consumed(mark.pos);
    if (!status_.ok()) return;
    Node node{json::value(nullptr), std::nullopt, kNodeCost, 0};
    Add(mark, std::move(node), anchor);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    input_->Consumed(mark.pos);
    if (!status_.ok()) return;
    // yaml-cpp passes invalid bytes through and encodes escaped surrogates ("\uD800"); JSON
    // cannot carry either (Kubernetes' YAML decoder rejects them too).
    if (!IsValidUtf8(value)) {
      Fail(mark, "the scalar is not valid UTF-8");
      return;
    }
    // yaml-cpp tags quoted scalars "!"; only plain scalars are resolved to other types.
    json::value v = (tag == "!" || tag == "tag:yaml.org,2002:str") ? json::value(json::string(value))
                                                                   : PlainScalar(value);
    Node node{std::move(v), value, kNodeCost + value.size(), 0};
    Add(mark, std::move(node), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    input_->Consumed(mark.pos);
    if (!status_.ok()) return;
    auto it = anchors_.find(anchor);
    if (it == anchors_.end() || !it->second.complete) {
      Fail(mark, "an alias refers to an anchor that contains it");
      return;
    }
    const Anchored& a = it->second;
    if (!Charge(mark, a.node.cost)) return;
    if (stack_.size() + a.node.height > kMaxDepth) {
      Fail(mark, "the document is nested too deeply");
      return;
    }
    Add(mark, Node(a.node), YAML::NullAnchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(mark, json::value(json::array()), anchor);
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(mark, json::value(json::object()), anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  struct Node {
    json::value value;
    std::optional<std::string> scalar;  // the raw text of a scalar (what a map key uses)
    size_t cost = 0;                    // of the whole subtree, expansions included
    size_t height = 0;                  // 0 for scalars, 1 + the deepest child for collections
  };
  struct Frame {
    json::value value;  // array or object
    YAML::anchor_t anchor;
    YAML::Mark mark;
    size_t cost_before;  // total_cost_ when the collection opened
    size_t height = 1;
    std::optional<std::string> key;  // a map's key waiting for its value
  };
  struct Anchored {
    Node node;
    bool complete = false;
  };

  void Fail(const YAML::Mark& mark, std::string_view what) {
    if (status_.ok()) status_ = absl::InvalidArgumentError(PositionError(mark, what));
  }

  // Charges a copy of `cost` units to the alias budget.
  bool Charge(const YAML::Mark& mark, size_t cost) {
    if (cost > alias_budget_ - alias_cost_) {
      Fail(mark, "document contains excessive aliasing");
      return false;
    }
    alias_cost_ += cost;
    return true;
  }

  void Open(const YAML::Mark& mark, json::value container, YAML::anchor_t anchor) {
    input_->Consumed(mark.pos);
    if (!status_.ok()) return;
    if (stack_.size() >= kMaxDepth) {
      Fail(mark, "the document is nested too deeply");
      return;
    }
    if (!stack_.empty() && stack_.back().value.is_object() && !stack_.back().key) {
      Fail(mark, "YAML map keys must be strings");
      return;
    }
    if (anchor != YAML::NullAnchor) anchors_[anchor] = Anchored{};
    total_cost_ += kNodeCost;
    stack_.push_back(Frame{std::move(container), anchor, mark, total_cost_ - kNodeCost});
  }

  void Close() {
    if (!status_.ok() || stack_.empty()) return;
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    Node node{std::move(frame.value), std::nullopt, total_cost_ - frame.cost_before, frame.height};
    Add(frame.mark, std::move(node), frame.anchor, /*counted=*/true);
  }

  // Places a finished node into its parent (or as the root); `counted` nodes are already part of
  // total_cost_.
  void Add(const YAML::Mark& mark, Node node, YAML::anchor_t anchor, bool counted = false) {
    if (!counted) total_cost_ += node.cost;
    if (anchor != YAML::NullAnchor) {
      if (!Charge(mark, node.cost)) return;
      anchors_[anchor] = Anchored{node, true};
    }
    if (stack_.empty()) {
      root_ = std::move(node.value);
      return;
    }
    Frame& parent = stack_.back();
    parent.height = std::max(parent.height, node.height + 1);
    if (parent.value.is_array()) {
      parent.value.get_array().push_back(std::move(node.value));
      return;
    }
    if (!parent.key) {
      if (!node.scalar) {
        Fail(mark, "YAML map keys must be strings");
        return;
      }
      parent.key = std::move(*node.scalar);
      return;
    }
    parent.value.get_object()[*parent.key] = std::move(node.value);
    parent.key.reset();
  }

  PacedInput* input_;
  size_t alias_budget_;
  size_t alias_cost_ = 0;
  size_t total_cost_ = 0;
  absl::Status status_;
  json::value root_;
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, Anchored> anchors_;
};

}  // namespace

std::string MediaType(std::string_view content_type) {
  auto semi = content_type.find(';');
  return absl::AsciiStrToLower(std::string(absl::StripAsciiWhitespace(absl::string_view(content_type.data(), std::min(semi, content_type.size())))));
}

absl::StatusOr<json::value> YamlToJson(std::string_view yaml) {
  if (yaml.size() > kMaxYamlBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("the YAML document is ", yaml.size(), " bytes, more than the limit of ", kMaxYamlBytes));
  }
  PacedInput paced(yaml);
  std::istream in(&paced);
  JsonBuilder builder(yaml.size(), &paced);
  absl::Status parse_error;
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(builder);  // the first document only; an empty input is null
  } catch (const YAML::Exception& e) {
    parse_error = absl::InvalidArgumentError(PositionError(e.mark, e.msg));
  }
  // A cut-off input explains whatever yaml-cpp or the builder said about its end.
  if (paced.exceeded()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the YAML document is too complex: more than ", kMaxPendingUnits,
        " indicator characters in one flow collection, line or scalar (send large documents as JSON)"));
  }
  if (!builder.status().ok()) return builder.status();
  if (!parse_error.ok()) return parse_error;
  return builder.TakeRoot();
}

absl::StatusOr<json::value> DecodeBody(std::string_view content_type, std::string_view body) {
  std::string type = MediaType(content_type);
  absl::string_view trimmed = absl::StripAsciiWhitespace(absl::string_view(body.data(), body.size()));
  if (type.empty() || type == "application/json" || type == "application/merge-patch+json" ||
      type == "application/strategic-merge-patch+json" || type == "application/json-patch+json" ||
      type == "*/*") {
    if (trimmed.empty()) return absl::InvalidArgumentError("the request body is empty");
    return base::ParseJson(body);
  }
  if (type == "application/yaml" || type == "application/apply-patch+yaml" || type == "application/x-yaml") {
    if (!trimmed.empty() && (trimmed.front() == '{' || trimmed.front() == '[')) {
      auto parsed = base::ParseJson(body);
      if (parsed.ok()) return parsed;
    }
    return YamlToJson(body);
  }
  if (type == "application/vnd.kubernetes.protobuf") return DecodeKubernetesProtobuf(body);
  return absl::UnimplementedError(absl::StrCat("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ", type, ")"));
}

}  // namespace skiff::api

#include "agent/kubelet/images_command.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <tuple>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "agent/containerd/config.h"
#include "agent/containerd/image_import.h"
#include "agent/cri/cri_runtime.h"

namespace skiff::agent::kubelet {

namespace {

constexpr absl::Duration kListTimeout = absl::Seconds(10);

// "registry/repo:tag" -> {"registry/repo", "tag"}; a ':' before the last '/' is a port.
std::pair<std::string, std::string> SplitRepoTag(const std::string& ref) {
  size_t colon = ref.rfind(':');
  size_t slash = ref.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return {ref, "<none>"};
  return {ref.substr(0, colon), ref.substr(colon + 1)};
}

std::string ShortId(const std::string& id) {
  std::string hex = id;
  if (size_t colon = hex.find(':'); colon != std::string::npos) hex = hex.substr(colon + 1);
  return hex.substr(0, 13);
}

absl::Status CheckSocket(const std::string& socket) {
  std::error_code ec;
  if (!std::filesystem::exists(socket, ec)) {
    return absl::NotFoundError(
        absl::StrCat("no containerd socket at ", socket, " (is the agent running with this --data-dir?)"));
  }
  return absl::OkStatus();
}

}  // namespace

void AddImagesFlags(CLI::App* images, ImagesFlags* flags) {
  images->require_subcommand(1);
  CLI::App* import = images->add_subcommand("import", "Import an image archive (OCI or docker-save tar)");
  import->add_option("archive", flags->archive, "The image archive (.tar)")->required();
  import->add_option("--data-dir", flags->data_dir, "Agent data directory")->capture_default_str();
  import->callback([flags] { flags->action = ImagesAction::kImport; });
  CLI::App* list = images->add_subcommand("ls", "List the images of the agent's runtime");
  list->alias("list");
  list->add_option("--data-dir", flags->data_dir, "Agent data directory")->capture_default_str();
  list->callback([flags] { flags->action = ImagesAction::kList; });
}

std::string ImagesSocket(const std::string& data_dir) { return containerd::ContainerdPaths(data_dir).socket; }

std::string HumanSize(uint64_t bytes) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  double size = static_cast<double>(bytes);
  size_t unit = 0;
  while (size >= 1000.0 && unit + 1 < std::size(kUnits)) {
    size /= 1000.0;
    ++unit;
  }
  return absl::StrFormat("%.4g%s", size, kUnits[unit]);
}

std::string FormatImageTable(const cri::v1::ListImagesResponse& images) {
  std::vector<std::tuple<std::string, std::string, std::string, std::string>> rows;
  for (const auto& image : images.images()) {
    std::string id = ShortId(image.id());
    std::string size = HumanSize(image.size());
    if (image.repo_tags().empty()) {
      std::string repo = "<none>";
      if (!image.repo_digests().empty()) repo = image.repo_digests(0).substr(0, image.repo_digests(0).find('@'));
      rows.emplace_back(repo, "<none>", id, size);
    }
    for (const auto& tag : image.repo_tags()) {
      auto [repo, t] = SplitRepoTag(tag);
      rows.emplace_back(repo, t, id, size);
    }
  }
  std::sort(rows.begin(), rows.end());
  size_t w_repo = 10, w_tag = 3, w_id = 8;
  for (const auto& [repo, tag, id, size] : rows) {
    w_repo = std::max(w_repo, repo.size());
    w_tag = std::max(w_tag, tag.size());
    w_id = std::max(w_id, id.size());
  }
  auto line = [&](const std::string& a, const std::string& b, const std::string& c, const std::string& d) {
    return absl::StrFormat("%-*s   %-*s   %-*s   %s\n", w_repo, a, w_tag, b, w_id, c, d);
  };
  std::string out = line("REPOSITORY", "TAG", "IMAGE ID", "SIZE");
  for (const auto& [repo, tag, id, size] : rows) out += line(repo, tag, id, size);
  return out;
}

int RunImagesImport(const ImagesFlags& flags) {
  std::string socket = ImagesSocket(flags.data_dir);
  if (absl::Status s = CheckSocket(socket); !s.ok()) {
    std::fprintf(stderr, "skiff images import: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  absl::StatusOr<std::vector<std::string>> names = containerd::ImportImageArchive(socket, flags.archive);
  if (!names.ok()) {
    std::fprintf(stderr, "skiff images import: %s\n", names.status().ToString().c_str());
    return 1;
  }
  for (const auto& name : *names) std::printf("imported %s\n", name.c_str());
  if (names->empty()) std::printf("imported %s (no image names reported)\n", flags.archive.c_str());
  return 0;
}

int RunImagesList(const ImagesFlags& flags) {
  std::string socket = ImagesSocket(flags.data_dir);
  if (absl::Status s = CheckSocket(socket); !s.ok()) {
    std::fprintf(stderr, "skiff images ls: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  auto runtime = cri::CriRuntime::Create({.endpoint = "unix://" + socket});
  if (!runtime.ok()) {
    std::fprintf(stderr, "skiff images ls: %s\n", runtime.status().ToString().c_str());
    return 1;
  }
  auto images = (*runtime)->ListImages({}, kListTimeout);
  if (!images.ok()) {
    std::fprintf(stderr, "skiff images ls: %s\n", images.status().ToString().c_str());
    return 1;
  }
  std::fputs(FormatImageTable(*images).c_str(), stdout);
  return 0;
}

int RunImages(const ImagesFlags& flags) {
  switch (flags.action) {
    case ImagesAction::kImport:
      return RunImagesImport(flags);
    case ImagesAction::kList:
      return RunImagesList(flags);
    case ImagesAction::kNone:
      break;
  }
  std::fprintf(stderr, "skiff images: use `import FILE.tar` or `ls`\n");
  return 1;
}

}  // namespace skiff::agent::kubelet

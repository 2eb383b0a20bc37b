// `skiff images import FILE.tar [--data-dir DIR]` and `skiff images ls [--data-dir DIR]`: load an
// image archive (OCI layout or docker-save tar) into an agent's containerd (k8s.io namespace, where
// CRI sees it) and list the images CRI knows, as `crictl images` does (REPOSITORY TAG IMAGE ID
// SIZE). DIR is the agent's data dir (default /var/lib/skiff/agent; the in-process agent of
// `skiff server --data-dir D` uses D/agent); the containerd socket is DIR/containerd/containerd.sock,
// so the agent (and its containerd) must be running. main.cc wires it with:
//   skiff::agent::kubelet::ImagesFlags images_flags;
//   skiff::agent::kubelet::AddImagesFlags(app.add_subcommand("images", "..."), &images_flags);
//   if (images_flags.action != skiff::agent::kubelet::ImagesAction::kNone) return RunImages(images_flags);
// Thread-safety: Run* are called once from main. Ownership: flags are plain values owned by the
// caller. Failure: a missing socket or archive, ctr or CRI errors print a message; Run* return 1.
#ifndef SKIFF_AGENT_KUBELET_IMAGES_COMMAND_H_
#define SKIFF_AGENT_KUBELET_IMAGES_COMMAND_H_

#include <cstdint>
#include <string>

#include "agent/cri/api.pb.h"
#include "agent/kubelet/agent.h"

namespace CLI {
class App;
}

namespace skiff::agent::kubelet {

enum class ImagesAction { kNone, kImport, kList };

struct ImagesFlags {
  ImagesAction action = ImagesAction::kNone;  // set by the parsed subcommand
  std::string data_dir = kDefaultAgentDataDir;
  std::string archive;  // import: the .tar file
};

// Adds the `import` and `ls` subcommands (each with --data-dir) to `images`.
void AddImagesFlags(CLI::App* images, ImagesFlags* flags);

// The containerd socket of an agent data dir.
std::string ImagesSocket(const std::string& data_dir);

// crictl's table: REPOSITORY TAG IMAGE ID SIZE, one row per repo tag (untagged images as
// <none> <none>), IMAGE ID the first 13 hex digits, SIZE human-readable (decimal units).
std::string FormatImageTable(const cri::v1::ListImagesResponse& images);
// 1234567 -> "1.235MB" (Go's units.HumanSize: 4 significant digits, powers of 1000).
std::string HumanSize(uint64_t bytes);

int RunImagesImport(const ImagesFlags& flags);
int RunImagesList(const ImagesFlags& flags);
// Dispatches on flags.action; 1 for kNone.
int RunImages(const ImagesFlags& flags);

}  // namespace skiff::agent::kubelet

#endif  // SKIFF_AGENT_KUBELET_IMAGES_COMMAND_H_

#include "agent/podspec/volumes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/podspec/mounts.h"
#include "base/json.h"
#include "base/testing/host.h"

namespace skiff::agent::podspec {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

boost::json::value J(std::string_view text) { return base::ParseJson(text).value(); }

std::string Read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

uint32_t Mode(const fs::path& p) {
  struct stat st;
  return stat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

class VolumesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/podspec-vol-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    objects_.Add(ObjectKind::kConfigMap, J(R"({"metadata":{"name":"cfg","namespace":"ns"},
        "data":{"app.conf":"port=80","extra":"1"},"binaryData":{"blob":"AAEC"}})"));
    objects_.Add(ObjectKind::kSecret, J(R"({"metadata":{"name":"sec","namespace":"ns"},
        "data":{"password":"czNjcjN0"}})"));
    ctx_.node.memory = api::Quantity::Parse("8Gi").value();
    ctx_.node.cpu = api::Quantity::Parse("2").value();
    manager_ = std::make_unique<VolumeManager>(
        VolumeManagerOptions{(root_ / "pods").string(),
                             [](const boost::json::value&, const std::string& audience, int64_t seconds) {
                               return absl::StatusOr<std::string>("token-for-" + audience + "-" +
                                                                  std::to_string(seconds));
                             }},
        &objects_);
  }
  void TearDown() override {
    EXPECT_TRUE(UnmountAllUnder(root_.string()).ok());
    fs::remove_all(root_);
  }

  boost::json::value Pod(std::string_view volumes, std::string_view containers = R"([{"name":"c"}])") {
    return J(std::string(R"({"metadata":{"name":"p","namespace":"ns","uid":"uid-1","labels":{"app":"web"}},
                            "spec":{"containers":)") +
             std::string(containers) + R"(,"volumes":)" + std::string(volumes) + "}}");
  }

  fs::path PluginDir(const char* plugin, const char* name) {
    return root_ / "pods" / "uid-1" / "volumes" / plugin / name;
  }

  fs::path root_;
  MapObjectSource objects_;
  PodContext ctx_;
  std::unique_ptr<VolumeManager> manager_;
};

TEST_F(VolumesTest, EmptyDirIsWorldWritable) {
  auto volumes = manager_->Setup(Pod(R"([{"name":"scratch","emptyDir":{}}])"), ctx_);
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  fs::path dir = PluginDir("kubernetes.io~empty-dir", "scratch");
  EXPECT_EQ(volumes->at("scratch").host_path, dir.string());
  EXPECT_FALSE(volumes->at("scratch").read_only);
  EXPECT_TRUE(fs::is_directory(dir));
  EXPECT_EQ(Mode(dir), 0777u);
  EXPECT_FALSE(IsMountPoint(dir.string()));
}

TEST_F(VolumesTest, MemoryEmptyDirIsSizedTmpfsAndCleanupUnmounts) {
  ASSERT_EQ(base::testing::MissingRoot("mounting tmpfs"), "");
  auto pod = Pod(R"([{"name":"mem","emptyDir":{"medium":"Memory","sizeLimit":"16Mi"}}])");
  auto volumes = manager_->Setup(pod, ctx_);
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  fs::path dir = PluginDir("kubernetes.io~empty-dir", "mem");
  EXPECT_TRUE(IsMountPoint(dir.string()));
  EXPECT_EQ(Mode(dir), 0777u);
  std::ifstream mounts("/proc/self/mountinfo");
  std::string line, found;
  while (std::getline(mounts, line)) {
    if (line.find(dir.string() + " ") != std::string::npos) found = line;
  }
  EXPECT_THAT(found, HasSubstr("size=16384k"));
  // Setup again does not stack a second mount.
  ASSERT_TRUE(manager_->Setup(pod, ctx_).ok());
  EXPECT_EQ(MountPointsUnder(dir.string()).size(), 1u);
  ASSERT_TRUE(manager_->CleanupVolumes("uid-1").ok());
  EXPECT_FALSE(IsMountPoint(dir.string()));
  EXPECT_FALSE(fs::exists(root_ / "pods" / "uid-1" / "volumes"));
}

TEST_F(VolumesTest, MemoryEmptyDirDefaultsToPodLimit) {
  ASSERT_EQ(base::testing::MissingRoot("mounting tmpfs"), "");
  auto pod = Pod(R"([{"name":"mem","emptyDir":{"medium":"Memory"}}])",
                 R"([{"name":"c","resources":{"limits":{"memory":"32Mi"}}}])");
  ASSERT_TRUE(manager_->Setup(pod, ctx_).ok());
  std::ifstream mounts("/proc/self/mountinfo");
  std::string line, found;
  fs::path dir = PluginDir("kubernetes.io~empty-dir", "mem");
  while (std::getline(mounts, line)) {
    if (line.find(dir.string() + " ") != std::string::npos) found = line;
  }
  EXPECT_THAT(found, HasSubstr("size=32768k"));
  ASSERT_TRUE(manager_->RemovePodDir("uid-1").ok());
  EXPECT_FALSE(fs::exists(root_ / "pods" / "uid-1"));
}

TEST_F(VolumesTest, HostPathTypes) {
  fs::path base = root_ / "host";
  fs::create_directories(base / "dir");
  std::ofstream(base / "file") << "x";
  auto setup = [&](const std::string& path, const std::string& type) {
    boost::json::value v = J(R"({"name":"h","hostPath":{}})");
    v.at("hostPath").as_object()["path"] = path;
    if (!type.empty()) v.at("hostPath").as_object()["type"] = type;
    boost::json::value pod = Pod("[]");
    pod.at("spec").at("volumes").as_array().push_back(v);
    return manager_->Setup(pod, ctx_);
  };
  EXPECT_TRUE(setup((base / "dir").string(), "Directory").ok());
  EXPECT_TRUE(setup((base / "anything").string(), "").ok());
  auto not_dir = setup((base / "file").string(), "Directory");
  EXPECT_EQ(not_dir.status().message(),
            "MountVolume.SetUp failed for volume \"h\" : hostPath type check failed: " +
                (base / "file").string() + " is not a directory");
  EXPECT_TRUE(absl::IsFailedPrecondition(not_dir.status()));
  EXPECT_TRUE(setup((base / "new/deep").string(), "DirectoryOrCreate").ok());
  EXPECT_TRUE(fs::is_directory(base / "new/deep"));
  EXPECT_EQ(Mode(base / "new/deep"), 0755u);
  EXPECT_TRUE(setup((base / "newfile").string(), "FileOrCreate").ok());
  EXPECT_TRUE(fs::is_regular_file(base / "newfile"));
  EXPECT_TRUE(setup((base / "file").string(), "File").ok());
  EXPECT_THAT(setup((base / "dir").string(), "File").status().message(), HasSubstr("is not a file"));
  EXPECT_THAT(setup((base / "file").string(), "Socket").status().message(),
              HasSubstr("is not a socket file"));
  EXPECT_THAT(setup((base / "file").string(), "CharDevice").status().message(),
              HasSubstr("is not a character device"));
  EXPECT_TRUE(setup("/dev/null", "CharDevice").ok());
  EXPECT_THAT(setup((base / "file").string(), "BlockDevice").status().message(),
              HasSubstr("is not a block device"));
  EXPECT_THAT(setup((base / "file").string(), "Weird").status().message(),
              HasSubstr("Weird is an invalid volume type"));
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sock = (base / "s.sock").string();
  std::strncpy(addr.sun_path, sock.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  EXPECT_TRUE(setup(sock, "Socket").ok());
  close(fd);
}

TEST_F(VolumesTest, ConfigMapAllKeysItemsModesAndOptional) {
  auto volumes = manager_->Setup(Pod(R"([
      {"name":"all","configMap":{"name":"cfg","defaultMode":288}},
      {"name":"some","configMap":{"name":"cfg","items":[{"key":"app.conf","path":"conf/app.conf","mode":256}]}},
      {"name":"opt","configMap":{"name":"missing","optional":true}}])"),
                                 ctx_);
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  fs::path all = PluginDir("kubernetes.io~configmap", "all");
  EXPECT_TRUE(volumes->at("all").read_only);
  EXPECT_EQ(Read(all / "app.conf"), "port=80");
  EXPECT_EQ(Read(all / "blob"), std::string("\0\1\2", 3));
  EXPECT_EQ(Mode(all / "extra"), 0440u);
  fs::path some = PluginDir("kubernetes.io~configmap", "some");
  EXPECT_EQ(Read(some / "conf/app.conf"), "port=80");
  EXPECT_EQ(Mode(some / "conf/app.conf"), 0400u);
  EXPECT_FALSE(fs::exists(some / "extra"));
  EXPECT_TRUE(fs::is_symlink(PluginDir("kubernetes.io~configmap", "opt") / "..data"));

  auto missing = manager_->Setup(Pod(R"([{"name":"m","configMap":{"name":"missing"}}])"), ctx_);
  EXPECT_TRUE(absl::IsNotFound(missing.status()));
  EXPECT_EQ(missing.status().message(),
            "MountVolume.SetUp failed for volume \"m\" : configmap \"missing\" not found");
  auto bad_key = manager_->Setup(
      Pod(R"([{"name":"k","configMap":{"name":"cfg","items":[{"key":"nope","path":"x"}]}}])"), ctx_);
  EXPECT_THAT(bad_key.status().message(), HasSubstr("configmap references non-existent config key: nope"));
}

TEST_F(VolumesTest, SecretVolume) {
  auto volumes = manager_->Setup(Pod(R"([{"name":"s","secret":{"secretName":"sec"}},
                                          {"name":"o","secret":{"secretName":"gone","optional":true}}])"),
                                 ctx_);
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  fs::path dir = PluginDir("kubernetes.io~secret", "s");
  EXPECT_EQ(Read(dir / "password"), "s3cr3t");
  EXPECT_EQ(Mode(dir / "password"), 0644u);
  auto bad = manager_->Setup(
      Pod(R"([{"name":"s","secret":{"secretName":"sec","items":[{"key":"x","path":"y"}]}}])"), ctx_);
  EXPECT_THAT(bad.status().message(), HasSubstr("references non-existent secret key: x"));
}

TEST_F(VolumesTest, DownwardApiVolume) {
  auto pod = Pod(R"([{"name":"info","downwardAPI":{"items":[
                    {"path":"labels","fieldRef":{"fieldPath":"metadata.labels"}},
                    {"path":"name","fieldRef":{"fieldPath":"metadata.name"},"mode":384},
                    {"path":"mem","resourceFieldRef":{"containerName":"c","resource":"limits.memory","divisor":"1Mi"}}]}}])",
                 R"([{"name":"c","resources":{"limits":{"memory":"64Mi"}}}])");
  ASSERT_TRUE(manager_->Setup(pod, ctx_).ok());
  fs::path dir = PluginDir("kubernetes.io~downward-api", "info");
  EXPECT_EQ(Read(dir / "labels"), "app=\"web\"");
  EXPECT_EQ(Read(dir / "name"), "p");
  EXPECT_EQ(Mode(dir / "name"), 0600u);
  EXPECT_EQ(Read(dir / "mem"), "64");
  // Label changes appear after Update.
  pod.at("metadata").at("labels").as_object()["tier"] = "db";
  auto changed = manager_->Update(pod, ctx_);
  ASSERT_TRUE(changed.ok());
  EXPECT_THAT(*changed, ElementsAre("info"));
  EXPECT_EQ(Read(dir / "labels"), "app=\"web\"\ntier=\"db\"");
}

TEST_F(VolumesTest, ProjectedVolume) {
  auto pod = Pod(R"([{"name":"kube-api-access","projected":{"defaultMode":420,"sources":[
      {"serviceAccountToken":{"path":"token","expirationSeconds":3607}},
      {"configMap":{"name":"cfg","items":[{"key":"app.conf","path":"ca.crt"}]}},
      {"secret":{"name":"sec"}},
      {"secret":{"name":"absent","optional":true}},
      {"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"apiVersion":"v1","fieldPath":"metadata.namespace"}}]}}]}}])");
  auto volumes = manager_->Setup(pod, ctx_);
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  fs::path dir = PluginDir("kubernetes.io~projected", "kube-api-access");
  EXPECT_EQ(Read(dir / "token"), "token-for--3607");
  EXPECT_EQ(Read(dir / "ca.crt"), "port=80");
  EXPECT_EQ(Read(dir / "password"), "s3cr3t");
  EXPECT_EQ(Read(dir / "namespace"), "ns");
  EXPECT_EQ(Mode(dir / "namespace"), 0644u);
}

TEST_F(VolumesTest, UpdateRewritesChangedConfigMapInPlace) {
  auto pod = Pod(R"([{"name":"cfg","configMap":{"name":"cfg"}},{"name":"tmp","emptyDir":{}}])");
  ASSERT_TRUE(manager_->Setup(pod, ctx_).ok());
  fs::path dir = PluginDir("kubernetes.io~configmap", "cfg");
  std::string before = fs::read_symlink(dir / "..data").string();
  auto unchanged = manager_->Update(pod, ctx_);
  ASSERT_TRUE(unchanged.ok());
  EXPECT_TRUE(unchanged->empty());

  objects_.Add(ObjectKind::kConfigMap,
               J(R"({"metadata":{"name":"cfg","namespace":"ns"},"data":{"app.conf":"port=8080"}})"));
  auto changed = manager_->Update(pod, ctx_);
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_THAT(*changed, ElementsAre("cfg"));
  EXPECT_EQ(Read(dir / "app.conf"), "port=8080");
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir / "extra")));
  EXPECT_FALSE(fs::exists(dir / before));
  EXPECT_NE(fs::read_symlink(dir / "..data").string(), before);

  // The object disappearing is an error, and the old content stays.
  objects_.Remove(ObjectKind::kConfigMap, "ns", "cfg");
  EXPECT_TRUE(absl::IsNotFound(manager_->Update(pod, ctx_).status()));
  EXPECT_EQ(Read(dir / "app.conf"), "port=8080");
}

TEST_F(VolumesTest, PersistentVolumeClaims) {
  fs::path data = root_ / "pv-data";
  fs::create_directories(data);
  boost::json::value pv =
      J(R"({"metadata":{"name":"pv1"},"spec":{"hostPath":{},"claimRef":{"name":"claim","namespace":"ns"}}})");
  pv.at("spec").at("hostPath").as_object()["path"] = data.string();
  objects_.Add(ObjectKind::kPersistentVolume, pv);
  objects_.Add(
      ObjectKind::kPersistentVolumeClaim,
      J(R"({"metadata":{"name":"claim","namespace":"ns"},"spec":{"volumeName":"pv1"},"status":{"phase":"Bound"}})"));
  objects_.Add(
      ObjectKind::kPersistentVolumeClaim,
      J(R"({"metadata":{"name":"pending","namespace":"ns"},"spec":{},"status":{"phase":"Pending"}})"));
  boost::json::value local = J(R"({"metadata":{"name":"pv2"},"spec":{"local":{}}})");
  local.at("spec").at("local").as_object()["path"] = data.string();
  objects_.Add(ObjectKind::kPersistentVolume, local);
  objects_.Add(
      ObjectKind::kPersistentVolumeClaim,
      J(R"({"metadata":{"name":"local","namespace":"ns"},"spec":{"volumeName":"pv2"},"status":{"phase":"Bound"}})"));
  objects_.Add(ObjectKind::kPersistentVolume,
               J(R"({"metadata":{"name":"pv3"},"spec":{"nfs":{"server":"x","path":"/"}}})"));
  objects_.Add(
      ObjectKind::kPersistentVolumeClaim,
      J(R"({"metadata":{"name":"nfs","namespace":"ns"},"spec":{"volumeName":"pv3"},"status":{"phase":"Bound"}})"));

  auto volumes =
      manager_->Setup(Pod(R"([{"name":"d","persistentVolumeClaim":{"claimName":"claim","readOnly":true}},
                                          {"name":"l","persistentVolumeClaim":{"claimName":"local"}}])"),
                      ctx_);
  ASSERT_TRUE(volumes.ok()) << volumes.status();
  EXPECT_EQ(volumes->at("d").host_path, data.string());
  EXPECT_TRUE(volumes->at("d").read_only);
  EXPECT_EQ(volumes->at("l").host_path, data.string());
  EXPECT_FALSE(volumes->at("l").read_only);

  EXPECT_THAT(manager_->Setup(Pod(R"([{"name":"x","persistentVolumeClaim":{"claimName":"pending"}}])"), ctx_)
                  .status()
                  .message(),
              HasSubstr("PVC ns/pending is not bound"));
  EXPECT_THAT(manager_->Setup(Pod(R"([{"name":"x","persistentVolumeClaim":{"claimName":"nope"}}])"), ctx_)
                  .status()
                  .message(),
              HasSubstr("persistentvolumeclaim \"nope\" not found"));
  EXPECT_THAT(manager_->Setup(Pod(R"([{"name":"x","persistentVolumeClaim":{"claimName":"nfs"}}])"), ctx_)
                  .status()
                  .message(),
              HasSubstr("only hostPath and local are supported"));
}

TEST_F(VolumesTest, UnsupportedVolumeKind) {
  auto result = manager_->Setup(Pod(R"([{"name":"x","iscsi":{}}])"), ctx_);
  EXPECT_TRUE(absl::IsInvalidArgument(result.status()));
  EXPECT_THAT(result.status().message(), HasSubstr("unsupported volume type"));
}

}  // namespace
}  // namespace skiff::agent::podspec

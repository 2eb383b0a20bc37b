// ServiceAllocations through ResourceStorage on a real SQLite store: ClusterIP and NodePort
// allocation, requested values, conflicts, release on update and delete, rebuild after restart.
#include "apiserver/service_allocations.h"

#include <filesystem>
#include <set>

#include "absl/strings/str_cat.h"
#include "api/resources.h"
#include "api/schema.h"
#include "apiserver/range_allocator.h"
#include "apiserver/schema_admission.h"
#include "apiserver/selection.h"
#include "base/ipv4.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"
#include "http/errors.h"
#include "storage/sqlite/sqlite_store.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

TEST(RangeAllocatorTest, PrefersUpperBandAndFillsEverything) {
  RangeAllocator r(100, 20, 5);
  std::set<uint64_t> seen;
  for (int i = 0; i < 15; ++i) {
    auto v = r.Allocate();
    ASSERT_TRUE(v);
    EXPECT_GE(*v, 105u);
    seen.insert(*v);
  }
  for (int i = 0; i < 5; ++i) seen.insert(*r.Allocate());
  EXPECT_EQ(seen.size(), 20u);
  EXPECT_FALSE(r.Allocate());
  EXPECT_EQ(r.Take(100), RangeAllocator::TakeResult::kAlreadyTaken);
  EXPECT_EQ(r.Take(120), RangeAllocator::TakeResult::kOutOfRange);
  r.Release(110);
  EXPECT_EQ(*r.Allocate(), 110u);
}

class ServiceAllocationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("skiff-svc-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Open();
    ASSERT_TRUE(rs_->Create(*api::FindResource("", "v1", "namespaces"), "",
                            Parse(R"({"metadata":{"name":"default"}})"), {})
                    .ok());
  }
  void Open() {
    storage::SqliteOptions options;
    options.path = (dir_ / "state.db").string();
    store_ = std::move(*storage::SqliteStore::Open(options));
    WatchCache::Options cache_options;
    cache_options.field_indexer = CatalogueFieldIndexer();
    cache_ = std::make_unique<WatchCache>(store_.get(), cache_options);
    ASSERT_TRUE(cache_->Start().ok());
    admission_ = std::make_unique<SchemaAdmission>(api::BuiltinSchemas());
    rs_ = std::make_unique<ResourceStorage>(store_.get(), cache_.get(), &base::RealClock(), admission_.get());
    alloc_ = std::move(
        *ServiceAllocations::Create({.service_cidr = "10.96.0.0/24", .node_port_range = "30000-30009"}));
    rs_->AddWriteHook(alloc_.get());
  }
  void Close() {
    rs_.reset();
    alloc_.reset();
    cache_.reset();
    store_.reset();
  }
  void TearDown() override {
    Close();
    std::filesystem::remove_all(dir_);
  }
  static json::value Parse(const std::string& text) { return *base::ParseJson(text); }
  absl::StatusOr<json::value> Create(const std::string& body) {
    auto made = rs_->Create(*svc_, "default", Parse(body), {});
    if (!made.ok()) return made.status();
    return (*made)->Parse();
  }
  absl::StatusOr<json::value> Replace(const std::string& name, const std::string& body) {
    auto updated = rs_->Update(
        *svc_, "default", name, [&](const ObjectPtr&) -> absl::StatusOr<json::value> { return Parse(body); },
        {}, true);
    if (!updated.ok()) return updated.status();
    return (*updated)->Parse();
  }
  absl::Status Delete(const std::string& name) {
    bool deleted = false;
    return rs_->Delete(*svc_, "default", name, {}, &deleted).status();
  }
  static std::string Message(const absl::Status& s) {
    return std::string(api::StatusObject(s).at("message").as_string());
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::SqliteStore> store_;
  std::unique_ptr<WatchCache> cache_;
  std::unique_ptr<SchemaAdmission> admission_;
  std::unique_ptr<ResourceStorage> rs_;
  std::unique_ptr<ServiceAllocations> alloc_;
  const api::ResourceInfo* svc_ = api::FindResource("", "v1", "services");
};

constexpr char kClusterIp[] = R"({"metadata":{"name":"web"},"spec":{"selector":{"app":"web"},
    "ports":[{"port":80,"targetPort":8080}]}})";

TEST_F(ServiceAllocationsTest, AllocatesClusterIpWithDefaults) {
  auto svc = Create(kClusterIp);
  ASSERT_TRUE(svc.ok()) << svc.status();
  std::string ip = base::GetString(*svc, {"spec", "clusterIP"});
  uint32_t parsed = 0;
  ASSERT_TRUE(base::ParseIpv4(ip, &parsed));
  EXPECT_TRUE(alloc_->cidr().Contains(parsed));
  EXPECT_NE(ip, "10.96.0.0");
  EXPECT_NE(ip, "10.96.0.255");
  EXPECT_EQ(base::ToJson(*base::FindPath(*svc, {"spec", "clusterIPs"})), "[\"" + ip + "\"]");
  EXPECT_EQ(base::GetString(*svc, {"spec", "ipFamilyPolicy"}), "SingleStack");
  EXPECT_EQ(base::GetString(*svc, {"spec", "internalTrafficPolicy"}), "Cluster");
  EXPECT_EQ(alloc_->ips_in_use(), 1u);
}

TEST_F(ServiceAllocationsTest, RequestedIpConflictsAndRange) {
  ASSERT_TRUE(
      Create(R"({"metadata":{"name":"a"},"spec":{"clusterIP":"10.96.0.10","ports":[{"port":53}]}})").ok());
  auto dup = Create(R"({"metadata":{"name":"b"},"spec":{"clusterIP":"10.96.0.10","ports":[{"port":53}]}})");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(api::HttpCode(dup.status()), 422);
  EXPECT_NE(Message(dup.status()).find("provided IP is already allocated"), std::string::npos)
      << Message(dup.status());
  auto outside = Create(R"({"metadata":{"name":"c"},"spec":{"clusterIP":"10.0.0.1","ports":[{"port":53}]}})");
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(Message(outside.status()).find("The range of valid IPs is 10.96.0.0/24"), std::string::npos);
  EXPECT_EQ(alloc_->ips_in_use(), 1u);  // nothing leaked by the failed creates
  ASSERT_TRUE(Delete("a").ok());
  EXPECT_EQ(alloc_->ips_in_use(), 0u);
  EXPECT_TRUE(
      Create(R"({"metadata":{"name":"b"},"spec":{"clusterIP":"10.96.0.10","ports":[{"port":53}]}})").ok());
}

TEST_F(ServiceAllocationsTest, HeadlessAndExternalNameTakeNoIp) {
  auto headless = Create(R"({"metadata":{"name":"h"},"spec":{"clusterIP":"None","selector":{"a":"b"}}})");
  ASSERT_TRUE(headless.ok()) << headless.status();
  EXPECT_EQ(base::GetString(*headless, {"spec", "clusterIP"}), "None");
  auto ext =
      Create(R"({"metadata":{"name":"e"},"spec":{"type":"ExternalName","externalName":"example.com"}})");
  ASSERT_TRUE(ext.ok()) << ext.status();
  EXPECT_EQ(base::FindPath(*ext, {"spec", "clusterIP"}), nullptr);
  EXPECT_EQ(alloc_->ips_in_use(), 0u);
  auto missing = Create(R"({"metadata":{"name":"x"},"spec":{"type":"ExternalName"}})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(Message(missing.status()).find("spec.externalName: Required value"), std::string::npos);
}

TEST_F(ServiceAllocationsTest, NodePortsAllocatedRequestedAndReleased) {
  auto np = Create(R"({"metadata":{"name":"np"},"spec":{"type":"NodePort","ports":[
      {"name":"a","port":80},{"name":"b","port":81,"nodePort":30005}]}})");
  ASSERT_TRUE(np.ok()) << np.status();
  const auto& ports = base::FindPath(*np, {"spec", "ports"})->as_array();
  int64_t first = base::GetInt(ports[0], {"nodePort"});
  EXPECT_GE(first, 30000);
  EXPECT_LE(first, 30009);
  EXPECT_EQ(base::GetInt(ports[1], {"nodePort"}), 30005);
  EXPECT_EQ(base::GetString(*np, {"spec", "externalTrafficPolicy"}), "Cluster");
  auto clash = Create(
      R"({"metadata":{"name":"np2"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30005}]}})");
  ASSERT_FALSE(clash.ok());
  EXPECT_NE(Message(clash.status())
                .find("spec.ports[0].nodePort: Invalid value: 30005: provided port is already allocated"),
            std::string::npos)
      << Message(clash.status());
  auto low =
      Create(R"({"metadata":{"name":"np3"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":80}]}})");
  ASSERT_FALSE(low.ok());
  EXPECT_NE(Message(low.status()).find("The range of valid ports is 30000-30009"), std::string::npos);
  auto forbidden = Create(R"({"metadata":{"name":"np4"},"spec":{"ports":[{"port":80,"nodePort":30001}]}})");
  ASSERT_FALSE(forbidden.ok());
  EXPECT_NE(Message(forbidden.status()).find("may not be used when `type` is 'ClusterIP'"),
            std::string::npos);
  EXPECT_EQ(alloc_->node_ports_in_use(), 2u);

  // An update that omits clusterIP and nodePorts keeps them (kubectl replace).
  std::string ip = base::GetString(*np, {"spec", "clusterIP"});
  auto kept = Replace("np", R"({"metadata":{"name":"np"},"spec":{"type":"NodePort","ports":[
      {"name":"a","port":80},{"name":"b","port":81}]}})");
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(base::GetString(*kept, {"spec", "clusterIP"}), ip);
  EXPECT_EQ(base::GetInt(base::FindPath(*kept, {"spec", "ports"})->as_array()[0], {"nodePort"}), first);
  EXPECT_EQ(alloc_->node_ports_in_use(), 2u);
  // A changed clusterIP is refused (another address than the random one allocated).
  std::string other = ip == "10.96.0.77" ? "10.96.0.78" : "10.96.0.77";
  auto moved = Replace("np", absl::StrCat(R"({"metadata":{"name":"np"},"spec":{"type":"NodePort","clusterIP":")",
                                          other, R"(","ports":[{"name":"a","port":80},{"name":"b","port":81}]}})"));
  ASSERT_FALSE(moved.ok());
  EXPECT_NE(Message(moved.status()).find("may not change once set"), std::string::npos);

  // Back to ClusterIP: node ports and externalTrafficPolicy go, their ports are free again.
  json::value back = *kept;
  back.as_object()["spec"].as_object()["type"] = "ClusterIP";
  auto clusterip = Replace("np", base::ToJson(back));
  ASSERT_TRUE(clusterip.ok()) << clusterip.status();
  EXPECT_EQ(base::GetInt(base::FindPath(*clusterip, {"spec", "ports"})->as_array()[0], {"nodePort"}), 0);
  EXPECT_EQ(base::FindPath(*clusterip, {"spec", "externalTrafficPolicy"}), nullptr);
  EXPECT_EQ(alloc_->node_ports_in_use(), 0u);
  EXPECT_EQ(alloc_->ips_in_use(), 1u);
  // To ExternalName: the IP goes too.
  auto ext = Replace(
      "np", R"({"metadata":{"name":"np"},"spec":{"type":"ExternalName","externalName":"a.example"}})");
  ASSERT_TRUE(ext.ok()) << ext.status();
  EXPECT_EQ(alloc_->ips_in_use(), 0u);
}

TEST_F(ServiceAllocationsTest, FullRangeIsAClearError) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(Create("{\"metadata\":{\"name\":\"s" + std::to_string(i) +
                       "\"},\"spec\":{\"type\":\"NodePort\",\"ports\":[{\"port\":80}]}}")
                    .ok());
  }
  auto full = Create(R"({"metadata":{"name":"over"},"spec":{"type":"NodePort","ports":[{"port":80}]}})");
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(api::HttpCode(full.status()), 422);
  EXPECT_NE(Message(full.status()).find("range is full"), std::string::npos);
  EXPECT_EQ(alloc_->ips_in_use(), 10u);  // the failed create gave its IP back
}

TEST_F(ServiceAllocationsTest, DryRunKeepsNothing) {
  WriteOptions dry;
  dry.dry_run = true;
  auto made = rs_->Create(*svc_, "default", Parse(kClusterIp), dry);
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_FALSE(base::GetString((*made)->Parse(), {"spec", "clusterIP"}).empty());
  EXPECT_EQ(alloc_->ips_in_use(), 0u);
}

TEST_F(ServiceAllocationsTest, RebuildAfterRestartKeepsEveryValue) {
  auto a = Create(
      R"({"metadata":{"name":"a"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30003}]}})");
  ASSERT_TRUE(a.ok());
  std::string ip = base::GetString(*a, {"spec", "clusterIP"});
  Close();
  Open();
  std::string prefix = ResourcePrefix("", "services");
  bool more = false;
  std::vector<json::value> stored;
  for (const auto& o : cache_->List(prefix, prefix, nullptr, "", 0, &more).objects)
    stored.push_back(o->Parse());
  alloc_->Rebuild(stored);
  EXPECT_EQ(alloc_->ips_in_use(), 1u);
  EXPECT_EQ(alloc_->node_ports_in_use(), 1u);
  auto clash = Create("{\"metadata\":{\"name\":\"b\"},\"spec\":{\"clusterIP\":\"" + ip +
                      "\",\"ports\":[{\"port\":1}]}}");
  EXPECT_FALSE(clash.ok());
  auto port_clash = Create(
      R"({"metadata":{"name":"c"},"spec":{"type":"NodePort","ports":[{"port":80,"nodePort":30003}]}})");
  EXPECT_FALSE(port_clash.ok());
}

TEST_F(ServiceAllocationsTest, StaticPortRules) {
  auto unnamed = Create(R"({"metadata":{"name":"u"},"spec":{"ports":[{"port":80},{"port":81}]}})");
  ASSERT_FALSE(unnamed.ok());
  EXPECT_NE(Message(unnamed.status()).find("spec.ports[0].name: Required value"), std::string::npos);
  auto dup =
      Create(R"({"metadata":{"name":"d"},"spec":{"ports":[{"name":"a","port":80},{"name":"a","port":81}]}})");
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(Message(dup.status()).find("spec.ports[1].name: Duplicate value: \"a\""), std::string::npos)
      << Message(dup.status());
  auto target =
      Create(R"({"metadata":{"name":"t"},"spec":{"ports":[{"port":80,"targetPort":"Not_Valid"}]}})");
  ASSERT_FALSE(target.ok());
  EXPECT_NE(Message(target.status()).find("spec.ports[0].targetPort"), std::string::npos);
  auto none = Create(R"({"metadata":{"name":"n"},"spec":{"selector":{"a":"b"}}})");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(Message(none.status()).find("spec.ports: Required value"), std::string::npos);
  EXPECT_EQ(alloc_->ips_in_use(), 0u);
}

}  // namespace
}  // namespace skiff::apiserver

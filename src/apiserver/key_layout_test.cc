#include "apiserver/key_layout.h"

#include "api/resources.h"
#include "gtest/gtest.h"

namespace skiff::apiserver {
namespace {

// The paths kube-apiserver uses in etcd (Kubernetes' test/integration/etcd storage data).
TEST(KeyLayoutTest, ResourcePrefixesAreKubernetes) {
  EXPECT_EQ(ResourcePrefix("", "pods"), "/registry/pods/");
  EXPECT_EQ(ResourcePrefix("", "services"), "/registry/services/specs/");
  EXPECT_EQ(ResourcePrefix("", "endpoints"), "/registry/services/endpoints/");
  EXPECT_EQ(ResourcePrefix("", "nodes"), "/registry/minions/");
  EXPECT_EQ(ResourcePrefix("", "replicationcontrollers"), "/registry/controllers/");
  EXPECT_EQ(ResourcePrefix("apps", "deployments"), "/registry/deployments/");
  EXPECT_EQ(ResourcePrefix("rbac.authorization.k8s.io", "clusterroles"), "/registry/clusterroles/");
  EXPECT_EQ(ResourcePrefix("coordination.k8s.io", "leases"), "/registry/leases/");
  EXPECT_EQ(ResourcePrefix("networking.k8s.io", "ingresses"), "/registry/ingress/");
  EXPECT_EQ(ResourcePrefix("apiregistration.k8s.io", "apiservices"),
            "/registry/apiregistration.k8s.io/apiservices/");
  EXPECT_EQ(ResourcePrefix("example.com", "widgets"), "/registry/example.com/widgets/");
  EXPECT_EQ(ObjectKey(ResourcePrefix("", "pods"), "ns", "a"), "/registry/pods/ns/a");
  EXPECT_EQ(ObjectKey(ResourcePrefix("", "namespaces"), "", "ns"), "/registry/namespaces/ns");
}

TEST(KeyLayoutTest, EveryStoredResourceHasItsOwnPrefixAndKeysMapBack) {
  std::map<std::string, std::string> owner;
  for (const api::ResourceInfo& r : api::AllResources()) {
    if (!r.stored) continue;
    std::string prefix = ResourcePrefix(r.group, r.plural);
    std::string qualified = r.QualifiedPlural();
    auto [it, inserted] = owner.emplace(prefix, qualified);
    EXPECT_TRUE(inserted || it->second == qualified)
        << prefix << " shared by " << it->second << " and " << qualified;
    for (const char* ns : {"", "default"}) {
      std::string key = ObjectKey(prefix, ns, "name");
      EXPECT_EQ(ResourcePrefixOfKey(key), prefix) << key;
      EXPECT_EQ(MigratedKey(key), key) << "a current key must not move: " << key;
    }
  }
}

TEST(KeyLayoutTest, FirstLayoutKeysMigrate) {
  EXPECT_EQ(MigratedKey("/registry/core/pods/ns/a"), "/registry/pods/ns/a");
  EXPECT_EQ(MigratedKey("/registry/core/services/ns/s"), "/registry/services/specs/ns/s");
  EXPECT_EQ(MigratedKey("/registry/core/nodes/n1"), "/registry/minions/n1");
  EXPECT_EQ(MigratedKey("/registry/apps/deployments/ns/d"), "/registry/deployments/ns/d");
  EXPECT_EQ(MigratedKey("/registry/rbac.authorization.k8s.io/roles/ns/r"), "/registry/roles/ns/r");
  EXPECT_EQ(MigratedKey("/registry/events.k8s.io/events/ns/e"), "/registry/events.k8s.io/events/ns/e");
  EXPECT_EQ(MigratedKey("/registry/apiregistration.k8s.io/apiservices/v1.apps"),
            "/registry/apiregistration.k8s.io/apiservices/v1.apps");
  EXPECT_EQ(MigratedKey("/other/core/pods/a"), "/other/core/pods/a");
}

TEST(KeyLayoutTest, PrefixOfMalformedKeysIsEmpty) {
  EXPECT_EQ(ResourcePrefixOfKey("/registry/pods"), "");
  EXPECT_EQ(ResourcePrefixOfKey("/registry/services/specs"), "");
  EXPECT_EQ(ResourcePrefixOfKey("/elsewhere/pods/a"), "");
}

}  // namespace
}  // namespace skiff::apiserver

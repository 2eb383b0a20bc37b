#include "api/table.h"

#include <string>
#include <vector>

#include "base/clock.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

namespace json = boost::json;

// Objects in these tests are created at 11:55 and printed at 12:00, so AGE is "5m".
constexpr char kCreated[] = "2024-05-01T11:55:00Z";

absl::Time Now() {
  absl::Time t;
  EXPECT_TRUE(base::ParseRfc3339("2024-05-01T12:00:00Z", &t));
  return t;
}

json::value Json(const std::string& text) {
  auto v = base::ParseJson(text);
  EXPECT_TRUE(v.ok()) << v.status() << "\n" << text;
  return v.ok() ? *v : json::value();
}

const ResourceInfo& Resource(const std::string& group, const std::string& version,
                             const std::string& plural) {
  const ResourceInfo* r = FindResource(group, version, plural);
  EXPECT_NE(r, nullptr) << group << "/" << version << "/" << plural;
  static ResourceInfo none;
  return r ? *r : none;
}

// An object with name `name`, created at kCreated, plus the given top-level fields (a JSON object
// body without braces, e.g. `"spec":{...}`).
json::value Obj(const std::string& name, const std::string& fields, const std::string& extra_meta = "") {
  std::string meta = std::string(R"({"name":")") + name + R"(","namespace":"default","creationTimestamp":")" +
                     kCreated + "\"" + (extra_meta.empty() ? "" : "," + extra_meta) + "}";
  return Json("{\"metadata\":" + meta + (fields.empty() ? "" : "," + fields) + "}");
}

json::value Table(const ResourceInfo& r, const json::value& obj, TableOptions options = {}) {
  options.now = Now();
  return ToTable(r, {&obj}, options);
}

// "Name:0,Age:0,IP:1" - column names with their priorities.
std::string Columns(const json::value& table) {
  std::string out;
  for (const auto& c : table.at("columnDefinitions").as_array()) {
    if (!out.empty()) out += ",";
    out += std::string(c.at("name").as_string()) + ":" + std::to_string(c.at("priority").as_int64());
  }
  return out;
}

json::value Cells(const ResourceInfo& r, const json::value& obj) {
  return Table(r, obj).at("rows").as_array().at(0).at("cells");
}

TEST(TableTest, EnvelopeCarriesMetadataAndPartialObjects) {
  const auto& pods = Resource("", "v1", "pods");
  json::value pod =
      Obj("web", R"("spec":{"containers":[{"name":"c"}]})", R"("managedFields":[{}],"labels":{"a":"b"})");
  TableOptions options;
  options.resource_version = "42";
  options.continue_token = "next";
  json::value t = Table(pods, pod, options);
  EXPECT_EQ(t.at("kind"), "Table");
  EXPECT_EQ(t.at("apiVersion"), "meta.k8s.io/v1");
  EXPECT_EQ(t.at("metadata"), Json(R"({"resourceVersion":"42","continue":"next"})"));
  const auto& object = t.at("rows").at(0).at("object");
  EXPECT_EQ(object.at("kind"), "PartialObjectMetadata");
  EXPECT_EQ(object.at("metadata").at("labels"), Json(R"({"a":"b"})"));
  EXPECT_FALSE(object.at("metadata").as_object().contains("managedFields"));
  EXPECT_EQ(t.at("columnDefinitions").at(0).at("format"), "name");

  options.include_object = IncludeObject::kNone;
  options.include_column_definitions = false;
  t = Table(pods, pod, options);
  EXPECT_TRUE(t.at("columnDefinitions").is_null());
  EXPECT_FALSE(t.at("rows").at(0).as_object().contains("object"));
  options.include_object = IncludeObject::kObject;
  EXPECT_EQ(Table(pods, pod, options).at("rows").at(0).at("object"), pod);
}

TEST(TableTest, PodColumnsAndRunningPodWithRestarts) {
  const auto& pods = Resource("", "v1", "pods");
  json::value pod = Obj("web", R"("spec":{"nodeName":"n1","containers":[{"name":"a"},{"name":"b"}],
      "readinessGates":[{"conditionType":"example.com/lb"}]},
    "status":{"phase":"Running","podIP":"10.0.0.9","podIPs":[{"ip":"10.0.0.5"}],
      "conditions":[{"type":"example.com/lb","status":"True"},{"type":"Ready","status":"False"}],
      "containerStatuses":[
        {"name":"a","ready":true,"restartCount":2,"state":{"running":{}},
         "lastState":{"terminated":{"exitCode":1,"finishedAt":"2024-05-01T11:58:00Z"}}},
        {"name":"b","ready":false,"restartCount":0,"state":{"running":{}}}]})");
  json::value t = Table(pods, pod);
  EXPECT_EQ(Columns(t),
            "Name:0,Ready:0,Status:0,Restarts:0,Age:0,IP:1,Node:1,Nominated Node:1,Readiness Gates:1");
  EXPECT_EQ(t.at("rows").at(0).at("cells"),
            Json(R"j(["web","1/2","Running","2 (2m ago)","5m","10.0.0.5","n1","<none>","1/1"])j"));
}

TEST(TableTest, PodStatusReasons) {
  const auto& pods = Resource("", "v1", "pods");
  auto status_of = [&](const std::string& fields, const std::string& meta = "") {
    return Cells(pods, Obj("p", fields, meta)).at(2);
  };
  // Pending, nothing reported yet.
  EXPECT_EQ(status_of(R"("spec":{"containers":[{"name":"a"}]},"status":{"phase":"Pending"})"), "Pending");
  // Waiting reason wins.
  EXPECT_EQ(status_of(R"("spec":{"containers":[{"name":"a"}]},"status":{"phase":"Running",
      "containerStatuses":[{"name":"a","state":{"waiting":{"reason":"CrashLoopBackOff"}}}]})"),
            "CrashLoopBackOff");
  // Terminated without reason.
  EXPECT_EQ(status_of(R"("spec":{"containers":[{"name":"a"}]},"status":{"phase":"Failed",
      "containerStatuses":[{"name":"a","state":{"terminated":{"exitCode":3}}}]})"),
            "ExitCode:3");
  // Init containers still running.
  EXPECT_EQ(status_of(R"("spec":{"initContainers":[{"name":"i"}],"containers":[{"name":"a"}]},
      "status":{"phase":"Pending","initContainerStatuses":[{"name":"i","state":{"running":{}}}],
      "containerStatuses":[{"name":"a","state":{"waiting":{"reason":"PodInitializing"}}}]})"),
            "Init:0/1");
  EXPECT_EQ(status_of(R"("spec":{"initContainers":[{"name":"i"}],"containers":[{"name":"a"}]},
      "status":{"phase":"Pending","initContainerStatuses":[{"name":"i","state":{"waiting":{"reason":"ImagePullBackOff"}}}]})"),
            "Init:ImagePullBackOff");
  // Scheduling gates.
  EXPECT_EQ(status_of(R"("spec":{"containers":[{"name":"a"}]},"status":{"phase":"Pending",
      "conditions":[{"type":"PodScheduled","status":"False","reason":"SchedulingGated"}]})"),
            "SchedulingGated");
  // Deleted but not finished; finished pods keep their phase.
  EXPECT_EQ(status_of(R"("spec":{"containers":[{"name":"a"}]},"status":{"phase":"Running"})",
                      R"("deletionTimestamp":"2024-05-01T11:59:00Z")"),
            "Terminating");
  EXPECT_EQ(status_of(R"("spec":{"containers":[{"name":"a"}]},"status":{"phase":"Succeeded",
      "containerStatuses":[{"name":"a","state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]})",
                      R"("deletionTimestamp":"2024-05-01T11:59:00Z")"),
            "Completed");
}

TEST(TableTest, PodSidecarsCountAsContainers) {
  const auto& pods = Resource("", "v1", "pods");
  json::value cells =
      Cells(pods, Obj("p", R"("spec":{"initContainers":[{"name":"side","restartPolicy":"Always"}],
      "containers":[{"name":"a"}]},
    "status":{"phase":"Running","conditions":[{"type":"Initialized","status":"True"}],
      "initContainerStatuses":[{"name":"side","started":true,"ready":true,"restartCount":1,"state":{"running":{}}}],
      "containerStatuses":[{"name":"a","ready":true,"restartCount":0,"state":{"running":{}}}]})"));
  EXPECT_EQ(cells.at(1), "2/2");
  EXPECT_EQ(cells.at(2), "Running");
  EXPECT_EQ(cells.at(3), "1");  // no lastState: no "(... ago)"
}

TEST(TableTest, PodTemplate) {
  const auto& r = Resource("", "v1", "podtemplates");
  json::value t = Table(r, Obj("tpl", R"("template":{"metadata":{"labels":{"b":"2","a":"1"}},
      "spec":{"containers":[{"name":"x","image":"busybox"},{"name":"y","image":"nginx"}]}})"));
  EXPECT_EQ(Columns(t), "Name:0,Containers:0,Images:0,Pod Labels:0");
  EXPECT_EQ(t.at("rows").at(0).at("cells"), Json(R"(["tpl","x,y","busybox,nginx","a=1,b=2"])"));
}

TEST(TableTest, Services) {
  const auto& r = Resource("", "v1", "services");
  json::value t =
      Table(r, Obj("np", R"("spec":{"type":"NodePort","clusterIP":"10.96.0.7","clusterIPs":["10.96.0.7"],
      "ports":[{"port":80,"nodePort":30080,"protocol":"TCP"},{"port":53,"protocol":"UDP"}],"selector":{"app":"web"}})"));
  EXPECT_EQ(Columns(t), "Name:0,Type:0,Cluster-IP:0,External-IP:0,Port(s):0,Age:0,Selector:1");
  EXPECT_EQ(t.at("rows").at(0).at("cells"),
            Json(R"(["np","NodePort","10.96.0.7","<none>","80:30080/TCP,53/UDP","5m","app=web"])"));
  EXPECT_EQ(
      Cells(
          r,
          Obj("lb",
              R"("spec":{"type":"LoadBalancer","clusterIP":"10.96.0.8","ports":[{"port":443,"nodePort":31000,"protocol":"TCP"}]})")),
      Json(R"(["lb","LoadBalancer","10.96.0.8","<pending>","443:31000/TCP","5m","<none>"])"));
  EXPECT_EQ(
      Cells(r, Obj("lb2", R"("spec":{"type":"LoadBalancer","clusterIP":"10.96.0.8","externalIPs":["1.2.3.4"]},
      "status":{"loadBalancer":{"ingress":[{"ip":"9.9.9.9"},{"hostname":"lb.example.com"},{"ip":"9.9.9.9"}]}})"))
          .at(3),
      "9.9.9.9,lb.example.com,1.2.3.4");
  EXPECT_EQ(Cells(r, Obj("ext", R"("spec":{"type":"ExternalName","externalName":"db.example.com"})")),
            Json(R"(["ext","ExternalName","<none>","db.example.com","<none>","5m","<none>"])"));
  EXPECT_EQ(Cells(r, Obj("headless", R"("spec":{"clusterIP":"None","ports":[{"port":80,"protocol":"TCP"}]})"))
                .at(2),
            "None");
}

TEST(TableTest, Nodes) {
  const auto& r = Resource("", "v1", "nodes");
  json::value t =
      Table(r, Obj("n1", R"("spec":{"unschedulable":true},
      "status":{"conditions":[{"type":"Ready","status":"True"}],
        "addresses":[{"type":"InternalIP","address":"192.168.1.5"}],
        "nodeInfo":{"kubeletVersion":"v1.32.4","kernelVersion":"6.1.0","containerRuntimeVersion":"containerd://1.7"}})",
                   R"("labels":{"node-role.kubernetes.io/control-plane":"","kubernetes.io/role":"edge"})"));
  EXPECT_EQ(Columns(t),
            "Name:0,Status:0,Roles:0,Age:0,Version:0,Internal-IP:1,External-IP:1,OS-Image:1,Kernel-Version:1,"
            "Container-Runtime:1");
  EXPECT_EQ(
      t.at("rows").at(0).at("cells"),
      Json(R"(["n1","Ready,SchedulingDisabled","control-plane,edge","5m","v1.32.4","192.168.1.5","<none>",
                     "<unknown>","6.1.0","containerd://1.7"])"));
  EXPECT_EQ(Cells(r, Obj("n2", "")).at(1), "Unknown");
}

TEST(TableTest, NamespaceConfigMapSecretServiceAccount) {
  EXPECT_EQ(Cells(Resource("", "v1", "namespaces"), Obj("ns", R"("status":{"phase":"Terminating"})")),
            Json(R"(["ns","Terminating","5m"])"));
  json::value cm =
      Table(Resource("", "v1", "configmaps"), Obj("cm", R"("data":{"a":"1","b":"2"},"binaryData":{"c":""})"));
  EXPECT_EQ(Columns(cm), "Name:0,Data:0,Age:0");
  EXPECT_EQ(cm.at("rows").at(0).at("cells"), Json(R"(["cm",3,"5m"])"));
  json::value secret = Table(Resource("", "v1", "secrets"),
                             Obj("s", R"("type":"kubernetes.io/tls","data":{"tls.crt":"","tls.key":""})"));
  EXPECT_EQ(Columns(secret), "Name:0,Type:0,Data:0,Age:0");
  EXPECT_EQ(secret.at("rows").at(0).at("cells"), Json(R"(["s","kubernetes.io/tls",2,"5m"])"));
  json::value sa =
      Table(Resource("", "v1", "serviceaccounts"), Obj("default", R"("secrets":[{"name":"tok"}])"));
  EXPECT_EQ(Columns(sa), "Name:0,Secrets:0,Age:0");
  EXPECT_EQ(sa.at("rows").at(0).at("cells"), Json(R"(["default",1,"5m"])"));
  EXPECT_EQ(Cells(Resource("", "v1", "serviceaccounts"), Obj("bare", "")), Json(R"(["bare",0,"5m"])"));
}

TEST(TableTest, Endpoints) {
  const auto& r = Resource("", "v1", "endpoints");
  EXPECT_EQ(Cells(r, Obj("none", "")), Json(R"(["none","<none>","5m"])"));
  EXPECT_EQ(Cells(r, Obj("web", R"("subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}],
      "ports":[{"name":"http","port":80},{"name":"https","port":443}]}])")),
            Json(R"(["web","10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...","5m"])"));
  EXPECT_EQ(
      Cells(r, Obj("v6", R"("subsets":[{"addresses":[{"ip":"fd00::1"}],"ports":[{"port":53}]}])")).at(1),
      "[fd00::1]:53");
  EXPECT_EQ(Cells(r, Obj("headless", R"("subsets":[{"addresses":[{"ip":"10.0.0.1"}]}])")).at(1), "10.0.0.1");
}

TEST(TableTest, ReplicationControllerUsesMapSelector) {
  const auto& r = Resource("", "v1", "replicationcontrollers");
  json::value t = Table(r, Obj("rc", R"("spec":{"replicas":3,"selector":{"app":"web"},
      "template":{"spec":{"containers":[{"name":"c","image":"nginx"}]}}},"status":{"replicas":3,"readyReplicas":2})"));
  EXPECT_EQ(Columns(t), "Name:0,Desired:0,Current:0,Ready:0,Age:0,Containers:1,Images:1,Selector:1");
  EXPECT_EQ(t.at("rows").at(0).at("cells"), Json(R"(["rc",3,3,2,"5m","c","nginx","app=web"])"));
}

TEST(TableTest, ResourceQuota) {
  const auto& r = Resource("", "v1", "resourcequotas");
  json::value t =
      Table(r, Obj("q", R"("status":{"hard":{"pods":"10","requests.cpu":"1","limits.memory":"2048Mi",
      "limits.cpu":"2"},"used":{"pods":"2","requests.cpu":"500m","limits.memory":"1Gi"}})"));
  EXPECT_EQ(Columns(t), "Name:0,Request:0,Limit:0,Age:0");
  EXPECT_EQ(
      t.at("rows").at(0).at("cells"),
      Json(R"(["q","pods: 2/10, requests.cpu: 500m/1","limits.cpu: 0/2, limits.memory: 1Gi/2Gi","5m"])"));
}

TEST(TableTest, PersistentVolumes) {
  const auto& r = Resource("", "v1", "persistentvolumes");
  json::value t = Table(r, Obj("pv1", R"("spec":{"capacity":{"storage":"1024Mi"},
      "accessModes":["ReadWriteMany","ReadWriteOnce"],"persistentVolumeReclaimPolicy":"Retain","storageClassName":"slow",
      "claimRef":{"namespace":"default","name":"data"},"volumeMode":"Filesystem"},"status":{"phase":"Bound"})"));
  EXPECT_EQ(Columns(t),
            "Name:0,Capacity:0,Access Modes:0,Reclaim Policy:0,Status:0,Claim:0,StorageClass:0,"
            "VolumeAttributesClass:0,Reason:0,Age:0,VolumeMode:1");
  EXPECT_EQ(
      t.at("rows").at(0).at("cells"),
      Json(
          R"(["pv1","1Gi","RWO,RWX","Retain","Bound","default/data","slow","<unset>","","5m","Filesystem"])"));
}

TEST(TableTest, PersistentVolumeClaims) {
  const auto& r = Resource("", "v1", "persistentvolumeclaims");
  json::value t = Table(
      r, Obj("data", R"("spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},
      "storageClassName":"standard","volumeName":"pv1","volumeMode":"Filesystem"},
      "status":{"phase":"Bound","accessModes":["ReadWriteOnce","ReadWriteOncePod"],"capacity":{"storage":"2Gi"}})"));
  EXPECT_EQ(Columns(t),
            "Name:0,Status:0,Volume:0,Capacity:0,Access Modes:0,StorageClass:0,VolumeAttributesClass:0,Age:0,"
            "VolumeMode:1");
  EXPECT_EQ(t.at("rows").at(0).at("cells"),
            Json(R"(["data","Bound","pv1","2Gi","RWO,RWOP","standard","<unset>","5m","Filesystem"])"));
  // Unbound: no capacity or modes yet; the beta annotation names the class.
  EXPECT_EQ(
      Cells(r, Obj("pending", R"("spec":{"accessModes":["ReadWriteOnce"]},"status":{"phase":"Pending"})",
                   R"("annotations":{"volume.beta.kubernetes.io/storage-class":"fast"})")),
      Json(R"(["pending","Pending","","","","fast","<unset>","5m","<unset>"])"));
}

TEST(TableTest, CoreEvents) {
  const auto& r = Resource("", "v1", "events");
  json::value t = Table(
      r, Obj("web.17a", R"("involvedObject":{"kind":"Pod","name":"web","fieldPath":"spec.containers{c}"},
      "reason":"Pulled","message":"  Pulled image \n","type":"Normal","count":3,
      "firstTimestamp":"2024-05-01T11:50:00Z","lastTimestamp":"2024-05-01T11:59:00Z",
      "source":{"component":"kubelet","host":"n1"})"));
  EXPECT_EQ(
      Columns(t),
      "Last Seen:0,Type:0,Reason:0,Object:0,Subobject:1,Source:1,Message:0,First Seen:1,Count:1,Name:1");
  EXPECT_EQ(
      t.at("rows").at(0).at("cells"),
      Json(R"(["60s","Normal","Pulled","pod/web","spec.containers{c}","kubelet, n1","Pulled image","10m",3,
                     "web.17a"])"));
  // New-style event written through core/v1: eventTime, series, reporting fields.
  EXPECT_EQ(Cells(r, Obj("e2", R"("involvedObject":{"kind":"Node"},"reason":"R","type":"Warning",
      "eventTime":"2024-05-01T11:58:00.000000Z","reportingComponent":"ctrl","reportingInstance":"ctrl-1",
      "series":{"count":7,"lastObservedTime":"2024-05-01T11:59:30.000000Z"})")),
            Json(R"(["30s","Warning","R","node","","ctrl, ctrl-1","","2m",7,"e2"])"));
}

TEST(TableTest, EventsK8sIoEvents) {
  const auto& r = Resource("events.k8s.io", "v1", "events");
  json::value t = Table(r, Obj("e", R"("regarding":{"kind":"Deployment","name":"web"},"note":"Scaled up",
      "reason":"ScalingReplicaSet","type":"Normal","eventTime":"2024-05-01T11:57:00.000000Z",
      "reportingController":"deployment-controller","reportingInstance":"skiff")"));
  EXPECT_EQ(
      Columns(t),
      "Last Seen:0,Type:0,Reason:0,Object:0,Subobject:1,Source:1,Message:0,First Seen:1,Count:1,Name:1");
  EXPECT_EQ(t.at("rows").at(0).at("cells"),
            Json(R"(["3m","Normal","ScalingReplicaSet","deployment/web","","deployment-controller, skiff",
                     "Scaled up","3m",1,"e"])"));
  EXPECT_EQ(
      Cells(r, Obj("old", R"("regarding":{"kind":"Pod","name":"p"},"note":"n","reason":"r","type":"Normal",
      "deprecatedFirstTimestamp":"2024-05-01T11:00:00Z","deprecatedLastTimestamp":"2024-05-01T11:59:00Z",
      "deprecatedCount":4,"deprecatedSource":{"component":"kubelet"})")),
      Json(R"(["60s","Normal","r","pod/p","","kubelet","n","60m",4,"old"])"));
}

TEST(TableTest, Deployments) {
  const auto& r = Resource("apps", "v1", "deployments");
  json::value t = Table(r, Obj("web", R"("spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},
      "template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"},{"name":"side","image":"busybox"}]}}},
      "status":{"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2})"));
  EXPECT_EQ(Columns(t), "Name:0,Ready:0,Up-to-date:0,Available:0,Age:0,Containers:1,Images:1,Selector:1");
  EXPECT_EQ(t.at("rows").at(0).at("cells"),
            Json(R"(["web","2/3",3,2,"5m","nginx,side","nginx:1.27,busybox","app=web"])"));
}

TEST(TableTest, ReplicaSetsStatefulSetsDaemonSets) {
  json::value rs = Table(Resource("apps", "v1", "replicasets"),
                         Obj("web-abc", R"("spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"},
      "matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]}]},
      "template":{"spec":{"containers":[{"name":"c","image":"i"}]}}},"status":{"replicas":2,"readyReplicas":1})"));
  EXPECT_EQ(Columns(rs), "Name:0,Desired:0,Current:0,Ready:0,Age:0,Containers:1,Images:1,Selector:1");
  EXPECT_EQ(rs.at("rows").at(0).at("cells"),
            Json(R"j(["web-abc",2,2,1,"5m","c","i","app=web,tier in (a,b)"])j"));

  json::value sts = Table(
      Resource("apps", "v1", "statefulsets"),
      Obj("db",
          R"("spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"pg","image":"postgres"}]}}},
      "status":{"readyReplicas":3})"));
  EXPECT_EQ(Columns(sts), "Name:0,Ready:0,Age:0,Containers:1,Images:1");
  EXPECT_EQ(sts.at("rows").at(0).at("cells"), Json(R"(["db","3/3","5m","pg","postgres"])"));

  json::value ds = Table(Resource("apps", "v1", "daemonsets"),
                         Obj("agent", R"("spec":{"selector":{"matchLabels":{"app":"agent"}},
      "template":{"spec":{"nodeSelector":{"kubernetes.io/os":"linux"},"containers":[{"name":"a","image":"img"}]}}},
      "status":{"desiredNumberScheduled":2,"currentNumberScheduled":2,"numberReady":1,"updatedNumberScheduled":2,
      "numberAvailable":1})"));
  EXPECT_EQ(Columns(ds),
            "Name:0,Desired:0,Current:0,Ready:0,Up-to-date:0,Available:0,Node "
            "Selector:0,Age:0,Containers:1,Images:1,"
            "Selector:1");
  EXPECT_EQ(ds.at("rows").at(0).at("cells"),
            Json(R"(["agent",2,2,1,2,1,"kubernetes.io/os=linux","5m","a","img","app=agent"])"));
}

TEST(TableTest, ControllerRevisions) {
  const auto& r = Resource("apps", "v1", "controllerrevisions");
  json::value t = Table(r, Obj("db-7d9", R"("revision":2,"data":{})",
                               R"("ownerReferences":[{"apiVersion":"apps/v1","kind":"StatefulSet","name":"db",
                                  "uid":"u","controller":true}])"));
  EXPECT_EQ(Columns(t), "Name:0,Controller:0,Revision:0,Age:0");
  EXPECT_EQ(t.at("rows").at(0).at("cells"), Json(R"(["db-7d9","statefulset.apps/db",2,"5m"])"));
  EXPECT_EQ(Cells(r, Obj("orphan", R"("revision":1)")).at(1), "<none>");
}

TEST(TableTest, Jobs) {
  const auto& r = Resource("batch", "v1", "jobs");
  json::value t = Table(r, Obj("pi", R"("spec":{"completions":3,"parallelism":1,
      "selector":{"matchLabels":{"batch.kubernetes.io/controller-uid":"u1"}},
      "template":{"spec":{"containers":[{"name":"pi","image":"perl"}]}}},
      "status":{"succeeded":3,"startTime":"2024-05-01T11:56:00Z","completionTime":"2024-05-01T11:56:45Z",
      "conditions":[{"type":"Complete","status":"True"}]})"));
  EXPECT_EQ(Columns(t), "Name:0,Status:0,Completions:0,Duration:0,Age:0,Containers:1,Images:1,Selector:1");
  EXPECT_EQ(
      t.at("rows").at(0).at("cells"),
      Json(R"(["pi","Complete","3/3","45s","5m","pi","perl","batch.kubernetes.io/controller-uid=u1"])"));
  auto row = Cells(r, Obj("work", R"("spec":{"parallelism":4,"template":{"spec":{"containers":[]}}},
      "status":{"succeeded":1,"startTime":"2024-05-01T11:58:00Z"})"));
  EXPECT_EQ(row.at(1), "Running");
  EXPECT_EQ(row.at(2), "1/1 of 4");
  EXPECT_EQ(row.at(3), "2m");
  row = Cells(r, Obj("new", R"("spec":{"template":{"spec":{"containers":[]}}},
      "status":{"conditions":[{"type":"Suspended","status":"True"}]})"));
  EXPECT_EQ(row.at(1), "Suspended");
  EXPECT_EQ(row.at(2), "0/1");
  EXPECT_EQ(row.at(3), "");
  EXPECT_EQ(row.at(7), "<none>");
}

TEST(TableTest, CronJobs) {
  const auto& r = Resource("batch", "v1", "cronjobs");
  json::value t = Table(r, Obj("nightly", R"("spec":{"schedule":"0 3 * * *","suspend":false,
      "jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"backup"}]}}}}},
      "status":{"active":[{"name":"nightly-1"}],"lastScheduleTime":"2024-05-01T11:00:00Z"})"));
  EXPECT_EQ(Columns(t),
            "Name:0,Schedule:0,Timezone:0,Suspend:0,Active:0,Last "
            "Schedule:0,Age:0,Containers:1,Images:1,Selector:1");
  EXPECT_EQ(t.at("rows").at(0).at("cells"),
            Json(R"(["nightly","0 3 * * *","<none>","False",1,"60m","5m","b","backup","<none>"])"));
  EXPECT_EQ(Cells(r, Obj("tz", R"("spec":{"schedule":"@daily","timeZone":"Etc/UTC","suspend":true})")),
            Json(R"(["tz","@daily","Etc/UTC","True",0,"<none>","5m","","","<none>"])"));
}

TEST(TableTest, HorizontalPodAutoscalers) {
  const auto& v2 = Resource("autoscaling", "v2", "horizontalpodautoscalers");
  json::value t = Table(
      v2, Obj("web", R"("spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},
      "minReplicas":2,"maxReplicas":10,"metrics":[
        {"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":80}}},
        {"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"512Mi"}}},
        {"type":"Pods","pods":{"metric":{"name":"qps"},"target":{"type":"AverageValue","averageValue":"10"}}}]},
      "status":{"currentReplicas":3,"currentMetrics":[
        {"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":45,"averageValue":"120m"}}}]})"));
  EXPECT_EQ(Columns(t), "Name:0,Reference:0,Targets:0,MinPods:0,MaxPods:0,Replicas:0,Age:0");
  EXPECT_EQ(
      t.at("rows").at(0).at("cells"),
      Json(R"(["web","Deployment/web","cpu: 45%/80%, memory: <unknown>/512Mi + 1 more...","2",10,3,"5m"])"));
  const auto& v1 = Resource("autoscaling", "v1", "horizontalpodautoscalers");
  EXPECT_EQ(Cells(v1, Json(R"({"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler",
      "metadata":{"name":"h","creationTimestamp":"2024-05-01T11:55:00Z"},
      "spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":5,
      "targetCPUUtilizationPercentage":70},"status":{"currentReplicas":1,"currentCPUUtilizationPercentage":40}})")),
            Json(R"(["h","Deployment/web","cpu: 40%/70%","1",5,1,"5m"])"));
}

TEST(TableTest, LeasesAndEndpointSlices) {
  json::value lease =
      Table(Resource("coordination.k8s.io", "v1", "leases"),
            Obj("kube-scheduler", R"("spec":{"holderIdentity":"skiff_1234","leaseDurationSeconds":15})"));
  EXPECT_EQ(Columns(lease), "Name:0,Holder:0,Age:0");
  EXPECT_EQ(lease.at("rows").at(0).at("cells"), Json(R"(["kube-scheduler","skiff_1234","5m"])"));

  const auto& slices = Resource("discovery.k8s.io", "v1", "endpointslices");
  json::value t = Table(slices, Obj("web-x1", R"("addressType":"IPv4",
      "ports":[{"name":"http","port":80,"protocol":"TCP"},{"name":"dns"},{},{"port":9090}],
      "endpoints":[{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.2","10.0.0.3"]},{"addresses":["10.0.0.4"]}])"));
  EXPECT_EQ(Columns(t), "Name:0,AddressType:0,Ports:0,Endpoints:0,Age:0");
  EXPECT_EQ(
      t.at("rows").at(0).at("cells"),
      Json(R"(["web-x1","IPv4","80,dns,* + 1 more...","10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...","5m"])"));
  EXPECT_EQ(Cells(slices, Obj("empty", R"("addressType":"IPv6","endpoints":[])")),
            Json(R"(["empty","IPv6","<unset>","<unset>","5m"])"));
}

TEST(TableTest, CertificateSigningRequests) {
  const auto& csrs = Resource("certificates.k8s.io", "v1", "certificatesigningrequests");
  json::value t = Table(csrs, Obj("node-csr-1", R"("spec":{
      "signerName":"kubernetes.io/kube-apiserver-client-kubelet",
      "username":"system:bootstrap:abc","expirationSeconds":3600},
      "status":{"conditions":[{"type":"Approved","status":"True"}],"certificate":"eA=="})"));
  EXPECT_EQ(Columns(t), "Name:0,Age:0,SignerName:0,Requestor:0,RequestedDuration:0,Condition:0");
  EXPECT_EQ(t.at("rows").at(0).at("cells"),
            Json(R"(["node-csr-1","5m","kubernetes.io/kube-apiserver-client-kubelet","system:bootstrap:abc","60m",
                     "Approved,Issued"])"));
  EXPECT_EQ(Cells(csrs, Obj("p", R"("spec":{"signerName":"x.io/y","username":"u"})")),
            Json(R"(["p","5m","x.io/y","u","<none>","Pending"])"));
  // Denied wins over Approved; Failed is appended.
  EXPECT_EQ(Cells(csrs, Obj("d", R"("spec":{"signerName":"x.io/y","username":"u"},"status":{"conditions":[
      {"type":"Approved","status":"True"},{"type":"Denied","status":"True"},{"type":"Failed","status":"True"}]})"))
                .at(5),
            json::value("Denied,Failed"));
}

TEST(TableTest, PodDisruptionBudgetsAndPriorityClasses) {
  const auto& pdbs = Resource("policy", "v1", "poddisruptionbudgets");
  json::value t = Table(pdbs, Obj("web", R"("spec":{"minAvailable":2},"status":{"disruptionsAllowed":1})"));
  EXPECT_EQ(Columns(t), "Name:0,Min Available:0,Max Unavailable:0,Allowed Disruptions:0,Age:0");
  EXPECT_EQ(t.at("rows").at(0).at("cells"), Json(R"(["web","2","N/A",1,"5m"])"));
  EXPECT_EQ(Cells(pdbs, Obj("pct", R"("spec":{"maxUnavailable":"25%"})")),
            Json(R"(["pct","N/A","25%",0,"5m"])"));

  json::value pc =
      Table(Resource("scheduling.k8s.io", "v1", "priorityclasses"),
            Obj("high", R"("value":1000,"globalDefault":false,"preemptionPolicy":"PreemptLowerPriority")"));
  EXPECT_EQ(Columns(pc), "Name:0,Value:0,Global-Default:0,Age:0,PreemptionPolicy:0");
  EXPECT_EQ(pc.at("rows").at(0).at("cells"), Json(R"(["high",1000,false,"5m","PreemptLowerPriority"])"));
}

TEST(TableTest, StorageClasses) {
  const auto& r = Resource("storage.k8s.io", "v1", "storageclasses");
  json::value t = Table(r, Obj("local", R"("provisioner":"skiff.io/local")",
                               R"("annotations":{"storageclass.kubernetes.io/is-default-class":"true"})"));
  EXPECT_EQ(Columns(t),
            "Name:0,Provisioner:0,ReclaimPolicy:0,VolumeBindingMode:0,AllowVolumeExpansion:0,Age:0");
  EXPECT_EQ(t.at("rows").at(0).at("cells"),
            Json(R"j(["local (default)","skiff.io/local","Delete","Immediate",false,"5m"])j"));
  EXPECT_EQ(
      Cells(r, Obj("fast",
                   R"("provisioner":"p","reclaimPolicy":"Retain","volumeBindingMode":"WaitForFirstConsumer",
      "allowVolumeExpansion":true)")),
      Json(R"(["fast","p","Retain","WaitForFirstConsumer",true,"5m"])"));
}

TEST(TableTest, RoleBindings) {
  std::string body = R"("roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
      "subjects":[{"kind":"User","name":"alice"},{"kind":"User","name":"bob"},{"kind":"Group","name":"devs"},
        {"kind":"ServiceAccount","name":"ci","namespace":"tools"}])";
  for (const char* plural : {"rolebindings", "clusterrolebindings"}) {
    json::value t = Table(Resource("rbac.authorization.k8s.io", "v1", plural), Obj("b", body));
    EXPECT_EQ(Columns(t), "Name:0,Role:0,Age:0,Users:1,Groups:1,ServiceAccounts:1") << plural;
    EXPECT_EQ(t.at("rows").at(0).at("cells"),
              Json(R"(["b","ClusterRole/view","5m","alice, bob","devs","tools/ci"])"))
        << plural;
  }
}

TEST(TableTest, KindsWithoutPrinterGetNameAndCreatedAt) {
  for (auto [group, plural] :
       std::vector<std::pair<const char*, const char*>>{{"", "limitranges"},
                                                        {"rbac.authorization.k8s.io", "roles"},
                                                        {"rbac.authorization.k8s.io", "clusterroles"}}) {
    json::value t = Table(Resource(group, "v1", plural), Obj("x", ""));
    EXPECT_EQ(Columns(t), "Name:0,Created At:0") << plural;
    EXPECT_EQ(t.at("columnDefinitions").at(1).at("type"), "date");
    EXPECT_EQ(t.at("rows").at(0).at("cells"), Json(R"(["x","2024-05-01T11:55:00Z"])")) << plural;
  }
}

TEST(TableTest, APIServicesShowServiceAndAvailability) {
  const auto& apiservices = Resource("apiregistration.k8s.io", "v1", "apiservices");
  json::value t = Table(apiservices, Obj("v1.example.com", R"("spec":{"group":"example.com","version":"v1"},
      "status":{"conditions":[{"type":"Available","status":"True","reason":"Local"}]})"));
  EXPECT_EQ(Columns(t), "Name:0,Service:0,Available:0,Age:0");
  EXPECT_EQ(t.at("rows").at(0).at("cells"), Json(R"(["v1.example.com","Local","True","5m"])"));
  json::value remote = Obj("v1.metrics.k8s.io", R"("spec":{"service":{"namespace":"kube-system","name":"ms"}},
      "status":{"conditions":[{"type":"Available","status":"False","reason":"ServiceNotFound"}]})");
  EXPECT_EQ(Cells(apiservices, remote),
            Json(R"j(["v1.metrics.k8s.io","kube-system/ms","False (ServiceNotFound)","5m"])j"));
  EXPECT_EQ(Cells(apiservices, Obj("v1.x", R"("spec":{"service":{"namespace":"a","name":"b"}})")),
            Json(R"(["v1.x","a/b","Unknown","5m"])"));
}

TEST(TableTest, ListMetadataCarriesContinueAndRemainingItemCount) {
  const auto& cms = Resource("", "v1", "configmaps");
  TableOptions options;
  options.resource_version = "7";
  options.continue_token = "abc";
  options.remaining_item_count = 3;
  json::value t = Table(cms, Obj("a", ""), options);
  EXPECT_EQ(t.at("metadata"), Json(R"({"resourceVersion":"7","continue":"abc","remainingItemCount":3})"));
  EXPECT_EQ(Table(cms, Obj("a", "")).at("metadata").as_object().count("remainingItemCount"), 0u);
}

TEST(TableTest, EveryRowHasOneCellPerColumn) {
  // Even an empty object must yield a full row, or kubectl rejects the table.
  for (const auto& r : AllResources()) {
    json::value obj = Json(R"({"metadata":{"name":"x"}})");
    json::value t = Table(r, obj);
    EXPECT_EQ(t.at("rows").at(0).at("cells").as_array().size(), t.at("columnDefinitions").as_array().size())
        << r.group << "/" << r.kind;
  }
}

}  // namespace
}  // namespace skiff::api

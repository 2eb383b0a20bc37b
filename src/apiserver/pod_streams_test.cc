#include "apiserver/pod_streams.h"

#include <filesystem>
#include <thread>

#include "absl/strings/ascii.h"
#include "base/json.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/read_until.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/streambuf.hpp"
#include "boost/asio/write.hpp"
#include "gtest/gtest.h"
#include "http/errors.h"
#include "http/http_server.h"
#include "http/node_proxy.h"
#include "http/pki.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

json::value Json(const char* text) { return *base::ParseJson(text); }

TEST(ResolveContainerTest, DefaultsTheOnlyContainer) {
  auto pod = Json(R"({"metadata":{"name":"web"},"spec":{"containers":[{"name":"nginx"}]}})");
  EXPECT_EQ(*ResolveContainer(pod, ""), "nginx");
  EXPECT_EQ(*ResolveContainer(pod, "nginx"), "nginx");
}

TEST(ResolveContainerTest, KubernetesMessages) {
  auto pod = Json(R"({"metadata":{"name":"web"},"spec":{"initContainers":[{"name":"init"}],
                   "containers":[{"name":"a"},{"name":"b"}]}})");
  auto missing = ResolveContainer(pod, "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(api::HttpCode(missing.status()), 400);
  EXPECT_EQ(missing.status().message(),
            "a container name must be specified for pod web, choose one of: [init a b]");
  auto bad = ResolveContainer(pod, "zzz");
  EXPECT_EQ(api::HttpCode(bad.status()), 400);
  EXPECT_EQ(bad.status().message(), "container zzz is not valid for pod web");
  EXPECT_EQ(*ResolveContainer(pod, "init"), "init");
}

TEST(AgentEndpointTest, PrefersInternalIpAndDaemonPort) {
  auto node = Json(R"({"metadata":{"name":"n1"},"status":{
      "addresses":[{"type":"Hostname","address":"n1"},{"type":"InternalIP","address":"10.0.0.5"}],
      "daemonEndpoints":{"kubeletEndpoint":{"Port":11250}}}})");
  auto e = AgentEndpoint(node);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->host, "10.0.0.5");
  EXPECT_EQ(e->port, 11250);
  EXPECT_TRUE(e->tls);
  auto bare =
      Json(R"({"metadata":{"name":"n2"},"status":{"addresses":[{"type":"Hostname","address":"n2"}]}})");
  EXPECT_EQ(AgentEndpoint(bare)->port, 10250);
  EXPECT_EQ(AgentEndpoint(bare)->host, "n2");
  EXPECT_FALSE(AgentEndpoint(Json(R"({"metadata":{"name":"n3"}})")).ok());
}

TEST(AgentPathTest, KubeletPaths) {
  EXPECT_EQ(AgentPath("log", "ns", "p", "c"), "/containerLogs/ns/p/c");
  EXPECT_EQ(AgentPath("exec", "ns", "p", "c"), "/exec/ns/p/c");
  EXPECT_EQ(AgentPath("attach", "ns", "p", "c"), "/attach/ns/p/c");
  EXPECT_EQ(AgentPath("portforward", "ns", "p", ""), "/portForward/ns/p");
  EXPECT_TRUE(PodStreams::Handles("log"));
  EXPECT_TRUE(PodStreams::Handles("portforward"));
  EXPECT_FALSE(PodStreams::Handles("status"));
}

TEST(ValidateLogOptionsTest, RejectsBadValues) {
  http::HttpRequest req;
  EXPECT_TRUE(ValidateLogOptions(req, "p").ok());
  req.query = {{"tailLines", "-1"}};
  EXPECT_EQ(api::HttpCode(ValidateLogOptions(req, "p")), 422);
  req.query = {{"limitBytes", "0"}};
  EXPECT_EQ(api::HttpCode(ValidateLogOptions(req, "p")), 422);
  req.query = {{"sinceSeconds", "10"}, {"sinceTime", "2024-05-01T10:00:00Z"}};
  EXPECT_EQ(api::HttpCode(ValidateLogOptions(req, "p")), 422);
  req.query = {{"sinceTime", "2024-05-01T10:00:00Z"}, {"tailLines", "3"}, {"follow", "true"}};
  EXPECT_TRUE(ValidateLogOptions(req, "p").ok());
}

TEST(EncodeQueryTest, KeepsRepeatedKeysInOrderAndEncodes) {
  std::multimap<std::string, std::string> q;
  q.emplace("command", "sh");
  q.emplace("command", "-c");
  q.emplace("command", "echo a&b");
  q.emplace("container", "c");
  EXPECT_EQ(http::EncodeQuery(q), "command=sh&command=-c&command=echo%20a%26b&container=c");
}

TEST(StreamingRequestHeadersTest, SplitsProtocolsAndDropsCredentials) {
  http::HttpRequest req;
  req.headers = {{"upgrade", "SPDY/3.1"},
                 {"connection", "Upgrade"},
                 {"x-stream-protocol-version", "v4.channel.k8s.io,v3.channel.k8s.io"},
                 {"authorization", "Bearer x"},
                 {"sec-websocket-protocol", "v5.channel.k8s.io"},
                 {"host", "example"}};
  auto h = http::StreamingRequestHeaders(req);
  std::multimap<std::string, std::string> got(h.begin(), h.end());
  EXPECT_EQ(got.count("X-Stream-Protocol-Version"), 2u);
  EXPECT_EQ(got.count("Authorization"), 0u);
  EXPECT_EQ(got.count("Host"), 0u);
  EXPECT_EQ(got.find("Upgrade")->second, "SPDY/3.1");
  EXPECT_EQ(got.find("Sec-WebSocket-Protocol")->second, "v5.channel.k8s.io");
}

// Upper-cases what the client sends, until the client sends "bye".
class ShoutingTunnel : public http::Tunnel {
 public:
  void Start(std::shared_ptr<http::TunnelEnd> client) override { Next(client); }
  void Stop() override {}

 private:
  static void Next(std::shared_ptr<http::TunnelEnd> client) {
    client->Receive([client](std::string data, bool ok) {
      if (!ok || data == "bye") return client->Close();
      auto out = std::make_shared<const std::string>(absl::AsciiStrToUpper(data));
      client->Send(out, [client](bool sent) {
        if (sent) Next(client);
      });
    });
  }
};

class Chunks : public http::StreamSource {
 public:
  void Start(std::shared_ptr<http::StreamSink> sink) override {
    std::thread([sink] {
      for (const char* part : {"line one\n", "line two\n"}) {
        sink->Write(std::make_shared<const std::string>(part));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      sink->Close();
    }).detach();
  }
  void Stop() override {}
};

// client --TLS--> front (NodeProxy) --TLS + kubelet-client cert--> upstream
class RelayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pod_streams_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    http::PkiOptions pki;
    pki.host_name = "localhost";
    pki.host_addresses = std::vector<std::string>{"127.0.0.1"};
    auto paths = http::EnsurePki(dir_, pki);
    ASSERT_TRUE(paths.ok()) << paths.status();
    paths_ = *paths;
    http::HttpServerOptions options;
    options.listen_address = "127.0.0.1";
    options.port = 0;
    options.cert_file = paths_.server_cert;
    options.key_file = paths_.server_key;
    options.client_ca_file = paths_.ca_cert;
    options.worker_threads = 4;
    auto error = [](int code, const std::string& m) {
      return http::ErrorResponse(api::ToStatus({code, "Error", m}));
    };
    upstream_ = std::make_unique<http::HttpServer>(
        options,
        [this](http::HttpRequest& req) {
          last_upstream_target_ = req.path;
          last_upstream_query_ = http::EncodeQuery(req.query);
          if (!req.peer || req.peer->common_name != http::kKubeletClientCommonName) {
            return http::ErrorResponse(api::ForbiddenError("not the kubelet client"));
          }
          http::HttpResponse resp;
          if (req.path == "/shout") {
            resp.status = 101;
            resp.headers = {{"Connection", "Upgrade"}, {"Upgrade", req.Header("upgrade")}};
            resp.tunnel = std::make_shared<ShoutingTunnel>();
          } else if (req.path == "/chunks") {
            resp.content_type = "text/plain";
            resp.stream = std::make_shared<Chunks>();
          } else {
            resp = http::ErrorResponse(api::BadRequestError("no such thing"));
          }
          return resp;
        },
        error);
    ASSERT_TRUE(upstream_->Start().ok());
    front_ = std::make_unique<http::HttpServer>(
        options,
        [this](http::HttpRequest& req) {
          http::UpstreamEndpoint e{.host = "127.0.0.1",
                                   .port = upstream_->port(),
                                   .tls = true,
                                   .client_cert_file = paths_.kubelet_client_cert,
                                   .client_key_file = paths_.kubelet_client_key};
          http::UpstreamRequest u{
              .method = req.method,
              .target = req.path + (req.query.empty() ? "" : "?" + http::EncodeQuery(req.query)),
              .headers = http::StreamingRequestHeaders(req)};
          auto resp = proxy_.Forward(e, u, absl::Seconds(5));
          if (!resp.ok()) return http::ErrorResponse(resp.status());
          return *std::move(resp);
        },
        error);
    ASSERT_TRUE(front_->Start().ok());
  }

  void TearDown() override {
    front_->Stop();
    upstream_->Stop();
    std::filesystem::remove_all(dir_);
  }

  // A raw TLS connection to the front server.
  struct Client {
    boost::asio::io_context ioc;
    boost::asio::ssl::context ctx{boost::asio::ssl::context::tls_client};
    std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> s;
    boost::asio::streambuf buf;

    void Connect(int port) {
      s = std::make_unique<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>>(ioc, ctx);
      s->lowest_layer().connect(
          {boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
      s->handshake(boost::asio::ssl::stream_base::client);
    }
    void Write(const std::string& data) { boost::asio::write(*s, boost::asio::buffer(data)); }
    std::string ReadHead() {
      size_t n = boost::asio::read_until(*s, buf, "\r\n\r\n");
      std::string head(boost::asio::buffers_begin(buf.data()), boost::asio::buffers_begin(buf.data()) + n);
      buf.consume(n);
      return head;
    }
    std::string ReadExactly(size_t n) {
      boost::system::error_code ec;
      if (buf.size() < n) boost::asio::read(*s, buf, boost::asio::transfer_at_least(n - buf.size()), ec);
      std::string out(boost::asio::buffers_begin(buf.data()), boost::asio::buffers_begin(buf.data()) + n);
      buf.consume(n);
      return out;
    }
    std::string ReadToEnd() {
      boost::system::error_code ec;
      boost::asio::read(*s, buf, boost::asio::transfer_all(), ec);
      std::string out(boost::asio::buffers_begin(buf.data()), boost::asio::buffers_end(buf.data()));
      buf.consume(buf.size());
      return out;
    }
  };

  std::string dir_;
  http::PkiPaths paths_;
  http::NodeProxy proxy_;
  std::unique_ptr<http::HttpServer> upstream_;
  std::unique_ptr<http::HttpServer> front_;
  std::string last_upstream_target_;
  std::string last_upstream_query_;
};

TEST_F(RelayTest, UpgradeIsRelayedAndSplicedBothWays) {
  Client c;
  c.Connect(front_->port());
  c.Write(
      "POST /shout?command=a&command=b HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: test/1\r\n"
      "Content-Length: 0\r\n\r\n");
  std::string head = c.ReadHead();
  EXPECT_NE(head.find("HTTP/1.1 101"), std::string::npos) << head;
  EXPECT_NE(head.find("Upgrade: test/1"), std::string::npos) << head;
  EXPECT_EQ(last_upstream_query_, "command=a&command=b");
  c.Write("hello");
  EXPECT_EQ(c.ReadExactly(5), "HELLO");
  c.Write("again");
  EXPECT_EQ(c.ReadExactly(5), "AGAIN");
  c.Write("bye");  // the upstream ends the tunnel: the client's connection closes
  EXPECT_EQ(c.ReadToEnd(), "");
}

TEST_F(RelayTest, StreamedBodiesArriveChunked) {
  Client c;
  c.Connect(front_->port());
  c.Write("GET /chunks HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string head = c.ReadHead();
  EXPECT_NE(head.find("HTTP/1.1 200"), std::string::npos) << head;
  EXPECT_NE(head.find("chunked"), std::string::npos) << head;
  std::string body = c.ReadToEnd();
  EXPECT_NE(body.find("line one\n"), std::string::npos) << body;
  EXPECT_NE(body.find("line two\n"), std::string::npos) << body;
}

TEST_F(RelayTest, ErrorsPassThrough) {
  Client e;
  e.Connect(front_->port());
  e.Write("GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string head = e.ReadHead();
  EXPECT_NE(head.find("HTTP/1.1 400"), std::string::npos) << head;
  size_t at = head.find("Content-Length: ");
  ASSERT_NE(at, std::string::npos) << head;
  std::string body = e.ReadExactly(std::stoul(head.substr(at + 16)));
  EXPECT_NE(body.find("no such thing"), std::string::npos) << body;
  EXPECT_NE(body.find("\"kind\":\"Status\""), std::string::npos) << body;
}

TEST_F(RelayTest, UnreachableUpstreamIsUnavailable) {
  http::UpstreamEndpoint e{.host = "127.0.0.1", .port = 1, .tls = true};
  auto resp = proxy_.Forward(e, http::UpstreamRequest{.target = "/x"}, absl::Seconds(2));
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kUnavailable) << resp.status();
}

}  // namespace
}  // namespace skiff::apiserver

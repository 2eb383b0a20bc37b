#include "apiserver/testing/json_https_server.h"

#include <stdlib.h>

#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "http/http_server.h"
#include "http/pki.h"

namespace skiff::apiserver::testing {

absl::StatusOr<std::unique_ptr<JsonHttpsServer>> JsonHttpsServer::Start(Handler handler,
                                                                        std::vector<std::string> extra_dns_names,
                                                                        int worker_threads) {
  std::unique_ptr<JsonHttpsServer> s(new JsonHttpsServer());
  s->handler_ = std::move(handler);
  char tmpl[] = "/tmp/skiff-json-https-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed");
  s->dir_ = tmpl;
  http::PkiOptions pki;
  pki.host_name = "localhost";
  pki.host_addresses = std::vector<std::string>{"127.0.0.1"};
  pki.extra_sans = std::move(extra_dns_names);
  auto paths = http::EnsurePki(s->dir_, pki);
  if (!paths.ok()) return paths.status();
  auto ca = base::ReadFile(paths->ca_cert);
  if (!ca.ok()) return ca.status();
  s->ca_bundle_ = absl::Base64Escape(*ca);

  http::HttpServerOptions options;
  options.listen_address = "127.0.0.1";
  options.port = 0;
  options.cert_file = paths->server_cert;
  options.key_file = paths->server_key;
  options.client_ca_file = paths->ca_cert;
  options.worker_threads = worker_threads;
  JsonHttpsServer* self = s.get();
  s->server_ = std::make_unique<http::HttpServer>(
      options,
      [self](http::HttpRequest& req) {
        http::HttpResponse resp;
        auto body = base::ParseJson(req.body);
        if (!body.ok()) {
          resp.status = 400;
          resp.body = std::string(body.status().message());
          return resp;
        }
        Handler handler;
        {
          std::lock_guard<std::mutex> lock(self->mu_);
          self->calls_.push_back({req.path, *body});
          handler = self->handler_;
        }
        resp.body = boost::json::serialize(handler(req.path, *body));
        return resp;
      },
      [](int code, const std::string& message) {
        http::HttpResponse r;
        r.status = code;
        r.body = message;
        return r;
      });
  if (absl::Status st = s->server_->Start(); !st.ok()) return st;
  return s;
}

JsonHttpsServer::~JsonHttpsServer() {
  if (server_) server_->Stop();
  server_.reset();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void JsonHttpsServer::SetHandler(Handler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handler_ = std::move(handler);
}

std::vector<JsonHttpsServer::Call> JsonHttpsServer::Calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

int JsonHttpsServer::port() const { return server_->port(); }

std::string JsonHttpsServer::Url(const std::string& path) const {
  return absl::StrCat("https://127.0.0.1:", server_->port(), path);
}

}  // namespace skiff::apiserver::testing

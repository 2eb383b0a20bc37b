#include "apiserver/audit/audited_stream.h"

#include <mutex>

#include "apiserver/audit/auditor.h"

namespace skiff::apiserver::audit {
namespace {

class AuditedSink : public http::StreamSink {
 public:
  AuditedSink(std::shared_ptr<http::StreamSink> inner, std::shared_ptr<StreamAudit> audit)
      : inner_(std::move(inner)), audit_(std::move(audit)) {}
  bool Write(std::shared_ptr<const std::string> data) override { return inner_->Write(std::move(data)); }
  void Close() override {
    inner_->Close();
    audit_->Completed();
  }

 private:
  std::shared_ptr<http::StreamSink> inner_;
  std::shared_ptr<StreamAudit> audit_;
};

class AuditedSource : public http::StreamSource {
 public:
  AuditedSource(std::shared_ptr<http::StreamSource> inner, std::shared_ptr<StreamAudit> audit)
      : inner_(std::move(inner)), audit_(std::move(audit)) {}
  void Start(std::shared_ptr<http::StreamSink> sink) override {
    audit_->Started();
    inner_->Start(std::make_shared<AuditedSink>(std::move(sink), audit_));
  }
  void Stop() override {
    inner_->Stop();
    audit_->Completed();
  }

 private:
  std::shared_ptr<http::StreamSource> inner_;
  std::shared_ptr<StreamAudit> audit_;
};

class AuditedTunnelEnd : public http::TunnelEnd {
 public:
  AuditedTunnelEnd(std::shared_ptr<http::TunnelEnd> inner, std::shared_ptr<StreamAudit> audit)
      : inner_(std::move(inner)), audit_(std::move(audit)) {}
  void Send(std::shared_ptr<const std::string> data, std::function<void(bool ok)> done) override {
    inner_->Send(std::move(data), std::move(done));
  }
  void Receive(std::function<void(std::string data, bool ok)> done) override {
    inner_->Receive(std::move(done));
  }
  void Close() override {
    inner_->Close();
    audit_->Completed();
  }

 private:
  std::shared_ptr<http::TunnelEnd> inner_;
  std::shared_ptr<StreamAudit> audit_;
};

class AuditedTunnelImpl : public http::Tunnel {
 public:
  AuditedTunnelImpl(std::shared_ptr<http::Tunnel> inner, std::shared_ptr<StreamAudit> audit)
      : inner_(std::move(inner)), audit_(std::move(audit)) {}
  void Start(std::shared_ptr<http::TunnelEnd> client) override {
    audit_->Started();
    inner_->Start(std::make_shared<AuditedTunnelEnd>(std::move(client), audit_));
  }
  void Stop() override {
    inner_->Stop();
    audit_->Completed();
  }

 private:
  std::shared_ptr<http::Tunnel> inner_;
  std::shared_ptr<StreamAudit> audit_;
};

}  // namespace

StreamAudit::StreamAudit(std::shared_ptr<const Auditor> auditor, Event event, std::set<Stage> omit_stages)
    : auditor_(std::move(auditor)), event_(std::move(event)), omit_stages_(std::move(omit_stages)) {}

StreamAudit::~StreamAudit() { Completed(); }

void StreamAudit::Started() {
  if (!started_.exchange(true)) Write(Stage::kResponseStarted);
}

void StreamAudit::Completed() {
  if (!completed_.exchange(true)) Write(Stage::kResponseComplete);
}

void StreamAudit::Write(Stage stage) {
  // Started and Completed may race on different threads; each writes from its own copy.
  Event event = event_;
  event.stage = stage;
  auditor_->Emit(event, omit_stages_);
}

std::shared_ptr<http::StreamSource> AuditedStream(std::shared_ptr<http::StreamSource> inner,
                                                  std::shared_ptr<StreamAudit> audit) {
  return std::make_shared<AuditedSource>(std::move(inner), std::move(audit));
}

std::shared_ptr<http::Tunnel> AuditedTunnel(std::shared_ptr<http::Tunnel> inner,
                                            std::shared_ptr<StreamAudit> audit) {
  return std::make_shared<AuditedTunnelImpl>(std::move(inner), std::move(audit));
}

}  // namespace skiff::apiserver::audit

// Audit of long-running responses (watches, log streams, exec/attach/port-forward tunnels):
// wrappers around the handler's StreamSource or Tunnel that write ResponseStarted when the
// transport starts the response and ResponseComplete once it ends (the source closes it, the
// client goes away, or the server stops), each exactly once.
// Thread-safety: the transport and the producer may call the wrappers from any threads.
// Ownership: the wrappers share the StreamAudit, which keeps the Auditor alive; the last one to go
// writes ResponseComplete if nothing did before. Failure: none (see auditor.h).
#ifndef SKIFF_APISERVER_AUDIT_AUDITED_STREAM_H_
#define SKIFF_APISERVER_AUDIT_AUDITED_STREAM_H_

#include <atomic>
#include <memory>
#include <set>

#include "apiserver/audit/event.h"
#include "http/http_types.h"

namespace skiff::apiserver::audit {

class Auditor;

class StreamAudit {
 public:
  StreamAudit(std::shared_ptr<const Auditor> auditor, Event event, std::set<Stage> omit_stages);
  ~StreamAudit();
  void Started();
  void Completed();

 private:
  void Write(Stage stage);

  std::shared_ptr<const Auditor> auditor_;
  Event event_;
  std::set<Stage> omit_stages_;
  std::atomic<bool> started_{false};
  std::atomic<bool> completed_{false};
};

std::shared_ptr<http::StreamSource> AuditedStream(std::shared_ptr<http::StreamSource> inner,
                                                  std::shared_ptr<StreamAudit> audit);
std::shared_ptr<http::Tunnel> AuditedTunnel(std::shared_ptr<http::Tunnel> inner,
                                            std::shared_ptr<StreamAudit> audit);

}  // namespace skiff::apiserver::audit

#endif  // SKIFF_APISERVER_AUDIT_AUDITED_STREAM_H_

// Plain request/response types exchanged between the HTTPS transport (http_server) and the API
// handlers, so handlers never see Boost.Beast. Streaming responses (watch) hand the transport a
// StreamSource that pushes chunks into a StreamSink.
// Thread-safety: HttpRequest/HttpResponse are values owned by one request at a time. StreamSink
// methods are safe to call from any thread. Ownership: the transport owns the sink; the source is
// shared by the transport and whoever produces its data.
#ifndef SKIFF_HTTP_HTTP_TYPES_H_
#define SKIFF_HTTP_HTTP_TYPES_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace skiff::http {

// The identity proven by a verified TLS client certificate.
struct PeerCertificate {
  std::string common_name;
  std::vector<std::string> organizations;
};

struct HttpRequest {
  std::string method;                             // "GET", "POST", ...
  std::string path;                               // decoded path without query
  std::multimap<std::string, std::string> query;  // decoded query parameters
  std::map<std::string, std::string> headers;     // lower-cased names
  std::string body;
  std::optional<PeerCertificate> peer;

  // First value of a query parameter, or empty.
  std::string Query(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string() : it->second;
  }
  bool HasQuery(const std::string& name) const { return query.count(name) > 0; }
  // Header value (name must be lower-case), or empty.
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Queues bytes for the client. Returns false once the stream is closed or the client is too slow
  // (the queue overflowed): the producer should stop.
  virtual bool Write(std::shared_ptr<const std::string> data) = 0;
  // Ends the response (terminating chunk). Idempotent.
  virtual void Close() = 0;
};

class StreamSource {
 public:
  virtual ~StreamSource() = default;
  // Called once the response headers are on their way; the source writes into `sink` from any
  // thread until it calls sink->Close() or Stop() is called.
  virtual void Start(std::shared_ptr<StreamSink> sink) = 0;
  // The client went away or the server is stopping: stop producing. Idempotent.
  virtual void Stop() = 0;
};

// Produces a large body piece by piece, pulled by the transport as the client takes it (so a big
// LIST is never materialized whole, and the first bytes leave at once).
class BodyProducer {
 public:
  virtual ~BodyProducer() = default;
  // Appends the next part of the body (about `max_bytes`) to `out`; returns false once the body
  // is complete (the last call may still append).
  virtual bool Next(std::string* out, size_t max_bytes) = 0;
};

// The client's end of a connection that switched protocols (101 Switching Protocols): raw bytes
// both ways, no HTTP framing. Callbacks run on transport threads and must not block.
class TunnelEnd {
 public:
  virtual ~TunnelEnd() = default;
  // Writes `data` to the client; `done(ok)` runs once it is written (ok=false: connection gone).
  // At most one Send is outstanding at a time.
  virtual void Send(std::shared_ptr<const std::string> data, std::function<void(bool ok)> done) = 0;
  // Reads the next bytes the client sent; `done(data, ok)` with ok=false at end of stream or error.
  // At most one Receive is outstanding at a time (the client is not read otherwise: backpressure).
  virtual void Receive(std::function<void(std::string data, bool ok)> done) = 0;
  // Closes the connection both ways. Idempotent.
  virtual void Close() = 0;
};

// Drives a switched connection (e.g. relays it to a backend), started once the 101 head is out.
class Tunnel {
 public:
  virtual ~Tunnel() = default;
  // Relays until either side ends, then calls client->Close().
  virtual void Start(std::shared_ptr<TunnelEnd> client) = 0;
  // The server is stopping: end now. Idempotent.
  virtual void Stop() = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the body is streamed with chunked encoding and `body` is ignored.
  std::shared_ptr<StreamSource> stream;
  // Sent last when the transport cuts `stream` off because its client reads too slowly (e.g. a
  // watch ERROR event), so a client that still reads learns why.
  std::string stream_overflow_tail;
  // When set (and `stream` is not), the body is pulled from it with chunked encoding.
  std::shared_ptr<BodyProducer> producer;
  // When set (status 101), the head is sent without a body and the connection is handed over.
  std::shared_ptr<Tunnel> tunnel;
};

}  // namespace skiff::http

#endif  // SKIFF_HTTP_HTTP_TYPES_H_

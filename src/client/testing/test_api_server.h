// TestApiServer: the object semantics of `skiff server` without HTTP, for unit tests of clients
// and controllers: a SQLite store in a fresh temporary directory, the watch cache, schema
// admission, ResourceStorage and an InProcessClient over them. The namespaces "default" and
// "kube-system" exist from the start.
// Thread-safety: the client is safe for concurrent use. Ownership: owns everything; removes the
// directory on destruction (destroy informers/watches first). Failure: construction aborts the
// test process if the store cannot be opened (a broken test environment).
#ifndef SKIFF_CLIENT_TESTING_TEST_API_SERVER_H_
#define SKIFF_CLIENT_TESTING_TEST_API_SERVER_H_

#include <memory>
#include <string>

#include "apiserver/resource_storage.h"
#include "apiserver/schema_admission.h"
#include "apiserver/watch_cache.h"
#include "base/clock.h"
#include "client/inprocess/in_process_client.h"
#include "storage/store.h"

namespace skiff::client::testing {

class TestApiServer {
 public:
  // `clock` (optional, borrowed) drives timestamps written by the storage.
  explicit TestApiServer(base::Clock* clock = nullptr);
  ~TestApiServer();

  InProcessClient* client() { return client_.get(); }
  apiserver::ResourceStorage* storage() { return storage_.get(); }

 private:
  std::string dir_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<apiserver::WatchCache> cache_;
  std::unique_ptr<apiserver::SchemaAdmission> admission_;
  std::unique_ptr<apiserver::ResourceStorage> storage_;
  std::unique_ptr<InProcessClient> client_;
};

}  // namespace skiff::client::testing

#endif  // SKIFF_CLIENT_TESTING_TEST_API_SERVER_H_

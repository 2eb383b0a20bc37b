// The tiny lifecycle interface of everything the controller manager runs (controllers and the
// scheduler). Start registers informer handlers and starts workers (informers are started by the
// manager after every Start); Stop ends the workers.
// Thread-safety: Start and Stop are called from one thread, Start before Stop. Ownership: the
// manager owns each Runnable. Failure: Start cannot fail; a Runnable reports errors through its
// own logs and events and retries.
#ifndef SKIFF_CLIENT_RUNNABLE_H_
#define SKIFF_CLIENT_RUNNABLE_H_

namespace skiff::client {

class Runnable {
 public:
  virtual ~Runnable() = default;
  virtual void Start() = 0;
  virtual void Stop() = 0;
};

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_RUNNABLE_H_

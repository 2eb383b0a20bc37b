// Raising the process's open-file limit: a server holding thousands of connections and watches
// must not run out of descriptors at the common soft limit of 1024 when the hard limit allows more.
// Thread-safety: call once at start, before other threads open files. Never fails: when the limit
// cannot be raised the current soft limit is returned.
#ifndef SKIFF_BASE_FILE_LIMIT_H_
#define SKIFF_BASE_FILE_LIMIT_H_

#include <cstdint>

namespace skiff::base {

// Sets RLIMIT_NOFILE's soft limit to its hard limit; returns the soft limit now in force.
uint64_t RaiseOpenFileLimit();

}  // namespace skiff::base

#endif  // SKIFF_BASE_FILE_LIMIT_H_

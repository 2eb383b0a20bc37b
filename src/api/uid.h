// Object uids (metadata.uid): random RFC 4122 version 4 UUIDs, as apimachinery's uuid.NewUUID.
// Thread-safety: safe from any thread (a per-thread generator). Ownership: values. Never fails.
#ifndef SKIFF_API_UID_H_
#define SKIFF_API_UID_H_

#include <string>

namespace skiff::api {

// A random RFC 4122 version 4 UUID ("xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx").
std::string NewUid();

}  // namespace skiff::api

#endif  // SKIFF_API_UID_H_

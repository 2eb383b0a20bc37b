// Read-only accessors for the ObjectMeta of any object held as JSON: name, namespace, uid,
// resourceVersion, generation, labels, annotations, ownerReferences, the controller reference,
// deletion state and finalizers. They are thin views over the boost::json value, not a second
// object model: each reads one field at the moment it is called.
// Thread-safety: pure functions; safe wherever reading the JSON value is safe.
// Ownership: strings are returned by value; pointers point into the argument and live as long as it
// does (and is not modified). Never fails: an absent or mistyped field reads as empty/0/null/false,
// as base::GetString does. Keys of stored objects are client::KeyOf (client/informer.h).
#ifndef SKIFF_API_OBJECT_META_H_
#define SKIFF_API_OBJECT_META_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "boost/json/value.hpp"

namespace skiff::api {

std::string Name(const boost::json::value& obj);
std::string Namespace(const boost::json::value& obj);
std::string Uid(const boost::json::value& obj);
std::string ResourceVersion(const boost::json::value& obj);
int64_t Generation(const boost::json::value& obj);

// metadata.labels / metadata.annotations as stored (an object in any validated object), or null
// when absent; the form LabelSelector::Matches takes.
const boost::json::value* Labels(const boost::json::value& obj);
const boost::json::value* Annotations(const boost::json::value& obj);
// One label / annotation value; `fallback` when it is absent or not a string.
std::string Label(const boost::json::value& obj, std::string_view key, std::string_view fallback = "");
std::string Annotation(const boost::json::value& obj, std::string_view key, std::string_view fallback = "");

// metadata.ownerReferences when it is an array (possibly empty), else null.
const boost::json::array* OwnerReferences(const boost::json::value& obj);
// The first owner reference with controller: true (k8s metav1.GetControllerOf), or null.
const boost::json::value* ControllerRef(const boost::json::value& obj);

// metadata.deletionTimestamp is set (present and not null): the object is being deleted and waits
// only for its finalizers.
bool IsBeingDeleted(const boost::json::value& obj);

// metadata.finalizers, in order; non-string entries are skipped.
std::vector<std::string> Finalizers(const boost::json::value& obj);
bool HasFinalizer(const boost::json::value& obj, std::string_view finalizer);

}  // namespace skiff::api

#endif  // SKIFF_API_OBJECT_META_H_

// RFC 7386 JSON Merge Patch (the `application/merge-patch+json` PATCH body): applying a merge
// patch and computing one from two documents.
//
// Thread-safety: pure functions. Ownership: inputs are borrowed, results returned by value.
// Failure: none; every JSON value is a valid merge patch (a non-object patch replaces the whole
// document, as the RFC says). Callers that need an object result check the result's kind.
#ifndef SKIFF_API_MERGE_PATCH_H_
#define SKIFF_API_MERGE_PATCH_H_

#include "boost/json/value.hpp"

namespace skiff::api {

// Objects merge recursively, a null member deletes the key, anything else (lists included)
// replaces the target value.
boost::json::value ApplyMergePatch(const boost::json::value& doc, const boost::json::value& patch);

// The merge patch that turns `original` into `modified` (an empty object when they are equal).
// Keys missing from `modified` become null; differing non-objects are replaced whole.
boost::json::value CreateMergePatch(const boost::json::value& original, const boost::json::value& modified);

}  // namespace skiff::api

#endif  // SKIFF_API_MERGE_PATCH_H_

// Decoding of a JSONSchemaProps JSON object into the Schema tree (no semantic checks: those are
// in checks.cc). Used by Compile().
// Thread-safety: pure function. Ownership: returns a new tree. Failure: keywords of the wrong JSON
// type and nesting deeper than kMaxDepth are reported as field errors and left out of the tree.
#ifndef SKIFF_API_STRUCTURAL_PARSE_H_
#define SKIFF_API_STRUCTURAL_PARSE_H_

#include <memory>
#include <vector>

#include "api/structural/internal.h"
#include "api/structural/structural.h"
#include "boost/json/value.hpp"

namespace skiff::api::structural::internal {

std::shared_ptr<Schema> ParseSchema(const boost::json::value& json, const PathNode& path, int depth,
                                    std::vector<FieldError>* errors);

}  // namespace skiff::api::structural::internal

#endif  // SKIFF_API_STRUCTURAL_PARSE_H_

// Default(): kube's structural defaulting (pkg/apiserver/schema/defaulting): first nulls that the
// schema neither allows (nullable) nor can default are removed from objects, then missing fields
// and non-nullable nulls (in objects, map values and list items) get a deep copy of their default,
// and defaulting continues inside the result.
#include "api/structural/internal.h"

namespace skiff::api::structural {
namespace {

bool NonNullableNull(const boost::json::value& v, const Schema* s) { return v.is_null() && s != nullptr && !s->nullable; }

void PruneNulls(boost::json::value* v, const Schema* s, int depth) {
  if (depth > kMaxDepth * 2) return;
  if (v->is_object()) {
    boost::json::object& o = v->get_object();
    for (auto it = o.begin(); it != o.end();) {
      const boost::json::value& v = it->value();
      if (!(v.is_null() || v.is_object() || v.is_array())) {  // scalars hold no nulls
        ++it;
        continue;
      }
      const Schema* child = s ? s->Field(it->key()) : nullptr;
      if (NonNullableNull(it->value(), child) && !child->default_value) {
        it = o.erase(it);
        continue;
      }
      PruneNulls(&it->value(), child, depth + 1);
      ++it;
    }
  } else if (v->is_array()) {
    for (boost::json::value& e : v->get_array()) PruneNulls(&e, s ? s->items.get() : nullptr, depth + 1);
  }
}

void Apply(boost::json::value* v, const Schema* s, int depth) {
  if (s == nullptr || depth > kMaxDepth * 2) return;
  if (v->is_object()) {
    boost::json::object& o = v->get_object();
    for (const auto& [name, prop] : s->properties) {
      if (!prop->default_value) continue;
      boost::json::value* cur = o.if_contains(name);
      if (cur == nullptr || NonNullableNull(*cur, prop.get())) o[name] = *prop->default_value;
    }
    for (auto& kv : o) {
      const boost::json::value& v = kv.value();
      if (!(v.is_null() || v.is_object() || v.is_array())) continue;  // nothing to default inside scalars
      if (const Schema* prop = s->Property(kv.key())) {
        Apply(&kv.value(), prop, depth + 1);
      } else if (const Schema* ap = s->additional_properties.get()) {
        if (NonNullableNull(kv.value(), ap) && ap->default_value) kv.value() = *ap->default_value;
        Apply(&kv.value(), ap, depth + 1);
      }
    }
  } else if (v->is_array()) {
    const Schema* items = s->items.get();
    for (boost::json::value& e : v->get_array()) {
      if (NonNullableNull(e, items) && items->default_value) e = *items->default_value;
      Apply(&e, items, depth + 1);
    }
  }
}

}  // namespace

void Default(const Schema& schema, boost::json::value* object) {
  PruneNulls(object, &schema, 0);
  Apply(object, &schema, 0);
}

}  // namespace skiff::api::structural

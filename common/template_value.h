// TemplateValue: the dynamic value of the Go text/template subset (strings,
// numbers, booleans, times, lists and maps from fromJson), with Go's %v
// printing and truthiness. Values are small and copyable; thread-compatible.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace skald::common {

struct TemplateValue {
  enum class Kind : uint8_t { kNil, kBool, kInt, kFloat, kString, kTime, kList, kMap, kRoot };
  Kind kind = Kind::kNil;
  bool b = false;
  int64_t i = 0;        // kInt; kTime: Unix ns
  double f = 0;         // kFloat
  int32_t tz_offset = 0;  // kTime: seconds east of UTC
  std::string s;        // kString; kTime: zone name
  std::shared_ptr<std::vector<TemplateValue>> list;
  std::shared_ptr<std::map<std::string, TemplateValue>> map;

  static TemplateValue Nil() { return {}; }
  static TemplateValue Bool(bool v) { TemplateValue x; x.kind = Kind::kBool; x.b = v; return x; }
  static TemplateValue Int(int64_t v) { TemplateValue x; x.kind = Kind::kInt; x.i = v; return x; }
  static TemplateValue Float(double v) { TemplateValue x; x.kind = Kind::kFloat; x.f = v; return x; }
  static TemplateValue Str(std::string v) { TemplateValue x; x.kind = Kind::kString; x.s = std::move(v); return x; }
  static TemplateValue Time(int64_t ns, int32_t offset = 0, std::string zone = "UTC") {
    TemplateValue x; x.kind = Kind::kTime; x.i = ns; x.tz_offset = offset; x.s = std::move(zone); return x;
  }
  // The template's top-level dot (the label map).
  static TemplateValue Root() { TemplateValue x; x.kind = Kind::kRoot; return x; }

  // Go's text/template truth: false, 0, "", nil, empty list/map are false.
  bool Truthy() const;
  // Appends the value as fmt's %v prints it.
  void AppendTo(std::string* out) const;
  std::string ToString() const { std::string s; AppendTo(&s); return s; }
};

// Go's strconv.FormatFloat(v, 'g', -1, 64) as fmt %v prints float64
// (`1e+06`, `0.5`, `3.14`).
std::string FormatFloatG(double v);

}  // namespace skald::common

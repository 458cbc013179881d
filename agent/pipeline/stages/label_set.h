// LabelSet: the stream labels of a pipeline entry, shared copy-on-write.
//
// Every line of a file starts with the file's labels; copying a std::map of
// seven labels per line (and comparing it again at dispatch) was the largest
// per-line cost of the agent. A LabelSet holds a shared, immutable-while-
// shared map: copying one is a reference-count increment, and a write copies
// the map only when another LabelSet still shares it. Two sets that share a
// map are equal without comparing strings (SharesWith), which lets the agent
// key per-stream caches by identity.
//
// LabelMemo lets a stage that sets the same label on every line (docker and
// cri set `stream`) hand out one shared result per distinct input set instead
// of copying the map per line.
//
// Concurrency: not thread-safe; the reference count is not meant to be
// shared across threads (the agent's reader thread owns every LabelSet).
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace skald::agent::pipeline {

class LabelSet {
 public:
  using Map = std::map<std::string, std::string, std::less<>>;
  using const_iterator = Map::const_iterator;

  LabelSet() = default;
  // Assigning a plain map or a braced list replaces the labels.
  LabelSet& operator=(Map m);
  LabelSet& operator=(const std::map<std::string, std::string>& m);
  LabelSet& operator=(std::initializer_list<Map::value_type> l);

  // Reading (no copy).
  const Map& map() const;
  const_iterator begin() const { return map().begin(); }
  const_iterator end() const { return map().end(); }
  const_iterator find(std::string_view name) const { return map().find(name); }
  bool contains(std::string_view name) const { return map().contains(name); }
  size_t size() const { return p_ ? p_->size() : 0; }
  bool empty() const { return size() == 0; }
  // The value of `name`, or nullptr.
  const std::string* Get(std::string_view name) const;

  // Writing (copies the map first when it is shared).
  void Set(std::string_view name, std::string_view value);
  void Erase(std::string_view name);
  // The map for arbitrary edits (iteration with erase); copied first when
  // shared. Valid until the next write or assignment.
  Map& Mutable();
  // Map-like write access for tests and simple stages (may copy).
  std::string& operator[](std::string_view name);

  // True when both share one map (or both are empty): equal without a
  // string compare.
  bool SharesWith(const LabelSet& o) const { return p_ == o.p_; }
  bool operator==(const LabelSet& o) const { return SharesWith(o) || map() == o.map(); }

 private:
  std::shared_ptr<Map> p_;  // null: empty; never modified while shared
};

// Remembers, for the few most recent input sets, the set that results from
// setting one label, so the result is shared by every entry of a stream.
// Holds references to the sets it remembers (at most kMaxEntries).
class LabelMemo {
 public:
  // Sets `name`=`value` in `*labels`; an input already seen with the same
  // name and value gets the remembered result (no map copy).
  void Set(LabelSet* labels, std::string_view name, std::string_view value);

 private:
  // Distinct (input, name, value) results kept; the oldest goes first.
  static constexpr size_t kMaxEntries = 8;
  struct Entry {
    LabelSet in;
    std::string name;
    std::string value;
    LabelSet out;
  };
  std::vector<Entry> entries_;  // most recent first
};

}  // namespace skald::agent::pipeline

#include "agent/pipeline/stages/label_set.h"

namespace skald::agent::pipeline {

namespace {
const LabelSet::Map& EmptyMap() {
  static const LabelSet::Map* empty = new LabelSet::Map();
  return *empty;
}
}  // namespace

LabelSet& LabelSet::operator=(Map m) {
  p_ = m.empty() ? nullptr : std::make_shared<Map>(std::move(m));
  return *this;
}

LabelSet& LabelSet::operator=(const std::map<std::string, std::string>& m) {
  return *this = Map(m.begin(), m.end());
}

LabelSet& LabelSet::operator=(std::initializer_list<Map::value_type> l) { return *this = Map(l); }

const LabelSet::Map& LabelSet::map() const { return p_ ? *p_ : EmptyMap(); }

const std::string* LabelSet::Get(std::string_view name) const {
  if (!p_) return nullptr;
  auto it = p_->find(name);
  return it == p_->end() ? nullptr : &it->second;
}

LabelSet::Map& LabelSet::Mutable() {
  if (!p_) {
    p_ = std::make_shared<Map>();
  } else if (p_.use_count() > 1) {
    p_ = std::make_shared<Map>(*p_);
  }
  return *p_;
}

void LabelSet::Set(std::string_view name, std::string_view value) {
  if (const std::string* v = Get(name); v != nullptr && *v == value) return;
  Map& m = Mutable();
  auto it = m.find(name);
  if (it == m.end()) {
    m.emplace(std::string(name), std::string(value));
  } else {
    it->second.assign(value);
  }
}

void LabelSet::Erase(std::string_view name) {
  if (!contains(name)) return;
  Map& m = Mutable();
  m.erase(m.find(name));
}

std::string& LabelSet::operator[](std::string_view name) {
  Map& m = Mutable();
  auto it = m.find(name);
  if (it == m.end()) it = m.emplace(std::string(name), std::string()).first;
  return it->second;
}

void LabelMemo::Set(LabelSet* labels, std::string_view name, std::string_view value) {
  for (size_t i = 0; i < entries_.size(); ++i) {
    Entry& e = entries_[i];
    if (e.in.SharesWith(*labels) && e.name == name && e.value == value) {
      *labels = e.out;
      if (i > 0) std::swap(entries_[i], entries_[0]);
      return;
    }
  }
  Entry e;
  e.in = *labels;
  e.name = std::string(name);
  e.value = std::string(value);
  labels->Set(name, value);
  e.out = *labels;
  if (entries_.size() == kMaxEntries) entries_.pop_back();
  entries_.insert(entries_.begin(), std::move(e));
}

}  // namespace skald::agent::pipeline

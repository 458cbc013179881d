#include "agent/pipeline/stages/label_set.h"

#include <doctest/doctest.h>

namespace skald::agent::pipeline {

TEST_CASE("a copied label set shares its map until one side writes") {
  LabelSet a;
  a = {{"job", "x"}, {"filename", "/a.log"}};
  LabelSet b = a;
  CHECK(b.SharesWith(a));
  b.Set("stream", "stdout");
  CHECK_FALSE(b.SharesWith(a));
  CHECK(a.size() == 2);
  CHECK_FALSE(a.contains("stream"));
  CHECK(*b.Get("stream") == "stdout");
  CHECK(*b.Get("job") == "x");
}

TEST_CASE("setting a label to the value it has keeps the shared map") {
  LabelSet a;
  a = {{"job", "x"}};
  LabelSet b = a;
  b.Set("job", "x");
  CHECK(b.SharesWith(a));
  b.Erase("absent");
  CHECK(b.SharesWith(a));
}

TEST_CASE("an unshared label set is edited in place") {
  LabelSet a;
  a = {{"job", "x"}, {"env", "prod"}};
  const LabelSet::Map* before = &a.map();
  a.Set("job", "y");
  a.Erase("env");
  CHECK(&a.map() == before);
  CHECK(a.size() == 1);
  CHECK(*a.Get("job") == "y");
}

TEST_CASE("label sets compare by value when they do not share a map") {
  LabelSet a, b;
  a = {{"job", "x"}};
  b = {{"job", "x"}};
  CHECK_FALSE(a.SharesWith(b));
  CHECK(a == b);
  b.Set("job", "z");
  CHECK_FALSE(a == b);
  LabelSet e1, e2;
  CHECK(e1.SharesWith(e2));
  CHECK(e1.empty());
  CHECK(e1.Get("job") == nullptr);
}

TEST_CASE("the memo gives every entry of a stream one shared result") {
  LabelMemo memo;
  LabelSet file;
  file = {{"job", "x"}};
  LabelSet l1 = file, l2 = file, l3 = file;
  memo.Set(&l1, "stream", "stdout");
  memo.Set(&l2, "stream", "stdout");
  memo.Set(&l3, "stream", "stderr");
  CHECK(l1.SharesWith(l2));
  CHECK_FALSE(l1.SharesWith(l3));
  CHECK(*l1.Get("stream") == "stdout");
  CHECK(*l3.Get("stream") == "stderr");
  CHECK_FALSE(file.contains("stream"));
  // A result handed out is shared with the memo: writing to it copies.
  l1.Set("extra", "1");
  CHECK_FALSE(l2.contains("extra"));
}

TEST_CASE("the memo does not confuse equal-valued inputs that differ later") {
  LabelMemo memo;
  LabelSet a;
  a = {{"job", "x"}};
  LabelSet in = a;
  memo.Set(&in, "stream", "stdout");
  LabelSet other;
  other = {{"job", "y"}};
  memo.Set(&other, "stream", "stdout");
  CHECK(*other.Get("job") == "y");
  CHECK(*other.Get("stream") == "stdout");
}

}  // namespace skald::agent::pipeline
